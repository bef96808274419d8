"""Supervision (督办): who owes what now, the extension and pause requests waiting for a
decision, and the indicators of a chosen period with the charts a district office puts on
its wall, and the same figures as an Excel workbook. Routes of the pages blueprint."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import render_template, request
from markupsafe import Markup

from services.console import display
from services.console.auth import actor, require, services, signed_in
from services.console.charts import NARROW, Series, bar_chart, line_chart
from services.console.downloads import workbook_download
from services.console.live_pages import live_refresh
from services.console.pages import SUPERVISION_READERS, blueprint, call, handling_units
from services.shared import clock
from services.shared.errors import InvalidRequest
from services.shared.parking import SERVICES
from services.shared.schemas import SUPERVISOR_ROLES
from services.shared.words import FIGURE_WORDS, SERVICE_WORDS

DEFAULT_DAYS = 30
DAILY_UP_TO_DAYS = 62  # a longer period is drawn week by week
GROUPINGS = {"unit": "按承办单位", "subdistrict": "按街道", "category": "按类别"}
INTERVALS = {"day": "按日", "week": "按周"}
PARKED_READERS = ("supervisor", "admin")  # access.py: parked
PERSON_READERS = SUPERVISOR_ROLES  # the ledger groups by person (承办人) for these only
PERSON_GROUPINGS = {**GROUPINGS, "assignee": "按承办人"}


@blueprint.route("/supervision")
@require(*SUPERVISION_READERS)
def supervision():
    report = call("dispatch", "supervision", actor())
    period, problems = chosen_period(request.args)
    by_unit = over_time = None
    if not problems and not live_refresh():  # live.js reads the lists only
        try:
            by_unit = call("ledger", "indicators", actor(), period["start"], period["end"],
                           ["unit"], None)
            over_time = call("ledger", "indicators", actor(), period["start"], period["end"], None,
                             period["interval"])
        except InvalidRequest as refused:
            problems = display.flat_errors(refused.errors)
    units = unit_rows(by_unit) if by_unit else []
    by_person = signed_in()["role"] in PERSON_READERS
    people = person_rows(call("ledger", "indicators", actor(), period["start"], period["end"],
                              ["unit", "assignee"], None)) \
        if by_person and request.args.get("people") == "1" and not problems \
        and not live_refresh() else None
    return render_template(
        "supervision.html", report=report, period=period, errors=problems, units=units,
        totals=(by_unit or {}).get("totals"), charts=wall_charts(units, over_time, period)
        if over_time else None, groupings=PERSON_GROUPINGS if by_person else GROUPINGS,
        intervals=INTERVALS, by_person=by_person, people=people,
        parked=parked_counts() if signed_in()["role"] in PARKED_READERS
        and not live_refresh() else None,
        service_words=SERVICE_WORDS, bulk_units=handling_units())


def parked_counts() -> list[dict]:
    """How many messages each service parked (never applied or answered), as each tells of
    its own parking queue (``parked_count``: the console's broker user may not look into
    them): ``{"service", "count"}`` in SERVICES' order, ``count`` None for a service that
    did not answer. Asked all at once: a service that is down costs the page one RPC
    timeout, not one per service."""
    answers = services().call_each([(service, "parked_count", (actor(),))
                                    for service in SERVICES])
    return [{"service": service,
             "count": answer.get("count") if isinstance(answer, dict) else None}
            for service, answer in zip(SERVICES, answers, strict=True)]


@blueprint.route("/supervision/indicators.xlsx")
@require(*SUPERVISION_READERS)
def indicators_xlsx():
    """The period's figures as an Excel workbook (ledger.indicators_xlsx), grouped as chosen."""
    period, problems = chosen_period(request.args)
    if problems:
        raise InvalidRequest(problems)
    group = request.args.get("group") or "unit"
    allowed = PERSON_GROUPINGS if signed_in()["role"] in PERSON_READERS else GROUPINGS
    workbook = call("ledger", "indicators_xlsx", actor(), period["start"], period["end"],
                    [group] if group in allowed else ["unit"], None)
    return workbook_download(workbook)


def chosen_period(args) -> tuple[dict, dict]:
    """The period the form asks for, its first and last day both included (the last
    ``DEFAULT_DAYS`` days by default), as the ledger takes it: [start, end). With the
    field errors of what cannot be read."""
    today = clock.local(clock.now()).date()
    problems: dict[str, list[str]] = {}
    first = _day(args.get("first"), today - dt.timedelta(days=DEFAULT_DAYS - 1), "first",
                 problems)
    last = _day(args.get("last"), today, "last", problems)
    if not problems and last < first:
        problems["last"] = ["结束日期不能早于开始日期"]
    interval = args.get("interval")
    if interval not in INTERVALS:
        interval = "day" if (last - first).days < DAILY_UP_TO_DAYS else "week"
    return {"first": first, "last": last, "interval": interval, "start": first.isoformat(),
            "end": (last + dt.timedelta(days=1)).isoformat()}, problems


def _day(text: str | None, default: dt.date, name: str, problems: dict) -> dt.date:
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems[name] = ["请填写日期，如 2026-11-23"]
        return default


def unit_rows(answer: dict) -> list[dict]:
    """The per-unit rows of an indicators answer, busiest unit first, each with a name."""
    rows = [{**row, "name": row.get("unit_name") or row.get("unit_id") or "(未定)"}
            for row in answer.get("rows") or []]
    return sorted(rows, key=lambda row: (-(row.get("received") or 0), row["name"]))


def person_rows(answer: dict) -> list[dict]:
    """The rows of an indicators answer grouped by unit and person (承办人), people with
    work first, by unit, then by who did most; the facts of nobody's last in each unit."""
    rows = [{**row, "unit": row.get("unit_name") or row.get("unit_id") or "(未定)",
             "person": row.get("assignee_name") or row.get("assignee") or "未指派"}
            for row in answer.get("rows") or []]
    return sorted(rows, key=lambda row: (row["unit"], row.get("assignee") is None,
                                         -(row.get("resolved") or 0), row["person"]))


def over_time(answer: dict, period: dict) -> tuple[list[str], dict[str, list[float]]]:
    """Every day (or week, from its Monday) of the period as a chart's labels, and the
    received and resolved counts of each, 0 where nothing was counted."""
    step = dt.timedelta(days=1 if period["interval"] == "day" else 7)
    first = period["first"]
    if period["interval"] == "week":
        first -= dt.timedelta(days=first.weekday())
    keys = []
    while first <= period["last"]:
        keys.append(first.isoformat())
        first += step
    rows = {row[period["interval"]]: row for row in answer.get("rows") or []}
    labels = [key[5:] + ("起" if period["interval"] == "week" else "") for key in keys]
    return labels, {figure: [(rows.get(key) or {}).get(figure) or 0 for key in keys]
                    for figure in ("received", "resolved")}


def wall_charts(units: list[dict], answer: dict, period: dict) -> dict:
    """The three charts: received and resolved on time per unit, satisfaction per unit,
    and received and resolved over time; each drawn wide and NARROW (a phone's: the
    stylesheet shows the one that fits the screen)."""
    names = [row["name"] for row in units]
    labels, counts = over_time(answer, period)
    word = INTERVALS[period["interval"]].removeprefix("按")

    def both(draw: Callable[..., Markup], *args: Any, **kwargs: Any) -> Markup:
        wide = draw(*args, **kwargs)
        return wide if "chart-empty" in wide else wide + draw(*args, **kwargs, width=NARROW)

    return {
        "per_unit": both(bar_chart, names, [
            Series(FIGURE_WORDS["received"], [row.get("received") for row in units]),
            Series("按时办结", [row.get("resolved_on_time") for row in units])],
            title="各承办单位：受理量与按时办结"),
        "satisfaction": both(bar_chart, names, [
            Series(FIGURE_WORDS["satisfaction_rate"],
                   [row.get("satisfaction_rate") for row in units])],
            title="各承办单位：满意率", percent=True),
        "over_time": both(line_chart, labels,
                          [Series(FIGURE_WORDS["received"], counts["received"]),
                           Series("办结量", counts["resolved"])],
                          title=f"每{word}受理与办结"),
    }
