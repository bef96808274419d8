"""What changed since a cursor, for pages that keep themselves up to date: a unit's queue
learns of a ticket dispatched to it (urgent, welfare) and of nothing of another unit's;
the centre of tickets sent back to it; a reader who may not read a page is refused."""
import datetime as dt
import time

import pytest
from ledger_events import CENTRE, GRID, PROPERTY, READER, said

from services.ledger import live
from services.shared import clock
from services.shared.errors import InvalidRequest, NotPermitted

WELFARE, OTHER, RETURNED = "YP20261123-0001", "YP20261123-0002", "YP20261123-0003"
GRID_WORKER = {"id": "zhou", "name": "网格员 周伟", "role": "unit_staff", "unit_id": GRID[0]}
PROPERTY_WORKER = {"id": "li", "name": "物业 李", "role": "unit_staff", "unit_id": PROPERTY[0]}
DISPATCHER = {"id": "chen", "name": "派单员 陈", "role": "dispatcher", "unit_id": "centre"}
AGENT = {"id": "wu", "name": "话务员 吴", "role": "agent", "unit_id": None}
AT = "2026-11-23T02:00:00Z"


def cursor_now() -> str:
    """A cursor after everything recorded so far."""
    time.sleep(0.005)
    cursor = clock.iso(clock.now())
    time.sleep(0.005)  # what is recorded next is recorded after it
    return cursor


@pytest.fixture
def since(service):
    """A cursor taken before anything was recorded."""
    return service.changes(READER, "supervision")["cursor"]


def test_a_welfare_ticket_dispatched_to_a_unit_is_told_to_its_queue_and_to_no_other(
        service, deliver, since):
    deliver(said("ticket_created", WELFARE, AT, category="welfare_check", urgency="urgent",
                 channel="checkin"),
            said("ticket_dispatched", WELFARE, AT, category="welfare_check"),
            said("ticket_created", OTHER, AT),
            said("ticket_dispatched", OTHER, AT, unit=PROPERTY))

    told = service.changes(GRID_WORKER, f"queue:{GRID[0]}", since)

    assert told["changed"] and told["complete"]
    [ticket] = told["tickets"]
    assert ticket["ticket_no"] == WELFARE
    assert (ticket["welfare"], ticket["urgent"], ticket["event_type"]) == (
        True, True, "ticket_dispatched")
    assert ticket["seq"] == 2
    others = service.changes(PROPERTY_WORKER, f"queue:{PROPERTY[0]}", since)
    assert [t["ticket_no"] for t in others["tickets"]] == [OTHER]
    assert not others["tickets"][0]["welfare"]


def test_nothing_new_since_the_last_cursor_is_nothing_changed(service, deliver, since):
    deliver(said("ticket_created", OTHER, AT), said("ticket_dispatched", OTHER, AT))
    first = service.changes(GRID_WORKER, f"queue:{GRID[0]}", since)
    assert first["changed"]

    later = service.changes(GRID_WORKER, f"queue:{GRID[0]}", cursor_now())

    assert (later["changed"], later["tickets"], later["complete"]) == (False, [], True)


def test_a_ticket_sent_back_is_told_to_the_centre_and_as_gone_to_the_unit(
        service, deliver, since):
    deliver(said("ticket_created", RETURNED, AT), said("ticket_dispatched", RETURNED, AT))
    after_dispatch = cursor_now()
    deliver(said("ticket_returned", RETURNED, AT))

    centre = service.changes(DISPATCHER, "centre", since)
    assert [t["ticket_no"] for t in centre["tickets"]] == [RETURNED]
    unit = service.changes(GRID_WORKER, f"queue:{GRID[0]}", after_dispatch)
    assert unit["changed"]
    assert RETURNED in [t["ticket_no"] for t in unit["tickets"]] + unit["gone"]
    deliver(said("ticket_dispatched", RETURNED, AT, unit=PROPERTY, reason="reassigned",
                 previous_unit_id=CENTRE[0]))
    assert RETURNED in [t["ticket_no"] for t in service.changes(DISPATCHER, "centre",
                                                                 after_dispatch)["tickets"]]


def test_a_cursor_too_old_or_missing_asks_the_page_to_read_its_list_again(service):
    old = clock.iso(clock.now() - live.LOOKBACK - dt.timedelta(minutes=1))
    for cursor in (None, old):
        told = service.changes(READER, "centre", cursor)
        assert (told["complete"], told["changed"]) == (False, True)
        assert clock.parse_iso(told["cursor"]) <= clock.now()


@pytest.mark.parametrize("reader, scope", [
    (GRID_WORKER, f"queue:{PROPERTY[0]}"),  # another unit's queue
    (GRID_WORKER, "centre"),
    (GRID_WORKER, "supervision"),
    (AGENT, "centre"),
])
def test_a_page_the_reader_may_not_read_is_refused(service, reader, scope):
    with pytest.raises(NotPermitted):
        service.changes(reader, scope)


@pytest.mark.parametrize("scope", ["queue:", "everything", ""])
def test_a_scope_naming_no_page_is_bad_input(service, scope):
    with pytest.raises(InvalidRequest):
        service.changes(READER, scope)


def test_the_minutes_looked_in_run_from_the_cursor_to_the_minute_after_now():
    start = dt.datetime(2026, 11, 23, 2, 4, 59, tzinfo=dt.UTC)
    end = dt.datetime(2026, 11, 23, 2, 6, 1, tzinfo=dt.UTC)
    assert live.minutes_between(start, end) == [
        "2026-11-23T02:04", "2026-11-23T02:05", "2026-11-23T02:06", "2026-11-23T02:07"]


def test_the_changes_are_read_by_minute_not_from_every_entry(service, deliver, since, store):
    deliver(said("ticket_created", OTHER, AT), said("ticket_dispatched", OTHER, AT))
    queries = []
    real_find = store.entries.find

    def counting(query=None, *args, **kwargs):
        queries.append(query)
        return real_find(query, *args, **kwargs)

    store.entries.find = counting
    service.changes(READER, "supervision", since)
    assert queries and all(set(query) == {"recorded_minute"} for query in queries)
