"""Deadlines: the policy table, and the overdue decision, as plain functions."""
import datetime as dt

import pytest
from dispatch_support import POLICY, START

from services.dispatch import lifecycle
from services.dispatch.policy import Policy, read_file
from services.shared.errors import InvalidRequest

HOUR = dt.timedelta(hours=1)


def test_normal_tickets_get_the_normal_hours():
    assert Policy(POLICY).deadlines_for("home_repair", "normal", START) == {
        "accept_by": START + 2 * HOUR, "contact_by": START + 24 * HOUR,
        "resolve_by": START + 120 * HOUR}


def test_urgent_tickets_get_short_deadlines_in_fractions_of_hours():
    assert Policy(POLICY).deadlines_for("home_repair", "urgent", START) == {
        "accept_by": START + 30 * dt.timedelta(minutes=1), "contact_by": START + 2 * HOUR,
        "resolve_by": START + 24 * HOUR}


def test_a_category_override_changes_only_what_it_names():
    deadlines = Policy(POLICY).deadlines_for("elevator", "normal", START)
    assert deadlines["resolve_by"] == START + 360 * HOUR
    assert deadlines["accept_by"] == START + 2 * HOUR
    # the override is for normal tickets; urgent elevator tickets keep the urgent table
    urgent = Policy(POLICY).deadlines_for("elevator", "urgent", START)
    assert urgent["resolve_by"] == START + 24 * HOUR


def test_the_shipped_policy_allows_fifteen_days_for_building_safety():
    shipped = read_file("deploy/policy.yml")
    facade = shipped.deadlines_for("building_safety", "normal", START)
    assert facade["resolve_by"] == START + 360 * HOUR
    assert shipped.deadlines_for("street_light", "urgent", START)["contact_by"] == START + 2 * HOUR


@pytest.mark.parametrize("table", [
    {"deadlines": {"normal": {"accept": 2, "contact": 24, "resolve": 120}}},  # no urgent
    {"deadlines": {**POLICY["deadlines"], "normal": {"accept": -1, "contact": 24, "resolve": 1}}},
    {"deadlines": POLICY["deadlines"], "categories": {"ufo": {"normal": {"resolve": 1}}}},
    {"deadlines": POLICY["deadlines"], "categories": {"elevator": {"normal": {"fix": 1}}}},
    None,
])
def test_a_bad_policy_is_refused(table):
    with pytest.raises(InvalidRequest):
        Policy(table)


def state(status="dispatched", met=(), overdue=(), hours=(2, 24, 120)) -> dict:
    accept, contact, resolve = (START + n * HOUR for n in hours)
    return {"state": status, "met": list(met),
            "overdue": [{"deadline": name, "due_at": START} for name in overdue],
            "deadlines": {"accept_by": accept, "contact_by": contact, "resolve_by": resolve}}


def test_nothing_is_missed_before_its_deadline():
    assert lifecycle.missed_deadlines(state(), START + 2 * HOUR) == []


def test_a_passed_unmet_deadline_is_missed():
    assert lifecycle.missed_deadlines(state(), START + 3 * HOUR) == [("accept", START + 2 * HOUR)]
    assert [name for name, _ in lifecycle.missed_deadlines(state(), START + 200 * HOUR)] == [
        "accept", "contact", "resolve"]


def test_met_deadlines_are_not_missed_even_when_met_late():
    ticket = state("contacted", met=("accept", "contact"))
    assert lifecycle.missed_deadlines(ticket, START + 100 * HOUR) == []
    assert lifecycle.missed_deadlines(ticket, START + 121 * HOUR) == [
        ("resolve", START + 120 * HOUR)]


def test_a_reported_deadline_is_not_missed_again():
    ticket = state(overdue=("accept",))
    assert lifecycle.missed_deadlines(ticket, START + 30 * HOUR) == [("contact", START + 24 * HOUR)]


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_tickets_no_longer_open_miss_nothing(status):
    assert lifecycle.missed_deadlines(state(status), START + 500 * HOUR) == []


def test_a_ticket_waiting_at_the_centre_still_runs_late():
    assert [name for name, _ in lifecycle.missed_deadlines(state("pending", met=("accept",)),
                                                          START + 25 * HOUR)] == ["contact"]


def test_the_next_check_is_the_earliest_deadline_neither_met_nor_reported():
    assert lifecycle.next_check(state()) == START + 2 * HOUR
    assert lifecycle.next_check(state(met=("accept",))) == START + 24 * HOUR
    assert lifecycle.next_check(state(overdue=("accept", "contact"))) == START + 120 * HOUR
    assert lifecycle.next_check(state("resolved", met=("accept", "contact", "resolve"))) is None
