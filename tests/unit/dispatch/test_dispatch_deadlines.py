"""The deadline clock (timing.py) and what the timer says (supervision.check_deadlines), as plain
functions of a state document."""
import datetime as dt

import pytest
from dispatch_support import START

from services.dispatch import supervision, timing

HOUR = dt.timedelta(hours=1)


def state(status="dispatched", met=(), overdue=(), warned=(), hours=(2, 24, 120),
          share=0.8, pauses=(), paused_hours=0.0) -> dict:
    accept, contact, resolve = (START + n * HOUR for n in hours)
    return {"ticket_no": "YP-1", "unit_id": "kaichen", "state": status, "met": list(met),
            "overdue": [{"deadline": name, "due_at": START} for name in overdue],
            "warned": [{"deadline": name, "due_at": START} for name in warned],
            "deadlines": {"accept_by": accept, "contact_by": contact, "resolve_by": resolve},
            "dispatched_at": START, "warn_share": share, "pauses": list(pauses),
            "paused_hours": paused_hours}


PAUSED = {"status": "in_force", "since": START, "resume_on": START + 48 * HOUR}


def test_nothing_is_missed_before_its_deadline():
    assert timing.missed_deadlines(state(), START + 2 * HOUR) == []


def test_a_passed_unmet_deadline_is_missed():
    assert timing.missed_deadlines(state(), START + 3 * HOUR) == [("accept", START + 2 * HOUR)]
    assert [name for name, _ in timing.missed_deadlines(state(), START + 200 * HOUR)] == [
        "accept", "contact", "resolve"]


def test_met_deadlines_are_not_missed_even_when_met_late():
    ticket = state("contacted", met=("accept", "contact"))
    assert timing.missed_deadlines(ticket, START + 100 * HOUR) == []
    assert timing.missed_deadlines(ticket, START + 121 * HOUR) == [("resolve", START + 120 * HOUR)]


def test_a_reported_deadline_is_not_missed_again():
    ticket = state(overdue=("accept",))
    assert timing.missed_deadlines(ticket, START + 30 * HOUR) == [("contact", START + 24 * HOUR)]


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_tickets_no_longer_open_miss_nothing(status):
    assert timing.missed_deadlines(state(status), START + 500 * HOUR) == []


def test_a_ticket_waiting_at_the_centre_still_runs_late():
    assert [name for name, _ in timing.missed_deadlines(state("pending", met=("accept",)),
                                                       START + 25 * HOUR)] == ["contact"]


def test_a_deadline_is_near_once_the_share_of_its_window_has_passed():
    # accept: 2 h window, near after 96 minutes; contact: 24 h, near after 19.2 h
    assert timing.near_deadlines(state(), START + 95 * dt.timedelta(minutes=1)) == []
    assert timing.near_deadlines(state(), START + 96 * dt.timedelta(minutes=1)) == [
        ("accept", START + 2 * HOUR)]
    assert timing.near_deadlines(state(met=("accept",)), START + 20 * HOUR) == [
        ("contact", START + 24 * HOUR)]
    assert timing.near_deadlines(state(share=0.5), START + HOUR) == [("accept", START + 2 * HOUR)]


def test_a_deadline_passed_or_warned_of_is_not_near():
    assert timing.near_deadlines(state(), START + 3 * HOUR) == []
    assert timing.near_deadlines(state(warned=("accept",)), START + 100 * dt.timedelta(
        minutes=1)) == []
    assert timing.near_deadlines(state(share=1), START + 2 * HOUR - dt.timedelta(seconds=1)) == []


def test_a_paused_resolve_clock_is_neither_near_nor_missed():
    paused = state("accepted", met=("accept",), pauses=[PAUSED])
    assert timing.missed_deadlines(paused, START + 200 * HOUR) == [("contact", START + 24 * HOUR)]
    assert timing.near_deadlines(paused, START + 110 * HOUR) == []


def test_after_a_pause_the_resolve_window_starts_later_by_the_time_paused():
    # paused 24 h: resolve due at 144 h, its 120 h window starting at 24 h, near at 120 h
    resumed = state("contacted", met=("accept", "contact"), hours=(2, 24, 144),
                    paused_hours=24.0)
    assert timing.warn_at(resumed, "resolve") == START + 120 * HOUR


def test_the_next_check_is_the_earliest_moment_something_is_to_be_said():
    assert timing.next_check(state()) == START + 96 * dt.timedelta(minutes=1)   # accept near
    assert timing.next_check(state(warned=("accept",))) == START + 2 * HOUR    # accept due
    assert timing.next_check(state(met=("accept",))) == START + 19.2 * HOUR     # contact near
    assert timing.next_check(state(overdue=("accept", "contact"))) == START + 96 * HOUR
    assert timing.next_check(state("resolved", met=("accept", "contact", "resolve"))) is None
    paused = state("contacted", met=("accept", "contact"), pauses=[PAUSED])
    assert timing.next_check(paused) == START + 48 * HOUR  # the pause's end


def test_the_timer_warns_then_reports_each_deadline_once():
    ticket = state()
    near = supervision.check_deadlines(ticket, START + 100 * dt.timedelta(minutes=1))
    assert [(e["event_type"], e["data"]["deadline"], e["data"]["share"]) for e in near.events] \
        == [("ticket_warning", "accept", 0.8)]
    ticket.update(near.fields)
    assert supervision.check_deadlines(ticket, START + 110 * dt.timedelta(minutes=1)) is None
    late = supervision.check_deadlines(ticket, START + 2 * HOUR + dt.timedelta(seconds=1))
    assert [e["event_type"] for e in late.events] == ["ticket_overdue"]
    ticket.update(late.fields)
    assert supervision.check_deadlines(ticket, START + 3 * HOUR) is None


def test_a_deadline_found_passed_is_reported_without_a_warning():
    change = supervision.check_deadlines(state(), START + 25 * HOUR)
    assert [(e["event_type"], e["data"]["deadline"]) for e in change.events] == [
        ("ticket_overdue", "accept"), ("ticket_overdue", "contact")]
