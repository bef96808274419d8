"""The care page drawn from canned answers: a grid worker sees the check-ins nobody
answered in the last week, latest first, and not the answered or older ones."""
from __future__ import annotations

import datetime as dt

from test_console_pages_offline import GRID, Canned, signed_in

from services.shared import clock


def iso(hours_from_now: float) -> str:
    return clock.iso(clock.now() + dt.timedelta(hours=hours_from_now))


def checkin(result: str | None, hours_ago: float, ticket_no: str | None = None) -> dict:
    return {"task_id": f"t{hours_ago}", "due_at": iso(-hours_ago), "planned_for": iso(-hours_ago),
            "result": result, "ticket_no": ticket_no, "attempts": []}


ROWS = [{"resident_id": "R1", "name": "周奶奶", "checkin_plan": {"days": [1], "times": ["10:00"]},
         "address": {"district": "杨浦区"}},
        {"resident_id": "R2", "name": "无计划老伯", "checkin_plan": None,
         "address": {"district": "杨浦区"}}]
HISTORY = {"R1": [checkin("missed", 2, "YP20261123-0009"), checkin("answered", 5),
                  checkin("missed", 24 * 9), checkin("missed", 30)]}


def test_the_care_page_lists_the_weeks_missed_check_ins_latest_first():
    services = Canned({
        ("register", "birthdays"): lambda *args: [],
        ("register", "find_residents"): lambda *args: ROWS,
        ("callback", "checkins_for"): lambda resident_id, actor, limit: HISTORY[resident_id],
        ("dispatch", "get_directory"): lambda *args: {"units": [], "places": [], "rules": []},
    })
    page = signed_in(services, GRID).get("/care").get_data(as_text=True)

    missed = page[page.index("未接通的探访电话"):]
    assert "2 次" in missed and missed.count("周奶奶") == 2
    assert "YP20261123-0009" in missed  # the welfare ticket it opened
    assert "无计划老伯" not in page
    # only residents with a plan are asked for their history
    assert [args[0] for service, method, args in services.calls
            if method == "checkins_for"] == ["R1"]
