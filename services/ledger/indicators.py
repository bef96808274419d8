"""The figures a district is judged by, for a period and a grouping, added up from the
day buckets that services/ledger/contributions.py keeps as events arrive.

**Period.** Whole Shanghai calendar days: [start, end), start included, end excluded,
both at 00:00 Asia/Shanghai. Every fact falls on the Shanghai day of the event that
says it, except a reopening (on the day of the resolution it undid, see *reopened*) and
*by_state* (by the day the ticket was received).

**Grouping.** By any of unit, subdistrict and category (the ticket's, as intake received
it) and person (``assignee``, 承办人: the person of the unit answering for the ticket when
it was signed for, contacted or resolved, and whose resolution a callback rated; facts of
nobody's, such as received tickets, fall under a null person; supervisors and admins
only), and over time by day or by week (weeks start on Monday; the first and last week of
a period hold only its days). Without a grouping there is one row: the whole period.
A group in which nothing was counted has no row. ``totals`` are the whole period
ungrouped; ``units`` the whole period by unit (the figures of the first version).

**Credit.** A fact goes to the unit its event names. Where the event names none: a
callback's result and a satisfied closure to the unit whose resolution (the ticket's
latest ``ticket_resolved`` before it) was called back; a merged repeat call to the unit
the ticket was last dispatched to before it (none before dispatch); praise to the unit
the caller named, otherwise to the unit the praised ticket was last dispatched to.

The figures:

- **received** (受理量): tickets dispatched to a unit. Grouped by unit, a ticket counts
  once for each unit it was dispatched to, on the day of its first dispatch to that unit
  (routing or reassignment; it coming back to the same unit does not count again).
  Otherwise, each ticket counts once, on the day of its first dispatch. A ticket no rule
  routed counts for the centre (``centre``). Consultations answered at intake and praise
  calls are never dispatched and are not counted.
- **accepted**, **contacted**, **resolved** (签收, 联系, 办结): ``ticket_accepted``,
  ``ticket_contacted``, ``ticket_resolved`` events. Every one counts: a ticket resolved
  again after a reopening counts again.
- **accepted_on_time** / **accepted_late**, and the same for contacted and resolved: those
  events whose ``on_time`` flag is true / false (dispatch's word: the deadline as it stood
  then, extensions and pauses counted). A null flag (no deadline applied) counts in
  neither.
- **accepted_on_time_rate**, **contacted_on_time_rate**, **resolved_on_time_rate**:
  on_time / (on_time + late), null when both are 0.
- **callbacks_reached** (回访接通): final ``callback_completed`` results other than
  unreachable, i.e. satisfied + basically_satisfied + unsatisfied. **satisfied**,
  **basically_satisfied**, **unsatisfied**, **unreachable**: final results of each kind
  (an unreachable try that will be repeated is not final and not counted).
- **satisfaction_rate** (满意率): (satisfied + basically_satisfied) / callbacks_reached,
  null when no callback reached anyone.
- **reopened** (重办): resolutions in the period that were reopened afterwards, i.e. a
  ``ticket_reopened`` came after the resolution and before the ticket's next resolution,
  whenever it came. It counts on the resolution's day and unit.
- **reopen_rate** (重办率): reopened / resolved: the share of the period's resolutions
  that did not hold. Null when nothing was resolved. A ticket resolved, reopened and
  resolved again in the period gives 1 / 2.
- **resolve_hours_median**, **resolve_hours_p90** (办结用时): over the period's resolutions,
  the hours from the ticket's receipt (``received_at``) to the resolution, less the time
  paused (``paused_hours`` on ``ticket_resolved``), never below 0. Percentiles
  interpolate linearly between the two nearest values (p = q·(n−1) over the sorted
  values; the median is the usual one). Null without resolutions.
- **merged** (重复件): repeat calls merged into a ticket (``ticket_merged``).
- **praise** (表扬): ``praise_received`` events.
- **closed_satisfied** (满意结案): ``ticket_closed`` with outcome satisfied or
  basically_satisfied.

Rates are fractions (0.75), rounded to 4 places; hours are rounded to 2.

**by_state**: where the tickets received in the period (intake's ``received_at``) stand
now, by state; every ticket intake created counts, whatever its kind.

A ticket's facts are counted once the ledger has its ``ticket_created`` (for its
subdistrict and category); until then they wait, and are counted when it arrives. Praise
of a unit named without a ticket has neither and counts at once, under no subdistrict and
no category.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from services.ledger.contributions import STATE_COUNT
from services.shared import clock
from services.shared.words import FIGURE_WORDS

COUNT, RATE, HOURS = "count", "rate", "hours"


@dataclass(frozen=True)
class Figure:
    name: str
    kind: str        # COUNT, RATE or HOURS
    definition: str  # in Chinese, for a report's definitions sheet

    @property
    def header(self) -> str:
        """The Chinese column header (services/shared/words.py)."""
        return FIGURE_WORDS[self.name]


FIGURES = (
    Figure("received", COUNT, "派至单位的工单数。按单位分组时, 每张工单对每个承办单位计一次"
           "(首次派至该单位之日); 不按单位分组时每张工单计一次(首次派单之日)。"
           "未匹配到单位的计入派单中心。"),
    Figure("accepted", COUNT, "签收次数。"),
    Figure("accepted_on_time", COUNT, "在当时有效的签收时限内签收的次数(含延期、挂起)。"),
    Figure("accepted_late", COUNT, "超过签收时限签收的次数。无时限的不计入按时或超时。"),
    Figure("accepted_on_time_rate", RATE, "按时签收数 ÷ (按时签收数 + 超时签收数)。"),
    Figure("contacted", COUNT, "联系市民的次数。"),
    Figure("contacted_on_time", COUNT, "在联系时限内联系市民的次数。"),
    Figure("contacted_late", COUNT, "超过联系时限联系市民的次数。"),
    Figure("contacted_on_time_rate", RATE, "按时联系数 ÷ (按时联系数 + 超时联系数)。"),
    Figure("resolved", COUNT, "办结次数; 重办后再次办结的再计一次。"),
    Figure("resolved_on_time", COUNT, "在办结时限内办结的次数(时限含延期、挂起)。"),
    Figure("resolved_late", COUNT, "超过办结时限办结的次数。"),
    Figure("resolved_on_time_rate", RATE, "按时办结数 ÷ (按时办结数 + 超时办结数)。"),
    Figure("callbacks_reached", COUNT, "最终回访结果为满意、基本满意或不满意的次数。"),
    Figure("satisfied", COUNT, "最终回访结果为满意的次数。"),
    Figure("basically_satisfied", COUNT, "最终回访结果为基本满意的次数。"),
    Figure("unsatisfied", COUNT, "最终回访结果为不满意的次数。"),
    Figure("unreachable", COUNT, "多次拨打后最终联系不上的回访次数。"),
    Figure("satisfaction_rate", RATE, "(满意数 + 基本满意数) ÷ 回访接通数。"),
    Figure("reopened", COUNT, "本期办结中, 之后被重办的次数(计入该次办结的日期和单位)。"),
    Figure("reopen_rate", RATE, "重办数 ÷ 办结数。"),
    Figure("resolve_hours_median", HOURS, "从受理到办结的小时数(扣除挂起时间)的中位数。"),
    Figure("resolve_hours_p90", HOURS,
           "从受理到办结的小时数(扣除挂起时间)的第90百分位数(线性插值)。"),
    Figure("merged", COUNT, "并入已有工单的重复来电数。"),
    Figure("praise", COUNT, "表扬来电数, 计入被表扬的单位"
           "(未指明单位的, 计入被表扬工单的承办单位)。"),
    Figure("closed_satisfied", COUNT, "以满意或基本满意结案的工单数。"),
)
FIGURE_NAMES = tuple(figure.name for figure in FIGURES)
RATES = {  # rate: (numerators, denominators)
    "accepted_on_time_rate": (("accepted_on_time",), ("accepted_on_time", "accepted_late")),
    "contacted_on_time_rate": (("contacted_on_time",), ("contacted_on_time", "contacted_late")),
    "resolved_on_time_rate": (("resolved_on_time",), ("resolved_on_time", "resolved_late")),
    "satisfaction_rate": (("satisfied", "basically_satisfied"), ("callbacks_reached",)),
    "reopen_rate": (("reopened",), ("resolved",)),
}
PERCENTILES = {"resolve_hours_median": 0.5, "resolve_hours_p90": 0.9}


def period(start: dt.date, end: dt.date) -> dict:
    """The period of Shanghai days [start, end) as an answer gives it: ``start`` and
    ``end`` as UTC instants, ``first_day`` and ``last_day`` (both included)."""
    def midnight(day: dt.date) -> str:
        return clock.iso(dt.datetime.combine(day, dt.time(0), tzinfo=clock.SHANGHAI))
    return {"start": midnight(start), "end": midnight(end), "first_day": start.isoformat(),
            "last_day": (end - dt.timedelta(days=1)).isoformat()}


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile of ``values`` by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def figures_of(counts: Counter, hours: list[float], by_unit: bool) -> dict:
    """The figures of one group from its buckets' summed ``counts`` and ``hours``."""
    figures: dict = {}
    for figure in FIGURES:
        if figure.name == "received":
            figures["received"] = counts["received" if by_unit else "received_tickets"]
        elif figure.name in RATES:
            numerators, denominators = RATES[figure.name]
            below = sum(counts[name] for name in denominators)
            above = sum(counts[name] for name in numerators)
            figures[figure.name] = round(above / below, 4) if below else None
        elif figure.name in PERCENTILES:
            value = percentile(hours, PERCENTILES[figure.name])
            figures[figure.name] = None if value is None else round(value, 2)
        else:
            figures[figure.name] = counts[figure.name]
    return figures


def _monday(day: str) -> str:
    date = dt.date.fromisoformat(day)
    return (date - dt.timedelta(days=date.weekday())).isoformat()


def group_key(bucket: dict, group_by: list[str], interval: str | None) -> tuple:
    """The row a bucket belongs to: its day or week (Monday), then the grouped fields."""
    key: list = []
    if interval == "day":
        key.append(bucket["day"])
    elif interval == "week":
        key.append(_monday(bucket["day"]))
    key.extend(bucket.get("unit_id" if group == "unit" else group) for group in group_by)
    return tuple(key)


def rows(buckets: Iterable[dict], group_by: list[str], interval: str | None,
         unit_names: dict[str, str]) -> list[dict]:
    """One row per group with anything to count, in order of time, then of the groups."""
    counts: dict[tuple, Counter] = {}
    hours: dict[tuple, list[float]] = {}
    people: dict[str, str | None] = {}  # username: name, as the facts said it
    for bucket in buckets:
        if bucket.get("assignee"):
            people[bucket["assignee"]] = bucket.get("assignee_name")
        key = group_key(bucket, group_by, interval)
        counts.setdefault(key, Counter()).update(bucket.get("n") or {})
        hours.setdefault(key, []).extend(value["h"] for value in bucket.get("hours") or [])
    result = []
    for key in sorted(counts, key=lambda k: [(value is None, value or "") for value in k]):
        figures = figures_of(counts[key], hours[key], by_unit="unit" in group_by)
        if not any(figures[figure.name] for figure in FIGURES if figure.kind == COUNT):
            continue  # only where received tickets stand: nothing was done in this group
        row: dict = {}
        fields = list(key)
        if interval:
            row[interval] = fields.pop(0)
        for group, value in zip(group_by, fields, strict=True):
            if group == "unit":
                row.update(unit_id=value, unit_name=unit_names.get(value))
            elif group == "assignee":
                row.update(assignee=value, assignee_name=people.get(value) if value else None)
            else:
                row[group] = value
        result.append({**row, **figures})
    return result


def totals(buckets: list[dict]) -> dict:
    """The figures of the whole period, nothing grouped."""
    found = rows(buckets, [], None, {})
    return found[0] if found else figures_of(Counter(), [], by_unit=False)


def by_state(buckets: Iterable[dict]) -> dict[str, int]:
    """How many tickets received in the period stand in each state now."""
    states: Counter = Counter()
    for bucket in buckets:
        for name, value in (bucket.get("n") or {}).items():
            if name.startswith(STATE_COUNT):
                states[name[len(STATE_COUNT):]] += value
    return {state: count for state, count in sorted(states.items()) if count}


def answer(buckets: list[dict], group_by: list[str], interval: str | None,
           unit_names: dict[str, str]) -> dict:
    """The indicators' answer from the period's buckets: ``rows`` as grouped, ``totals``,
    ``units`` (unit_id: figures, for the whole period) and ``by_state``."""
    by_unit = rows(buckets, ["unit"], None, unit_names)
    return {
        "group_by": list(group_by),
        "interval": interval,
        "rows": rows(buckets, group_by, interval, unit_names) if group_by or interval
        else [totals(buckets)],
        "totals": totals(buckets),
        "units": {row["unit_id"]: {name: row[name] for name in FIGURE_NAMES}
                  for row in by_unit if row["unit_id"]},
        "by_state": by_state(buckets),
    }
