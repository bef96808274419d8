"""The deadline policy: which rule applies, and how hours and working days count, on real
dates of the Chinese statutory calendar (2025's National Day holiday, October 1–8, with
the working Sunday 2025-09-28 and the working Saturday 2025-10-11)."""
import datetime as dt
import logging

import pytest
from dispatch_support import POLICY, START

from services.dispatch.policy import Policy, WorkingCalendar, parse_time_of_day, read_file
from services.shared import clock
from services.shared.errors import InvalidRequest

HOUR = dt.timedelta(hours=1)


def shanghai(*args) -> dt.datetime:
    """A wall-clock time in Shanghai, as the aware UTC moment the code carries."""
    return clock.as_utc(dt.datetime(*args, tzinfo=clock.SHANGHAI))


def deadlines(policy: Policy, start: dt.datetime, category="home_repair", kind="help",
              urgency="normal") -> dict:
    return policy.deadlines_for({"category": category, "kind": kind, "urgency": urgency}, start)


def in_days(days: int, **matchers) -> dict:
    """A policy whose default resolves in ``days`` working days."""
    return {"rules": [{**matchers, "deadlines": {
        "accept": {"hours": 2}, "contact": {"hours": 24}, "resolve": {"working_days": days}}}]}


# Which rule applies
def test_clock_hours_count_from_dispatch_in_fractions():
    assert deadlines(Policy(POLICY), START) == {
        "accept_by": START + 2 * HOUR, "contact_by": START + 24 * HOUR,
        "resolve_by": START + 120 * HOUR}
    assert deadlines(Policy(POLICY), START, urgency="urgent")["accept_by"] == START + HOUR / 2


def test_each_deadline_comes_from_the_most_specific_rule_that_sets_it():
    normal_lift = deadlines(Policy(POLICY), START, category="elevator")
    assert normal_lift["resolve_by"] == START + 360 * HOUR  # category and urgency
    assert normal_lift["accept_by"] == START + 2 * HOUR     # the default's
    assert deadlines(Policy(POLICY), START, category="elevator", urgency="urgent")[
        "resolve_by"] == START + 24 * HOUR


def test_urgency_outranks_category_and_category_outranks_kind():
    policy = Policy({"rules": [
        *in_days(5)["rules"],
        {"kind": "complaint", "deadlines": {"resolve": {"hours": 300}}},
        {"category": "elevator", "deadlines": {"resolve": {"hours": 200}}},
        {"urgency": "urgent", "deadlines": {"resolve": {"hours": 100}}},
    ]})
    lift_complaint = {"category": "elevator", "kind": "complaint"}
    assert deadlines(policy, START, **lift_complaint)["resolve_by"] == START + 200 * HOUR
    assert deadlines(policy, START, **lift_complaint, urgency="urgent")["resolve_by"] == \
        START + 100 * HOUR
    assert deadlines(policy, START, kind="complaint")["resolve_by"] == START + 300 * HOUR


def test_the_shipped_policy_follows_the_hotline_rules_of_thumb():
    shipped = read_file("deploy/policy.yml")
    monday = shanghai(2026, 11, 23, 10, 0)
    ordinary = deadlines(shipped, monday)
    assert ordinary["accept_by"] == monday + 2 * HOUR
    assert ordinary["contact_by"] == shanghai(2026, 11, 24, 10, 0)   # 1 working day
    assert ordinary["resolve_by"] == shanghai(2026, 11, 30, 10, 0)   # 5 working days
    urgent = deadlines(shipped, monday, urgency="urgent")
    assert (urgent["accept_by"], urgent["contact_by"], urgent["resolve_by"]) == (
        monday + HOUR / 2, monday + 2 * HOUR, shanghai(2026, 11, 24, 10, 0))
    for category in ("building_safety", "elevator"):                 # 15 working days
        assert deadlines(shipped, monday, category=category)["resolve_by"] == \
            shanghai(2026, 12, 14, 10, 0)


def test_guangdong_sets_the_resolve_deadline_by_kind():
    guangdong = read_file("deploy/policies/guangdong.yml")
    monday = shanghai(2026, 11, 23, 10, 0)
    resolve_by = {kind: deadlines(guangdong, monday, kind=kind)["resolve_by"]
                  for kind in ("consult", "help", "suggestion", "complaint", "report")}
    assert resolve_by == {
        "consult": shanghai(2026, 11, 25, 10, 0),     # 2 working days
        "help": shanghai(2026, 12, 7, 10, 0),         # 10
        "suggestion": shanghai(2026, 12, 7, 10, 0),
        "complaint": shanghai(2026, 12, 14, 10, 0),   # 15
        "report": shanghai(2026, 12, 14, 10, 0)}
    assert deadlines(guangdong, monday, kind="complaint", urgency="urgent")["contact_by"] == \
        monday + 2 * HOUR


@pytest.mark.parametrize("table", [
    None,
    {"rules": []},
    {"deadlines": {"normal": {"accept": 2, "contact": 24, "resolve": 120}}},  # the old table
    {"rules": [{"urgency": "urgent", "deadlines": in_days(5)["rules"][0]["deadlines"]}]},
    {"rules": [{"deadlines": {"accept": {"hours": 2}, "contact": {"hours": 24}}}]},
    in_days(0),
    {"rules": [{"deadlines": {**in_days(5)["rules"][0]["deadlines"], "accept": {"hours": -1}}}]},
    {"rules": [{"deadlines": {**in_days(5)["rules"][0]["deadlines"],
                              "accept": {"hours": 1, "working_days": 1}}}]},
    {"rules": [{"deadlines": {**in_days(5)["rules"][0]["deadlines"], "fix": {"hours": 1}}}]},
    {"rules": [*in_days(5)["rules"], *in_days(5, category="ufo")["rules"]]},
    {"rules": [*in_days(5)["rules"], *in_days(1.5, kind="help")["rules"]]},
    # same matchers, overlapping values, both set resolve: which one applies?
    {"rules": [*in_days(5)["rules"], *in_days(2, kind=["help", "consult"])["rules"],
               *in_days(3, kind="consult")["rules"]]},
])
def test_a_bad_policy_is_refused(table):
    with pytest.raises(InvalidRequest):
        Policy(table)


def test_rules_with_the_same_matchers_may_share_a_deadline_for_different_tickets():
    policy = Policy({"rules": [*in_days(5)["rules"], *in_days(2, kind="consult")["rules"],
                               *in_days(15, kind=["complaint", "report"])["rules"]]})
    assert deadlines(policy, START, kind="report")["resolve_by"] == \
        deadlines(Policy(in_days(15)), START)["resolve_by"]


def test_a_bad_policy_file_is_named_in_the_error(tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text("rules: []\n")
    with pytest.raises(InvalidRequest) as refused:
        read_file(str(path))
    assert str(path) in refused.value.errors


@pytest.mark.parametrize("share", [0, -0.2, 1.5])
def test_the_warning_share_is_a_part_of_the_window(share):
    with pytest.raises(ValueError):
        Policy(POLICY, warn_share=share)


# Working days
def one_working_day_from(*moment) -> dt.datetime:
    return deadlines(Policy(in_days(1)), shanghai(*moment))["resolve_by"]


def test_the_national_day_holiday_is_not_worked():
    # Tuesday before the holiday: the next working day is Thursday October 9
    assert one_working_day_from(2025, 9, 30, 10, 0) == shanghai(2025, 10, 9, 10, 0)


def test_swapped_weekend_days_are_worked():
    # Sunday 2025-09-28 is a working day: a dispatch then counts from its own time
    assert one_working_day_from(2025, 9, 28, 10, 0) == shanghai(2025, 9, 29, 10, 0)
    # Saturday 2025-10-11 is a working day: one working day after Friday the 10th
    assert one_working_day_from(2025, 10, 10, 10, 0) == shanghai(2025, 10, 11, 10, 0)
    # Saturday 2025-09-27 is not: the deadline after Friday the 26th is that Sunday
    assert one_working_day_from(2025, 9, 26, 16, 30) == shanghai(2025, 9, 28, 16, 30)


def test_a_dispatch_on_a_rest_day_counts_from_the_next_working_morning():
    # October 3 is a holiday: the count starts Thursday 9th at 09:00
    assert one_working_day_from(2025, 10, 3, 15, 0) == shanghai(2025, 10, 10, 9, 0)
    # an ordinary Sunday
    assert one_working_day_from(2025, 11, 16, 20, 0) == shanghai(2025, 11, 18, 9, 0)


def test_a_dispatch_before_the_working_day_starts_counts_from_its_start():
    assert one_working_day_from(2025, 11, 17, 6, 30) == shanghai(2025, 11, 18, 9, 0)
    # after hours on a working day counts from the dispatch itself
    assert one_working_day_from(2025, 11, 17, 22, 15) == shanghai(2025, 11, 18, 22, 15)


def test_the_working_day_start_is_configurable():
    policy = Policy(in_days(1), workday_start=parse_time_of_day("08:30"))
    assert deadlines(policy, shanghai(2025, 10, 5, 12, 0))["resolve_by"] == \
        shanghai(2025, 10, 10, 8, 30)
    with pytest.raises(ValueError):
        parse_time_of_day("9 o'clock")


def test_five_working_days_across_the_holiday():
    # Sunday 28 (worked), Monday 29, Tuesday 30, then Thursday October 9 and Friday 10
    five = deadlines(Policy(in_days(5)), shanghai(2025, 9, 26, 11, 0))["resolve_by"]
    assert five == shanghai(2025, 10, 10, 11, 0)
    # October 9, 10, 11 (the working Saturday), 13, 14
    assert deadlines(Policy(in_days(5)), shanghai(2025, 9, 30, 11, 0))["resolve_by"] == \
        shanghai(2025, 10, 14, 11, 0)


def test_a_year_the_calendar_does_not_know_counts_monday_to_friday(caplog):
    calendar = WorkingCalendar()
    far = dt.date(2099, 1, 1)  # a Thursday, and a holiday in any calendar that knew 2099
    with caplog.at_level(logging.WARNING):
        assert calendar.is_working_day(far)
        assert not calendar.is_working_day(dt.date(2099, 1, 3))  # Saturday
        assert calendar.next_working_day(dt.date(2099, 1, 2)) == dt.date(2099, 1, 5)
    warnings = [record for record in caplog.records if "2099" in record.getMessage()]
    assert len(warnings) == 1  # once for the year, not once per day
