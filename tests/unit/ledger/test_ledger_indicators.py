"""Indicators: every figure against a fortnight worked out by hand, grouped every way,
kept right when events come twice, out of order, or across a crash, and as Excel."""
import base64
import io
import json
import random

import openpyxl
import pytest
from ledger_events import COMMITTEE, GRID, PROPERTY, READER, said
from marshmallow import fields

from services.ledger.indicators import COUNT, FIGURE_NAMES, FIGURES
from services.shared.answers.ledger import FiguresSchema
from services.shared.errors import InvalidRequest

WEEK_1 = ("2026-11-23", "2026-11-30")  # Monday to Sunday, Shanghai
WEEK_2 = ("2026-11-30", "2026-12-07")
FORTNIGHT = ("2026-11-23", "2026-12-07")

YINHANG = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
           "estate": "开鲁新村", "building": "12号", "room": None, "detail": None}
WUJIAOCHANG = {"district": "杨浦区", "subdistrict": "五角场街道", "community": "政通居民区",
               "estate": "政通小区", "building": "3号", "room": None, "detail": None}
A, B, C, D, E, F, G = (f"YP2026112{n}-000{n}" for n in range(1, 8))
PRAISE_OF_D, PRAISE_OF_COMMITTEE = "YP20261202-0001", "YP20261127-0001"


def at(day_and_time: str) -> str:
    """A Shanghai wall-clock time, "11-23 09:00", as ISO 8601."""
    day, time = day_and_time.split()
    return f"2026-{day}T{time}:00+08:00"


def created(ticket_no, when, place, category):
    return said("ticket_created", ticket_no, at(when), address=place, category=category,
                received_at=at(when))


def fortnight():
    """Seven tickets and two praise calls over 23 Nov – 6 Dec 2026 (Shanghai times).

    A 殷行 street_light, grid: on time throughout, resolved after 6 h, satisfied.
    B 殷行 home_repair, grid: accepted and contacted late; resolved on time after 48 h
      with 20 h paused (28 h); unsatisfied, reopened; resolved late after 72 h, 20 h
      paused (52 h); basically satisfied.
    C 五角场 elevator: committee, returned, property company; accepted with no deadline
      (null flag), contacted on time, resolved late on Monday of week 2 after 144 h; one
      unreachable try that will be repeated, then unreachable for good.
    D 殷行 street_light, grid: two repeat calls merged (one each week); resolved on time
      after 190 h, satisfied, then praised by a caller who names the ticket only.
    E 五角场 home_repair, property: received 23:30 on Sunday of week 1, accepted ten
      minutes past midnight, Monday of week 2.
    F received at 00:00 on 7 Dec, the end of the fortnight: outside it.
    G 殷行 street_light, committee: received and dispatched the day before the fortnight,
      accepted on time in its first half hour.
    And a praise call naming the committee, no ticket.
    """
    return [
        created(A, "11-23 09:00", YINHANG, "street_light"),
        said("ticket_dispatched", A, at("11-23 09:01")),
        said("ticket_accepted", A, at("11-23 09:30"), on_time=True),
        said("ticket_contacted", A, at("11-23 10:00"), on_time=True),
        said("ticket_resolved", A, at("11-23 15:00"), on_time=True),
        said("callback_completed", A, at("11-23 17:00"), outcome="satisfied"),
        said("ticket_closed", A, at("11-23 17:01"), outcome="satisfied"),

        created(B, "11-23 10:00", YINHANG, "home_repair"),
        said("ticket_dispatched", B, at("11-23 10:01"), category="home_repair"),
        said("ticket_accepted", B, at("11-24 10:00"), on_time=False),
        said("ticket_contacted", B, at("11-24 11:00"), on_time=False),
        said("pause_decided", B, at("11-24 12:00")),
        said("ticket_resumed", B, at("11-25 08:00"), paused_hours=20.0),
        said("ticket_resolved", B, at("11-25 10:00"), on_time=True, paused_hours=20.0),
        said("callback_completed", B, at("11-25 12:00"), outcome="unsatisfied"),
        said("ticket_reopened", B, at("11-25 12:01")),
        said("ticket_resolved", B, at("11-26 10:00"), on_time=False, paused_hours=20.0),
        said("callback_completed", B, at("11-26 15:00"), outcome="basically_satisfied"),
        said("ticket_closed", B, at("11-26 15:01"), outcome="basically_satisfied"),

        created(C, "11-24 09:00", WUJIAOCHANG, "elevator"),
        said("ticket_dispatched", C, at("11-24 09:05"), unit=COMMITTEE, category="elevator"),
        said("ticket_returned", C, at("11-24 09:30"), unit=COMMITTEE),
        said("ticket_dispatched", C, at("11-24 10:00"), unit=PROPERTY, reason="reassigned",
             previous_unit_id=COMMITTEE[0], category="elevator"),
        said("ticket_accepted", C, at("11-24 10:30"), unit=PROPERTY, on_time=None),
        said("ticket_contacted", C, at("11-24 11:00"), unit=PROPERTY, on_time=True),
        said("ticket_resolved", C, at("11-30 09:00"), unit=PROPERTY, on_time=False),
        said("callback_completed", C, at("11-30 14:00"), outcome="unreachable", final=False),
        said("callback_completed", C, at("12-01 10:00"), outcome="unreachable", attempt=2),
        said("ticket_closed", C, at("12-01 10:01"), unit=PROPERTY, outcome="unreachable"),

        created(D, "11-23 11:00", YINHANG, "street_light"),
        said("ticket_dispatched", D, at("11-23 11:02")),
        said("ticket_accepted", D, at("11-23 11:30"), on_time=True),
        said("ticket_merged", D, at("11-23 12:00"), calls=2),
        said("ticket_merged", D, at("11-30 09:00"), calls=3),
        said("ticket_resolved", D, at("12-01 09:00"), on_time=True),
        said("callback_completed", D, at("12-01 11:00"), outcome="satisfied"),
        said("ticket_closed", D, at("12-01 11:01"), outcome="satisfied"),
        said("praise_received", PRAISE_OF_D, at("12-02 10:00"), praised_ticket_no=D,
             praised_unit_id=None),

        created(E, "11-29 23:30", WUJIAOCHANG, "home_repair"),
        said("ticket_dispatched", E, at("11-29 23:31"), unit=PROPERTY, category="home_repair"),
        said("ticket_accepted", E, at("11-30 00:10"), unit=PROPERTY, on_time=True),

        created(F, "12-07 00:00", YINHANG, "street_light"),
        said("ticket_dispatched", F, at("12-07 00:05")),

        created(G, "11-22 23:50", YINHANG, "street_light"),
        said("ticket_dispatched", G, at("11-22 23:55"), unit=COMMITTEE),
        said("ticket_accepted", G, at("11-23 00:20"), unit=COMMITTEE, on_time=True),

        said("praise_received", PRAISE_OF_COMMITTEE, at("11-27 14:00"), unit=COMMITTEE),
    ]


def figures(**given):
    """Every figure: zero counts and null rates and hours, but for those ``given``."""
    counts = ("received", "accepted", "accepted_on_time", "accepted_late", "contacted",
              "contacted_on_time", "contacted_late", "resolved", "resolved_on_time",
              "resolved_late", "callbacks_reached", "satisfied", "basically_satisfied",
              "unsatisfied", "unreachable", "reopened", "merged", "praise", "closed_satisfied")
    measures = ("accepted_on_time_rate", "contacted_on_time_rate", "resolved_on_time_rate",
                "satisfaction_rate", "reopen_rate", "resolve_hours_median", "resolve_hours_p90")
    every = {**{name: 0 for name in counts}, **{name: None for name in measures}}
    assert set(given) <= set(every)
    return {**every, **given}


FORTNIGHT_TOTALS = figures(
    received=5,  # A B C D E; G before, F after
    accepted=6, accepted_on_time=4, accepted_late=1, accepted_on_time_rate=0.8,  # C: null
    contacted=3, contacted_on_time=2, contacted_late=1, contacted_on_time_rate=0.6667,
    resolved=5, resolved_on_time=3, resolved_late=2, resolved_on_time_rate=0.6,
    callbacks_reached=4, satisfied=2, basically_satisfied=1, unsatisfied=1, unreachable=1,
    satisfaction_rate=0.75,
    reopened=1, reopen_rate=0.2,
    resolve_hours_median=52.0, resolve_hours_p90=171.6,  # 6 28 52 144 190
    merged=2, praise=2, closed_satisfied=3,
)
GRID_FORTNIGHT = figures(
    received=3, accepted=3, accepted_on_time=2, accepted_late=1, accepted_on_time_rate=0.6667,
    contacted=2, contacted_on_time=1, contacted_late=1, contacted_on_time_rate=0.5,
    resolved=4, resolved_on_time=3, resolved_late=1, resolved_on_time_rate=0.75,
    callbacks_reached=4, satisfied=2, basically_satisfied=1, unsatisfied=1,
    satisfaction_rate=0.75, reopened=1, reopen_rate=0.25,
    resolve_hours_median=40.0, resolve_hours_p90=148.6,  # 6 28 52 190
    merged=2, praise=1, closed_satisfied=3,
)
PROPERTY_FORTNIGHT = figures(
    received=2, accepted=2, accepted_on_time=1, accepted_on_time_rate=1.0,
    contacted=1, contacted_on_time=1, contacted_on_time_rate=1.0,
    resolved=1, resolved_late=1, resolved_on_time_rate=0.0, unreachable=1,
    reopen_rate=0.0, resolve_hours_median=144.0, resolve_hours_p90=144.0,
)
COMMITTEE_FORTNIGHT = figures(received=1, accepted=1, accepted_on_time=1,
                              accepted_on_time_rate=1.0, praise=1)


def test_every_figure_of_a_fortnight_by_hand(service, deliver):
    deliver(*fortnight())

    answer = service.indicators(READER, *FORTNIGHT)

    assert answer["period"] == {"start": "2026-11-22T16:00:00.000Z",
                                "end": "2026-12-06T16:00:00.000Z",
                                "first_day": "2026-11-23", "last_day": "2026-12-06"}
    assert answer["totals"] == FORTNIGHT_TOTALS
    assert answer["rows"] == [FORTNIGHT_TOTALS]  # no grouping: one row, the whole period
    assert answer["units"] == {GRID[0]: GRID_FORTNIGHT, PROPERTY[0]: PROPERTY_FORTNIGHT,
                               COMMITTEE[0]: COMMITTEE_FORTNIGHT}
    assert answer["by_state"] == {"accepted": 1, "closed": 4}  # A B C D closed, E accepted
    assert json.loads(json.dumps(answer)) == answer


def test_grouped_by_unit_a_ticket_counts_for_each_unit_it_reached(service, deliver):
    deliver(*fortnight())

    rows = service.indicators(READER, *FORTNIGHT, group_by=["unit"])["rows"]

    assert rows == [
        {"unit_id": PROPERTY[0], "unit_name": PROPERTY[1], **PROPERTY_FORTNIGHT},
        {"unit_id": COMMITTEE[0], "unit_name": COMMITTEE[1], **COMMITTEE_FORTNIGHT},
        {"unit_id": GRID[0], "unit_name": GRID[1], **GRID_FORTNIGHT},
    ]  # ordered by unit id
    # C reached the committee and the property company: 6 by unit, 5 tickets in all
    assert sum(row["received"] for row in rows) == 6


def test_grouped_by_subdistrict_and_category(service, deliver):
    deliver(*fortnight())

    rows = service.indicators(READER, *FORTNIGHT, group_by=["subdistrict", "category"])["rows"]

    found = {(row.pop("subdistrict"), row.pop("category")): row for row in rows}
    assert list(found) == [("五角场街道", "elevator"), ("五角场街道", "home_repair"),
                           ("殷行街道", "home_repair"), ("殷行街道", "street_light"),
                           (None, None)]  # praise of a unit, no ticket: no place
    assert found["五角场街道", "elevator"] == figures(
        received=1, accepted=1, contacted=1, contacted_on_time=1, contacted_on_time_rate=1.0,
        resolved=1, resolved_late=1, resolved_on_time_rate=0.0, unreachable=1, reopen_rate=0.0,
        resolve_hours_median=144.0, resolve_hours_p90=144.0)  # once, though two units had it
    assert found["殷行街道", "home_repair"] == figures(
        received=1, accepted=1, accepted_late=1, accepted_on_time_rate=0.0,
        contacted=1, contacted_late=1, contacted_on_time_rate=0.0,
        resolved=2, resolved_on_time=1, resolved_late=1, resolved_on_time_rate=0.5,
        callbacks_reached=2, basically_satisfied=1, unsatisfied=1, satisfaction_rate=0.5,
        reopened=1, reopen_rate=0.5, resolve_hours_median=40.0, resolve_hours_p90=49.6,
        closed_satisfied=1)
    assert found["殷行街道", "street_light"]["accepted"] == 3  # A, D and G
    assert found["殷行街道", "street_light"]["praise"] == 1  # D's, through its ticket
    assert found[None, None] == figures(praise=1)


def test_by_week_from_monday_in_shanghai(service, deliver):
    deliver(*fortnight())

    first, second = service.indicators(READER, *FORTNIGHT, interval="week")["rows"]

    assert first == {"week": "2026-11-23", **figures(
        received=5, accepted=5, accepted_on_time=3, accepted_late=1, accepted_on_time_rate=0.75,
        contacted=3, contacted_on_time=2, contacted_late=1, contacted_on_time_rate=0.6667,
        resolved=3, resolved_on_time=2, resolved_late=1, resolved_on_time_rate=0.6667,
        callbacks_reached=3, satisfied=1, basically_satisfied=1, unsatisfied=1,
        satisfaction_rate=0.6667, reopened=1, reopen_rate=0.3333,
        resolve_hours_median=28.0, resolve_hours_p90=47.2,  # 6 28 52
        merged=1, praise=1, closed_satisfied=2)}
    # E's acceptance ten minutes after midnight falls in week 2 (in UTC it is still Sunday)
    assert second == {"week": "2026-11-30", **figures(
        accepted=1, accepted_on_time=1, accepted_on_time_rate=1.0,
        resolved=2, resolved_on_time=1, resolved_late=1, resolved_on_time_rate=0.5,
        callbacks_reached=1, satisfied=1, unreachable=1, satisfaction_rate=1.0,
        reopen_rate=0.0, resolve_hours_median=167.0, resolve_hours_p90=185.4,  # 144 190
        merged=1, praise=1, closed_satisfied=1)}
    assert service.indicators(READER, *WEEK_1)["totals"] == {
        k: v for k, v in first.items() if k != "week"}


def test_by_day_and_unit(service, deliver):
    deliver(*fortnight())

    rows = service.indicators(READER, *FORTNIGHT, group_by=["unit"], interval="day")["rows"]

    first_day = {row["unit_id"]: row for row in rows if row["day"] == "2026-11-23"}
    assert set(first_day) == {GRID[0], COMMITTEE[0]}
    assert first_day[COMMITTEE[0]]["accepted"] == 1  # G, dispatched the day before
    assert first_day[COMMITTEE[0]]["received"] == 0
    grid = first_day[GRID[0]]
    assert (grid["received"], grid["accepted"], grid["contacted"], grid["resolved"]) == (3, 2, 1, 1)
    assert (grid["satisfied"], grid["merged"], grid["resolve_hours_median"]) == (1, 1, 6.0)
    # the reopening counts on the day of the resolution it undid
    assert [(row["day"], row["reopened"]) for row in rows
            if row["unit_id"] == GRID[0] and row["resolved"]] == [
        ("2026-11-23", 0), ("2026-11-25", 1), ("2026-11-26", 0), ("2026-12-01", 0)]
    assert [row["day"] for row in rows] == sorted(row["day"] for row in rows)


def test_the_period_boundary_is_shanghai_midnight(service, deliver):
    deliver(*fortnight())

    week_2 = service.indicators(READER, *WEEK_2)["totals"]
    assert week_2["received"] == 0  # E came in at 23:30 on the Sunday before
    assert week_2["accepted"] == 1  # and was accepted at 00:10 on the Monday
    sunday = service.indicators(READER, "2026-11-29", "2026-11-30")["totals"]
    assert (sunday["received"], sunday["accepted"]) == (1, 0)
    # a date, or the same midnight written in Shanghai or in UTC, is the same period
    assert service.indicators(READER, "2026-11-30T00:00:00+08:00", "2026-12-06T16:00:00Z") == \
        service.indicators(READER, *WEEK_2)
    # F, received at the fortnight's end, belongs to the next day only
    assert service.indicators(READER, "2026-12-07", "2026-12-08")["totals"]["received"] == 1


def test_events_delivered_twice_count_once(service, deliver):
    events = fortnight()
    deliver(*events)
    deliver(*events)
    deliver(*reversed(events))

    assert service.indicators(READER, *FORTNIGHT)["totals"] == FORTNIGHT_TOTALS


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_arrival_order_gives_the_same_figures(service, deliver, seed):
    events = fortnight()
    random.Random(seed).shuffle(events)
    deliver(*events)

    answer = service.indicators(READER, *FORTNIGHT, group_by=["unit"], interval="day")
    assert answer["totals"] == FORTNIGHT_TOTALS
    assert answer["units"] == {GRID[0]: GRID_FORTNIGHT, PROPERTY[0]: PROPERTY_FORTNIGHT,
                               COMMITTEE[0]: COMMITTEE_FORTNIGHT}


def test_a_ticket_counts_once_intake_has_said_where_and_what_it_is(service, deliver):
    created_b, *b_events = [event for event in fortnight() if event["ticket_no"] == B]
    deliver(*b_events)  # dispatch's and callback's events overtake intake's

    waiting = service.indicators(READER, *FORTNIGHT, group_by=["subdistrict"])
    assert waiting["totals"] == figures()  # no subdistrict or category yet: nothing counted

    deliver(created_b)

    [row] = service.indicators(READER, *FORTNIGHT, group_by=["subdistrict"])["rows"]
    assert row["subdistrict"] == "殷行街道"
    assert (row["received"], row["accepted_late"], row["resolved"], row["reopened"]) == (1, 1, 2, 1)
    assert (row["resolve_hours_median"], row["unsatisfied"]) == (40.0, 1)


def test_a_late_dispatch_moves_what_was_credited_before_it(service, deliver):
    created_c = created(C, "11-24 09:00", WUJIAOCHANG, "elevator")
    to_committee = said("ticket_dispatched", C, at("11-24 09:05"), unit=COMMITTEE)
    to_property = said("ticket_dispatched", C, at("11-25 10:00"), unit=PROPERTY,
                       reason="reassigned", previous_unit_id=COMMITTEE[0])
    merged = said("ticket_merged", C, at("11-25 12:00"))
    deliver(created_c, to_committee, merged)
    assert service.indicators(READER, *WEEK_1)["units"][COMMITTEE[0]]["merged"] == 1

    deliver(to_property)  # said before the repeat call, recorded after it

    units = service.indicators(READER, *WEEK_1)["units"]
    assert units[COMMITTEE[0]]["merged"] == 0
    assert units[PROPERTY[0]]["merged"] == 1
    assert service.indicators(READER, *WEEK_1)["totals"]["merged"] == 1


def test_a_crash_between_the_writes_still_counts_each_event_once(service, store, deliver):
    events = fortnight()
    resolved = next(event for event in events if event["ticket_no"] == A
                    and event["event_type"] == "ticket_resolved")
    deliver(*[event for event in events if event is not resolved])
    before = service.indicators(READER, *FORTNIGHT)["totals"]

    # The row took the resolution, then the process died before any bucket did.
    apply_figures = store.apply_figures
    store.apply_figures = lambda ticket_no: None
    deliver(resolved)
    store.apply_figures = apply_figures
    waiting = store.tickets.find_one({"_id": A})["figures_outbox"]
    assert waiting and service.indicators(READER, *FORTNIGHT)["totals"] == before
    # On the way back up, the first bucket was written but the process died again
    # before the fact left the row's outbox.
    store._apply_fact(waiting[0])

    deliver(resolved)  # redelivered: the rest is applied, the first fact not again

    assert store.tickets.find_one({"_id": A})["figures_outbox"] == []
    assert service.indicators(READER, *FORTNIGHT)["totals"] == FORTNIGHT_TOTALS


def test_asking_reads_the_day_buckets_not_the_entries(service, store, deliver):
    deliver(*fortnight())

    def no_scan(*args, **kwargs):
        raise AssertionError("indicators scanned the entries")

    store.entries.find = store.entries.aggregate = no_scan
    assert service.indicators(READER, *FORTNIGHT)["totals"] == FORTNIGHT_TOTALS


def test_a_figure_with_nothing_to_measure_is_null(service, deliver):
    deliver(created(A, "11-23 09:00", YINHANG, "street_light"),
            said("ticket_dispatched", A, at("11-23 09:01")))
    totals = service.indicators(READER, *WEEK_1)["totals"]
    assert totals["received"] == 1
    assert totals["satisfaction_rate"] is None
    assert totals["resolve_hours_median"] is None
    assert service.indicators(READER, "2030-01-01", "2031-01-01")["rows"] == [figures()]


def test_the_workbook_opens_with_chinese_headers_figures_and_definitions(service, deliver):
    deliver(*fortnight())

    answer = service.indicators_xlsx(READER, *FORTNIGHT, group_by=["unit", "category"],
                                     interval="week")

    assert answer["filename"] == "indicators_2026-11-23_2026-12-06.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(answer["content_base64"])))
    assert book.sheetnames == ["指标", "指标说明"]
    sheet = book["指标"]
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["周(自周一)", "承办单位", "单位代码", "类别", "受理量"]
    assert {"按时办结率", "满意率", "重办率", "办结用时中位数(小时)", "表扬数",
            "重复件并入数"} <= set(header)
    rows = [dict(zip(header, (cell.value for cell in row), strict=True))
            for row in sheet.iter_rows(min_row=2)]
    grid_lights = [row for row in rows if row["承办单位"] == GRID[1] and row["类别"] == "路灯"]
    assert [(row["周(自周一)"].date().isoformat(), row["受理量"], row["重复件并入数"])
            for row in grid_lights] == [("2026-11-23", 2, 1), ("2026-11-30", 0, 1)]
    total = rows[-1]
    assert total["周(自周一)"] == "合计"
    assert (total["受理量"], total["满意率"], total["办结用时90%分位(小时)"]) == (5, 0.75, 171.6)
    # rates show as percentages, hours with one decimal, counts as whole numbers
    columns = {name: index for index, name in enumerate(header)}
    last = sheet[sheet.max_row]
    assert last[columns["满意率"]].number_format == "0.0%"
    assert last[columns["办结用时中位数(小时)"]].number_format == "0.0"
    assert last[columns["受理量"]].number_format == "0"

    definitions = book["指标说明"]
    assert definitions["B1"].value.startswith("2026-11-23 至 2026-12-06")
    defined = {row[1]: row[2] for row in definitions.iter_rows(min_row=6, values_only=True)}
    assert set(defined) == set(FORTNIGHT_TOTALS)
    assert "回访接通数" in defined["satisfaction_rate"]


def test_an_ungrouped_workbook_has_one_row_for_the_whole_period(service, deliver):
    deliver(*fortnight())
    answer = service.indicators_xlsx(READER, *WEEK_2)
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(answer["content_base64"])))["指标"]
    assert sheet.max_row == 2
    assert (sheet["A1"].value, sheet["A2"].value) == ("范围", "全部")


@pytest.mark.parametrize("start, end, extra, field", [
    ("2026-11-24", "2026-11-23", {}, "end"),
    ("2026-11-23", "2026-11-23", {}, "end"),
    ("yesterday", "2026-11-23", {}, "start"),
    ("2026-11-23T00:00:00Z", "2026-11-24", {}, "start"),  # 08:00 in Shanghai: not a day's start
    ("2026-11-23", None, {}, "end"),
    (20261123, "2026-11-24", {}, "start"),
    ("2026-11-23", "2026-11-24", {"group_by": ["district"]}, "group_by"),
    ("2026-11-23", "2026-11-24", {"group_by": ["unit", "unit"]}, "group_by"),
    ("2026-11-23", "2026-11-24", {"group_by": "unit"}, "group_by"),
    ("2026-11-23", "2026-11-24", {"interval": "month"}, "interval"),
])
def test_indicators_refuse_a_bad_request(service, start, end, extra, field):
    with pytest.raises(InvalidRequest) as raised:
        service.indicators(READER, start, end, **extra)
    assert field in raised.value.errors
    with pytest.raises(InvalidRequest):
        service.indicators_xlsx(READER, start, end, **extra)


@pytest.mark.parametrize("group_by, interval", [(None, None), (["unit"], "day"),
                                                (["subdistrict", "category"], "week")])
def test_the_answer_is_the_contracts_and_loses_nothing(service, deliver, group_by, interval):
    """indicators is dumped with the contract's IndicatorsSchema, which names every figure
    this ledger counts, a count as a whole number, a rate or hours as a number or null."""
    kinds = {figure.name: figure.kind for figure in FIGURES}
    declared = FiguresSchema().fields
    assert tuple(declared) == FIGURE_NAMES
    assert all(isinstance(declared[name], fields.Integer) == (kind == COUNT)
               for name, kind in kinds.items())
    deliver(*fortnight())
    assert service.indicators(READER, *FORTNIGHT, group_by, interval) == \
        service._indicators(*FORTNIGHT, group_by, interval)


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3"]


def test_a_place_or_unit_named_like_a_formula_stays_text_in_the_workbook(service, deliver):
    """What an agent typed (a subdistrict) or a directory names (a unit) reaches Excel as the
    text it is, never as a formula to evaluate (OWASP CSV injection)."""
    for number, formula in enumerate(FORMULAS, start=1):
        ticket_no = f"YP20261123-010{number}"
        deliver(created(ticket_no, "11-23 09:00", {**YINHANG, "subdistrict": formula},
                        "street_light"),
                said("ticket_dispatched", ticket_no, at("11-23 09:01"),
                     unit=(f"unit-{number}", formula)))

    for group in ("unit", "subdistrict"):
        answer = service.indicators_xlsx(READER, *WEEK_1, group_by=[group])
        sheet = openpyxl.load_workbook(
            io.BytesIO(base64.b64decode(answer["content_base64"])))["指标"]
        labels = {row[0].value: row[0] for row in sheet.iter_rows(min_row=2)}
        assert set(FORMULAS) <= set(labels)
        for formula in FORMULAS:
            assert labels[formula].data_type == "s", formula  # not "f"
            assert labels[formula].quotePrefix, formula  # Excel keeps it text when edited
        assert not labels["合计"].quotePrefix  # plain text is left as it was
