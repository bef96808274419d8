"""Reading the ledger: timelines with summaries, the ticket view, the feed and indicators."""
import json

import pytest

from ledger_events import CENTRE, COMMITTEE, GRID, PROPERTY, said
from services.shared import clock
from services.shared.errors import InvalidRequest, NotFound

TICKET = "YP20261123-0001"
DAY = ("2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")


def test_the_timeline_tells_the_story_in_chinese(service, deliver):
    deliver(
        said("ticket_created", TICKET, "2026-11-23T02:00:00Z"),
        said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z", unit=COMMITTEE),
        said("ticket_returned", TICKET, "2026-11-23T02:20:00Z", unit=COMMITTEE),
        said("ticket_dispatched", TICKET, "2026-11-23T02:30:00Z", reason="reassigned",
             previous_unit_id=COMMITTEE[0]),
        said("ticket_overdue", TICKET, "2026-11-23T04:00:00Z"),
        said("ticket_accepted", TICKET, "2026-11-23T04:05:00Z"),
        said("ticket_contacted", TICKET, "2026-11-23T04:10:00Z"),
        said("ticket_resolved", TICKET, "2026-11-23T05:00:00Z"),
        said("callback_scheduled", TICKET, "2026-11-23T05:00:01Z"),
        said("callback_completed", TICKET, "2026-11-23T06:00:00Z", outcome="unreachable",
             final=False),
        said("callback_completed", TICKET, "2026-11-23T07:00:00Z", outcome="unsatisfied",
             attempt=2),
        said("ticket_reopened", TICKET, "2026-11-23T07:00:01Z"),
        said("ticket_resolved", TICKET, "2026-11-23T08:00:00Z", resolution="线路已修复"),
        said("callback_completed", TICKET, "2026-11-23T09:00:00Z"),
        said("ticket_closed", TICKET, "2026-11-23T09:00:01Z"),
    )
    timeline = service.timeline(TICKET)

    assert [item["summary"] for item in timeline] == [
        "受理: 路灯不亮",
        "派单至 开鲁新村居委会",
        "退单: 不属于本单位职责",
        "改派至 殷行街道第一网格工作站",
        "超时: 签收",
        "签收",
        "联系市民",
        "办结: 已更换灯泡",
        "安排回访",
        "回访: 未接通, 将再次拨打",
        "回访: 不满意",
        "重办",
        "办结: 线路已修复",
        "回访: 满意",
        "结案: 满意",
    ]
    first = timeline[0]
    assert first["occurred_at"] == "2026-11-23T02:00:00.000Z"
    assert (first["event_type"], first["source"], first["seq"]) == ("ticket_created", "intake", 1)
    assert first["data"]["category"] == "street_light"
    json.dumps(timeline)  # nameko RPC answers are JSON


def test_an_unrouted_ticket_says_it_waits_at_the_centre(service, deliver):
    deliver(said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z", unit=CENTRE, routed=False,
                 route=None))
    [item] = service.timeline(TICKET)
    assert item["summary"] == "待派: 未找到承办单位, 留在 12345派单中心"
    assert service.ticket_view(TICKET)["state"] == "pending"


def test_events_at_the_same_moment_keep_the_order_they_were_recorded_in(service, deliver):
    deliver(
        said("ticket_resolved", TICKET, "2026-11-23T05:00:00Z"),
        said("callback_scheduled", TICKET, "2026-11-23T05:00:00Z"),
    )
    assert [item["event_type"] for item in service.timeline(TICKET)] == [
        "ticket_resolved", "callback_scheduled"]


def test_timeline_of_an_unknown_ticket_is_not_found(service, deliver):
    deliver(said("ticket_created", TICKET, "2026-11-23T02:00:00Z"))
    with pytest.raises(NotFound):
        service.timeline("YP20000101-9999")
    with pytest.raises(NotFound):
        service.ticket_view("YP20000101-9999")


@pytest.mark.parametrize("ticket_no", [None, 42, "", "   ", "x" * 101, ["YP20261123-0001"]])
def test_a_malformed_ticket_number_is_refused(service, ticket_no):
    with pytest.raises(InvalidRequest) as raised:
        service.timeline(ticket_no)
    assert "ticket_no" in raised.value.errors
    with pytest.raises(InvalidRequest):
        service.ticket_view(ticket_no)


def test_ticket_view_is_the_read_model_as_json(service, deliver):
    deliver(
        said("ticket_created", TICKET, "2026-11-23T02:00:00Z"),
        said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z"),
    )
    view = service.ticket_view(TICKET)
    assert json.loads(json.dumps(view)) == view
    assert view == {
        "ticket_no": TICKET, "state": "dispatched", "state_at": "2026-11-23T02:01:00.000Z",
        "unit_id": GRID[0], "unit_name": GRID[1], "category": "street_light", "kind": "help",
        "channel": "hotline", "urgency": "normal", "priority": "normal",
        "place": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村"},
        "received_at": "2026-11-23T02:00:00.000Z", "outcome": None, "closed_at": None,
        "reopen_count": 0, "overdue": [], "last_event_at": "2026-11-23T02:01:00.000Z",
    }


def test_recent_is_the_newest_recorded_first(service, deliver, monkeypatch):
    # recorded in the order 0002, 0003, 0001, whatever their occurred_at
    events = [said("ticket_created", f"YP20261123-{n:04d}", f"2026-11-23T01:0{n}:00Z")
              for n in (2, 3, 1)]
    # The ledger stamps recorded_at with its own clock: make it tick a second per event.
    ticks = iter(clock.parse_iso(f"2026-11-23T02:00:0{n}Z") for n in range(3))
    monkeypatch.setattr(clock, "now", lambda: next(ticks))
    deliver(*events)

    feed = service.recent(limit=2)
    assert [item["ticket_no"] for item in feed] == ["YP20261123-0001", "YP20261123-0003"]
    assert feed[0]["recorded_at"] == "2026-11-23T02:00:02.000Z"
    assert len(service.recent()) == 3


@pytest.mark.parametrize("limit", [0, -1, 501, "10", 2.5, None])
def test_recent_refuses_a_bad_limit(service, limit):
    with pytest.raises(InvalidRequest):
        service.recent(limit)


# --- indicators ---------------------------------------------------------------------------

def district_day():
    """Seven tickets around 23 November 2026 (UTC), worked by four units.

    T1 created the day before; accepted, resolved and closed satisfied by the grid today.
    T2 grid → returned → reassigned to the property company, which resolves it; the caller
       is unsatisfied, it reopens with the property company, is resolved again and closed
       basically satisfied by an event that names no unit.
    T3 committee → grid → back to the committee (received once by the committee), resolved,
       closed unreachable.
    T4 no rule matched: waits at the centre.
    T5 dispatched late today; accepted exactly at midnight and resolved after: tomorrow.
    T6 a consultation answered on the spot.
    T7 received at the very start of the day, nothing since.
    """
    t = "YP20261123-000"
    return [
        said("ticket_created", t + "1", "2026-11-22T23:00:00Z"),
        said("ticket_dispatched", t + "1", "2026-11-22T23:10:00Z"),
        said("ticket_accepted", t + "1", "2026-11-23T01:00:00Z"),
        said("ticket_resolved", t + "1", "2026-11-23T03:00:00Z"),
        said("ticket_closed", t + "1", "2026-11-23T05:00:00Z"),

        said("ticket_created", t + "2", "2026-11-23T01:00:00Z"),
        said("ticket_dispatched", t + "2", "2026-11-23T01:05:00Z"),
        said("ticket_returned", t + "2", "2026-11-23T01:30:00Z"),
        said("ticket_dispatched", t + "2", "2026-11-23T02:00:00Z", unit=PROPERTY,
             reason="reassigned", previous_unit_id=GRID[0]),
        said("ticket_accepted", t + "2", "2026-11-23T02:10:00Z", unit=PROPERTY),
        said("ticket_contacted", t + "2", "2026-11-23T02:30:00Z", unit=PROPERTY),
        said("ticket_resolved", t + "2", "2026-11-23T04:00:00Z", unit=PROPERTY),
        said("callback_completed", t + "2", "2026-11-23T06:00:00Z", outcome="unsatisfied"),
        said("ticket_reopened", t + "2", "2026-11-23T06:01:00Z", unit=PROPERTY),
        said("ticket_accepted", t + "2", "2026-11-23T07:00:00Z", unit=PROPERTY),
        said("ticket_resolved", t + "2", "2026-11-23T09:00:00Z", unit=PROPERTY),
        said("ticket_closed", t + "2", "2026-11-23T10:00:00Z", unit_id=None,
             outcome="basically_satisfied"),

        said("ticket_created", t + "3", "2026-11-23T02:00:00Z"),
        said("ticket_dispatched", t + "3", "2026-11-23T02:05:00Z", unit=COMMITTEE),
        said("ticket_dispatched", t + "3", "2026-11-23T03:00:00Z", reason="reassigned",
             previous_unit_id=COMMITTEE[0]),
        said("ticket_dispatched", t + "3", "2026-11-23T04:00:00Z", unit=COMMITTEE,
             reason="reassigned", previous_unit_id=GRID[0]),
        said("ticket_accepted", t + "3", "2026-11-23T05:00:00Z", unit=COMMITTEE),
        said("ticket_resolved", t + "3", "2026-11-23T08:00:00Z", unit=COMMITTEE),
        said("ticket_closed", t + "3", "2026-11-23T12:00:00Z", unit=COMMITTEE,
             outcome="unreachable"),

        said("ticket_created", t + "4", "2026-11-23T20:00:00Z"),
        said("ticket_dispatched", t + "4", "2026-11-23T20:01:00Z", unit=CENTRE, routed=False),

        said("ticket_created", t + "5", "2026-11-23T22:00:00Z"),
        said("ticket_dispatched", t + "5", "2026-11-23T22:10:00Z"),
        said("ticket_accepted", t + "5", "2026-11-24T00:00:00Z"),
        said("ticket_resolved", t + "5", "2026-11-24T01:00:00Z"),

        said("ticket_created", t + "6", "2026-11-23T12:00:00Z", kind="consult",
             category="veteran_services", status="answered", answer="请到服务站办理"),
        said("ticket_answered", t + "6", "2026-11-23T12:00:00Z"),
        said("ticket_closed", t + "6", "2026-11-23T12:00:01Z", unit_id=None, outcome="answered"),

        said("ticket_created", t + "7", "2026-11-23T00:00:00Z"),
    ]


def figures(received=0, accepted=0, resolved=0, closed_satisfied=0, reopened=0):
    return {"received": received, "accepted": accepted, "resolved": resolved,
            "closed_satisfied": closed_satisfied, "reopened": reopened}


def test_indicators_of_a_day_by_hand(service, deliver):
    deliver(*reversed(district_day()))  # arrival order does not matter

    answer = service.indicators(*DAY)

    assert answer["period"] == {"start": "2026-11-23T00:00:00.000Z",
                                "end": "2026-11-24T00:00:00.000Z"}
    assert answer["units"] == {
        GRID[0]: figures(received=3, accepted=1, resolved=1, closed_satisfied=1),
        PROPERTY[0]: figures(received=1, accepted=2, resolved=2, closed_satisfied=1, reopened=1),
        COMMITTEE[0]: figures(received=1, accepted=1, resolved=1),
        CENTRE[0]: figures(received=1),
    }
    assert answer["totals"] == figures(received=6, accepted=4, resolved=4, closed_satisfied=2,
                                       reopened=1)
    # T2..T7 were received in the day (T1 the day before); states as they stand now
    assert answer["by_state"] == {"closed": 3, "pending": 1, "resolved": 1, "received": 1}
    json.dumps(answer)


def test_the_next_day_counts_only_what_happened_in_it(service, deliver):
    deliver(*district_day())

    answer = service.indicators("2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z")

    assert answer["units"] == {GRID[0]: figures(accepted=1, resolved=1)}
    assert answer["totals"] == figures(accepted=1, resolved=1)
    assert answer["by_state"] == {}


def test_periods_may_be_given_in_shanghai_time(service, deliver):
    deliver(*district_day())
    # 08:00 Shanghai is midnight UTC: the same day as DAY
    local_day = service.indicators("2026-11-23T08:00:00+08:00", "2026-11-24T08:00:00+08:00")
    assert local_day == service.indicators(*DAY)


@pytest.mark.parametrize("start, end, field", [
    ("2026-11-24T00:00:00Z", "2026-11-23T00:00:00Z", "end"),
    ("2026-11-23T00:00:00Z", "2026-11-23T00:00:00Z", "end"),
    ("yesterday", "2026-11-23T00:00:00Z", "start"),
    ("2026-11-23T00:00:00Z", None, "end"),
    (20261123, "2026-11-24T00:00:00Z", "start"),
])
def test_indicators_refuse_a_bad_period(service, start, end, field):
    with pytest.raises(InvalidRequest) as raised:
        service.indicators(start, end)
    assert field in raised.value.errors
