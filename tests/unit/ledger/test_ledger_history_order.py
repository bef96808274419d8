"""A ticket's history reads in the order things happened even when clocks do not agree:
dispatch's clock stepped back an hour, then forward, while intake's and callback's kept
time; the ledger heard it all out of order, as after an outage."""
import pytest
from ledger_events import READER, said

from services.ledger import record
from services.shared import clock
from services.shared.events import at_version

TICKET = "YP20261123-0007"


def caused(effect: dict, cause: dict) -> dict:
    return {**effect, "caused_by": cause["event_id"]}


@pytest.fixture
def story() -> list[dict]:
    """The ticket's events in the order they happened, each stamped by its source's clock."""
    created = said("ticket_created", TICKET, "2026-11-23T02:00:00Z")
    dispatched = at_version(caused(said("ticket_dispatched", TICKET, "2026-11-23T02:00:00.001Z"),
                                   created), 1)
    # dispatch's clock steps back an hour: its next changes say they came first
    accepted = at_version(said("ticket_accepted", TICKET, "2026-11-23T01:05:00Z"), 2)
    contacted = at_version(said("ticket_contacted", TICKET, "2026-11-23T01:10:00Z"), 3)
    # then an hour forward of the right time, then put right
    resolved = at_version(said("ticket_resolved", TICKET, "2026-11-23T03:30:00Z"), 4)
    scheduled = caused(said("callback_scheduled", TICKET, "2026-11-23T03:30:00.001Z"), resolved)
    # callback's clock kept time (02:45), but its outcome names the scheduling it follows
    # from and so is stamped just after it (events.new_event)
    completed = caused(said("callback_completed", TICKET, "2026-11-23T03:30:00.002Z",
                            outcome="unsatisfied"), scheduled)
    reopened = at_version(caused(said("ticket_reopened", TICKET, "2026-11-23T03:30:00.003Z"),
                                 completed), 5)
    resolved_again = at_version(said("ticket_resolved", TICKET, "2026-11-23T03:00:00Z",
                                     resolution="线路已修复"), 6)
    return [created, dispatched, accepted, contacted, resolved, scheduled, completed, reopened,
            resolved_again]


def types(items: list[dict]) -> list[str]:
    return [item["event_type"] for item in items]


def test_the_history_reads_in_causal_order_whatever_the_clocks_said(service, deliver, story):
    heard = [story[i] for i in (6, 2, 8, 0, 4, 7, 1, 5, 3)]  # each source's backlog in turn
    deliver(*heard)

    timeline = service.timeline(TICKET, READER)
    assert [item["event_id"] for item in timeline] == [event["event_id"] for event in story]
    assert types(timeline) == ["ticket_created", "ticket_dispatched", "ticket_accepted",
                               "ticket_contacted", "ticket_resolved", "callback_scheduled",
                               "callback_completed", "ticket_reopened", "ticket_resolved"]


def test_the_ticket_stands_where_its_latest_version_put_it(service, deliver, story):
    deliver(*story[:5])
    deliver(story[1])  # the first dispatch again, said an hour after the others by the clock
    view = service.ticket_view(TICKET, READER)
    assert view["state"] == "resolved"

    deliver(*story[5:])
    view = service.ticket_view(TICKET, READER)
    assert view["state"] == "resolved"
    assert view["reopen_count"] == 1
    [listed] = service.tickets(READER, ticket_nos=[TICKET])
    assert listed["summary"] == "办结: 线路已修复", "the latest entry is the last change, " \
        "not the one the clock put last"


def test_events_that_say_nothing_of_each_other_follow_their_times_then_the_ledgers_seq():
    def entry(event_id, at, seq, source="dispatch", **more):
        return {"_id": event_id, "occurred_at": at, "seq": seq, "source": source, **more}

    t = clock.parse_iso
    entries = [entry("b", t("2026-11-23T02:00:00Z"), 2, source="intake"),
               entry("a", t("2026-11-23T02:00:00Z"), 1, source="callback"),
               entry("c", t("2026-11-23T01:00:00Z"), 3, ticket_version=2),
               entry("d", t("2026-11-23T03:00:00Z"), 4, ticket_version=1)]
    assert [e["_id"] for e in record.causal_order(entries)] == ["a", "b", "d", "c"]


def test_links_that_go_round_in_a_circle_still_give_every_entry_once():
    at = clock.parse_iso("2026-11-23T02:00:00Z")
    entries = [{"_id": "x", "occurred_at": at, "seq": 1, "source": "dispatch", "caused_by": "y"},
               {"_id": "y", "occurred_at": at, "seq": 2, "source": "dispatch", "caused_by": "x"}]
    assert [e["_id"] for e in record.causal_order(entries)] == ["x", "y"]


def test_the_indicators_credit_the_callback_to_the_resolution_it_rated(service, deliver, story):
    deliver(*story)
    [row] = service.indicators(READER, "2026-11-23", "2026-11-24", group_by=["unit"])["rows"]
    assert (row["unit_id"], row["resolved"], row["unsatisfied"], row["reopened"]) == (
        "yinhang-grid-1", 2, 1, 1)
