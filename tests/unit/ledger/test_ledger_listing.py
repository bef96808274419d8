"""Listing tickets by the time they were received, open or closed, or by number (for
Open311's service request queries): the read model's rows with their description and the
latest step in a sentence."""
import json

import pytest
from ledger_events import READER, said

from services.shared.errors import InvalidRequest

FIRST, SECOND, THIRD = "YP20261123-0001", "YP20261123-0002", "YP20261124-0001"


@pytest.fixture
def three_tickets(deliver):
    deliver(
        said("ticket_created", FIRST, "2026-11-23T02:00:00Z"),
        said("ticket_dispatched", FIRST, "2026-11-23T02:01:00Z"),
        said("ticket_resolved", FIRST, "2026-11-23T05:00:00Z"),
        said("ticket_closed", FIRST, "2026-11-23T09:00:00Z"),
        said("ticket_created", SECOND, "2026-11-23T03:00:00Z", description="楼道灯坏了"),
        said("ticket_dispatched", SECOND, "2026-11-23T03:01:00Z"),
        said("ticket_created", THIRD, "2026-11-24T01:00:00Z"),
    )


def test_tickets_received_in_a_period_come_newest_first(service, three_tickets):
    listed = service.tickets(READER, start="2026-11-23T00:00:00Z", end="2026-11-24T00:00:00Z")

    assert [row["ticket_no"] for row in listed] == [SECOND, FIRST]
    second = listed[0]
    assert second["description"] == "楼道灯坏了"
    assert second["summary"] == "派单至 殷行街道第一网格工作站"
    assert second["state"] == "dispatched"
    assert second["unit_name"] == "殷行街道第一网格工作站"
    assert second["received_at"] == "2026-11-23T03:00:00.000Z"
    assert second["place"] == {"district": "杨浦区", "subdistrict": "殷行街道",
                               "community": "开鲁新村"}
    json.dumps(listed)  # a nameko RPC answer


def test_open_and_closed_are_told_apart(service, three_tickets):
    assert [row["ticket_no"] for row in service.tickets(READER, status="closed")] == [FIRST]
    assert [row["ticket_no"] for row in service.tickets(READER, status="open")] == [THIRD, SECOND]
    closed = service.tickets(READER, status="closed")[0]
    assert (closed["state"], closed["summary"]) == ("closed", "结案: 满意")


def test_tickets_by_number_leave_unknown_numbers_out(service, three_tickets):
    listed = service.tickets(READER, ticket_nos=[FIRST, "YP20990101-0001", THIRD])
    assert [row["ticket_no"] for row in listed] == [THIRD, FIRST]


def test_tickets_of_some_categories(service, three_tickets, deliver):
    deliver(said("ticket_created", "YP20261124-0002", "2026-11-24T02:00:00Z",
                 category="elevator"))
    assert [row["ticket_no"] for row in service.tickets(READER, categories=["elevator"])] == [
        "YP20261124-0002"]
    assert len(service.tickets(READER, categories=["street_light", "elevator"])) == 4


def test_the_limit_keeps_the_newest(service, three_tickets):
    assert [row["ticket_no"] for row in service.tickets(READER, limit=1)] == [THIRD]


def test_an_offset_time_is_the_same_instant(service, three_tickets):
    # 2026-11-24 00:00 in Shanghai is 2026-11-23 16:00 UTC: THIRD (01:00 UTC on the 24th) is in
    listed = service.tickets(READER, start="2026-11-24T00:00:00+08:00")
    assert [row["ticket_no"] for row in listed] == [THIRD]


@pytest.mark.parametrize("arguments, field", [
    ({"start": "yesterday"}, "start"),
    ({"start": "2026-11-24T00:00:00Z", "end": "2026-11-23T00:00:00Z"}, "end"),
    ({"status": "pending"}, "status"),
    ({"limit": 0}, "limit"),
    ({"limit": "10"}, "limit"),
    ({"start": "0001-01-01T00:00:00+05:00"}, "start"),
    ({"ticket_nos": "YP20261123-0001"}, "ticket_nos"),
    ({"categories": ["lamps"]}, "categories"),
])
def test_a_malformed_question_is_refused_naming_the_field(service, arguments, field):
    with pytest.raises(InvalidRequest) as refused:
        service.tickets(READER, **arguments)
    assert field in refused.value.errors
