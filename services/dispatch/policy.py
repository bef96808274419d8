"""Deadlines: how long a unit has to sign for a ticket (accept), contact the caller
(contact) and resolve it (resolve), counted from the moment it is dispatched.

The policy file (``POLICY_FILE``, e.g. deploy/policy.yml; other cities' in deploy/policies/)
is a list of rules. A rule may match tickets by ``category``, ``kind`` and ``urgency`` (a
value or a list of values; a matcher left out matches anything) and sets some of the three
deadlines, each as an amount of ``hours`` or of ``working_days``::

    rules:
      - deadlines: {accept: {hours: 2}, contact: {working_days: 1}, resolve: {working_days: 5}}
      - urgency: urgent
        deadlines: {accept: {hours: 0.5}, contact: {hours: 2}, resolve: {working_days: 1}}
      - category: [building_safety, elevator]
        deadlines: {resolve: {working_days: 15}}

**Which rule wins.** For each deadline on its own, the most specific matching rule that sets
it: the one with more matchers; between rules with as many, the one matching urgency, then
the one matching category, then the one matching kind (an urgent ticket's short clock is
the point of urgency, so it outranks a category's longer one). A rule without matchers, the
default, must set all three, so every ticket gets every deadline. Two rules with the same
matchers that could match one ticket and set the same deadline are refused: the file would
not say which applies.

**Hours** are clock hours from the moment of dispatch, day and night, holidays included;
fractions are allowed (half an hour to sign for an urgent ticket).

**Working days** follow the Chinese statutory calendar (the ``chinese-calendar`` package):
public holidays are rest days and the weekend days worked in exchange for them (调休) are
working days. For a year the package does not know yet, Monday to Friday are the working
days, and a warning is logged once for that year. N working days from a dispatch moment,
read as a wall-clock time in Shanghai, are counted so:

1. The count starts at the first working moment at or after dispatch. A dispatch on a
   working day at or after the working-day start (``WORKDAY_START``, default 09:00) starts
   it at once; one earlier that day starts it at the working-day start; one on a rest day
   starts it at the working-day start of the next working day.
2. The deadline is the same time of day as that start, on the Nth working day after the
   start's day.

So 1 working day from Tuesday 2025-09-30 10:00 is Thursday 2025-10-09 10:00 (October 1–8
are the National Day holiday); from Friday 2025-10-10 10:00 it is Saturday 2025-10-11
10:00, a working Saturday; from Friday 2025-10-03 15:00, a holiday, it is Friday 2025-10-10
09:00 (the count starts Thursday 2025-10-09 at 09:00).

**Photos at resolve** (现场照片): ``photos_at_resolve`` names categories whose tickets are
resolved (办结) only with at least ``photos`` photos of the site attached since the ticket
was last dispatched (with the resolve itself or before it)::

    photos_at_resolve:
      - category: [street_light, building_safety, home_repair]
        photos: 2

``Policy.photos_required`` says how many a category needs (0: none); where two entries
name a category, the larger count holds. The rule itself: steps.photos_missing.

``Policy.deadlines_for`` is the one place deadlines are computed: for a new ticket, a
reassignment and a reopening alike. Extensions and pauses move a deadline in force later
(lifecycle.py); they do not compute one.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any, cast

import chinese_calendar
import yaml
from marshmallow import ValidationError, fields, validate, validates_schema

from services.dispatch.ticket_state import DeadlineName, Deadlines
from services.shared import clock
from services.shared.errors import InvalidRequest
from services.shared.payloads import DEADLINE_NAMES
from services.shared.schemas import CATEGORIES, KINDS, URGENCIES, StrictSchema, load

log = logging.getLogger(__name__)

# accept, contact, resolve: in the order a unit meets them (the contract's names, each a
# DeadlineName: a unit test holds the two together)
DEADLINES = cast("tuple[DeadlineName, ...]", DEADLINE_NAMES)
MATCHERS = ("urgency", "category", "kind")  # in the order they outrank each other
DEFAULT_WORKDAY_START = dt.time(9, 0)
DEFAULT_WARN_SHARE = 0.8
# A run of rest days longer than this means the calendar is broken, not a long holiday.
LONGEST_REST = 60


# The file
class AmountSchema(StrictSchema):
    """One deadline: ``{hours: 2}`` or ``{working_days: 5}``."""

    hours = fields.Float(validate=validate.Range(min=0, min_inclusive=False))
    working_days = fields.Integer(strict=True, validate=validate.Range(min=1))

    @validates_schema
    def _one_unit(self, data: dict, **kwargs) -> None:
        if len(data) != 1:
            raise ValidationError("Give either hours or working_days.")


class DeadlineAmountsSchema(StrictSchema):
    accept = fields.Nested(AmountSchema)
    contact = fields.Nested(AmountSchema)
    resolve = fields.Nested(AmountSchema)


class OneOrMany(fields.Field):
    """A matcher: one value or a list of them, loaded as a list."""

    def __init__(self, choices: tuple[str, ...], **kwargs):
        super().__init__(**kwargs)
        self.one = validate.OneOf(choices)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> list[str]:
        chosen = value if isinstance(value, list) else [value]
        if not chosen or not all(isinstance(item, str) for item in chosen):
            raise ValidationError("A value, or a list of values.")
        for item in chosen:
            self.one(item)
        return chosen


class RuleSchema(StrictSchema):
    urgency = OneOrMany(URGENCIES)
    category = OneOrMany(CATEGORIES)
    kind = OneOrMany(KINDS)
    deadlines = fields.Nested(DeadlineAmountsSchema, required=True)


class PhotosRuleSchema(StrictSchema):
    category = OneOrMany(CATEGORIES, required=True)
    photos = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=10))


class PolicySchema(StrictSchema):
    rules = fields.List(fields.Nested(RuleSchema), required=True, validate=validate.Length(min=1))
    photos_at_resolve = fields.List(fields.Nested(PhotosRuleSchema), load_default=list)

    @validates_schema
    def _every_ticket_gets_one_answer(self, data: dict, **kwargs) -> None:
        rules = data.get("rules") or []
        defaults = [rule for rule in rules if not _matchers(rule)]
        if not any(set(rule["deadlines"]) == set(DEADLINES) for rule in defaults):
            raise ValidationError("A rule without matchers must set accept, contact and "
                                  "resolve: the default for every ticket.", "rules")
        for first, rule in enumerate(rules):
            for second in range(first + 1, len(rules)):
                clash = _clash(rule, rules[second])
                if clash:
                    raise ValidationError(
                        f"Rules {first + 1} and {second + 1} both set {clash} for the same "
                        f"tickets with the same matchers; say which applies.", "rules")


def _matchers(rule: dict) -> tuple[str, ...]:
    return tuple(name for name in MATCHERS if name in rule)


def _clash(rule: dict, other: dict) -> str | None:
    """The deadline two equally ranked rules would both set for one ticket, if any."""
    if _matchers(rule) != _matchers(other):
        return None
    if any(not set(rule[name]) & set(other[name]) for name in _matchers(rule)):
        return None
    shared = [name for name in DEADLINES
              if name in rule["deadlines"] and name in other["deadlines"]]
    return shared[0] if shared else None


def _rank(rule: dict) -> tuple:
    """More matchers first; at equal count urgency, then category, then kind."""
    return (len(_matchers(rule)),) + tuple(name in rule for name in MATCHERS)


# The calendar
class WorkingCalendar:
    """Which days are worked: the Chinese statutory calendar, 调休 included; Monday to
    Friday (with a warning, once a year) where the calendar package has no data."""

    def __init__(self) -> None:
        self._unknown_years: set[int] = set()

    def is_working_day(self, day: dt.date) -> bool:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # the package covers the years it was released for
            if day.year not in self._unknown_years:
                self._unknown_years.add(day.year)
                log.warning("no statutory calendar for %s; counting Monday to Friday as working "
                            "days (upgrade chinese-calendar)", day.year)
            return day.weekday() < 5

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day after ``day``."""
        for _ in range(LONGEST_REST):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise RuntimeError(f"no working day in {LONGEST_REST} days after {day}")

    def add_working_days(self, start: dt.datetime, days: int,
                         workday_start: dt.time = DEFAULT_WORKDAY_START) -> dt.datetime:
        """``days`` working days from ``start``, as the module docstring defines them."""
        local = clock.local(start)
        day, time_of_day = local.date(), local.time()
        if not self.is_working_day(day):
            day, time_of_day = self.next_working_day(day), workday_start
        elif time_of_day < workday_start:
            time_of_day = workday_start
        for _ in range(days):
            day = self.next_working_day(day)
        return clock.as_utc(dt.datetime.combine(day, time_of_day, tzinfo=clock.SHANGHAI))


# The policy
class Policy:
    """The deadline rules, the working calendar they count in, and the share of a deadline's
    window after which it is near (``warn_share``: 0.8 warns when 80% has passed)."""

    def __init__(self, table: Any, *, workday_start: dt.time = DEFAULT_WORKDAY_START,
                 warn_share: float = DEFAULT_WARN_SHARE,
                 calendar: WorkingCalendar | None = None):
        if not 0 < warn_share <= 1:
            raise ValueError(f"WARN_SHARE must be above 0 and at most 1, not {warn_share}")
        loaded = load(PolicySchema(), table)
        self.rules = sorted(loaded["rules"], key=_rank, reverse=True)
        self.photos_at_resolve: dict[str, int] = {}
        for entry in loaded["photos_at_resolve"]:
            for category in entry["category"]:
                self.photos_at_resolve[category] = max(
                    entry["photos"], self.photos_at_resolve.get(category, 0))
        self.workday_start = workday_start
        self.warn_share = warn_share
        self.calendar = calendar or WorkingCalendar()

    def amounts(self, category: str, kind: str, urgency: str) -> dict[str, dict]:
        """Each deadline's amount ({hours} or {working_days}) for such a ticket."""
        ticket = {"category": category, "kind": kind, "urgency": urgency}
        amounts: dict[str, dict] = {}
        for rule in self.rules:  # most specific first
            if all(ticket[name] in rule[name] for name in _matchers(rule)):
                for name, amount in rule["deadlines"].items():
                    amounts.setdefault(name, amount)
        return amounts

    def photos_required(self, category: str) -> int:
        """How many photos of the site a ticket of ``category`` needs to be resolved."""
        return self.photos_at_resolve.get(category, 0)

    def deadlines_for(self, ticket: Mapping[str, Any], start: dt.datetime) -> Deadlines:
        """``accept_by``, ``contact_by`` and ``resolve_by`` for a ticket (anything with its
        ``category``, ``kind`` and ``urgency``) dispatched at ``start``."""
        amounts = self.amounts(ticket["category"], ticket["kind"], ticket["urgency"])
        due = {name: to_millis(self._after(start, amounts[name])) for name in DEADLINES}
        return {"accept_by": due["accept"], "contact_by": due["contact"],
                "resolve_by": due["resolve"]}

    def _after(self, start: dt.datetime, amount: dict) -> dt.datetime:
        if "hours" in amount:
            return start + dt.timedelta(hours=amount["hours"])
        return self.calendar.add_working_days(start, amount["working_days"], self.workday_start)


def to_millis(moment: dt.datetime) -> dt.datetime:
    # MongoDB keeps milliseconds; cut here so a deadline reads back as it was computed.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_time_of_day(text: Any) -> dt.time:
    """``"09:00"`` as a time; ValueError otherwise (a config setting such as WORKDAY_START)."""
    try:
        hours, minutes = str(text).strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"a time of day is HH:MM, not {text!r}") from None


def read_file(path: str, **settings: Any) -> Policy:
    """The policy from a YAML file (``settings`` as Policy takes them); InvalidRequest naming
    what is wrong with it."""
    with open(path, encoding="utf-8") as file:
        table = yaml.safe_load(file)
    try:
        return Policy(table, **settings)
    except InvalidRequest as exc:
        raise InvalidRequest({path: exc.errors}) from None
