"""A person within a unit (承办人), over RabbitMQ: the grid workstation's staff see who they
may give a ticket to, one gives it to a colleague, who finds it under "mine", works it
and is named in the record; the indicators count it to them for a supervisor; another
unit clears it."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from conftest import CONSOLE_PASSWORD  # noqa: I001 - tests/integration/conftest.py
from integration_support import eventually
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import load_workbook
from test_console_api import (  # noqa: F401 - pytest fixtures
    ADMIN_ACTOR,
    GRID,
    PROPERTY,
    api,
    client,
    created,
    dispatched,
    take,
    tokens,
)
from test_console_pages import Person

from services.shared import clock

WORKER = {"username": "grid.wu", "name": "网格员吴敏", "role": "unit_staff", "unit_id": GRID}
GONE = {"username": "grid.gone", "name": "网格员已离职", "role": "unit_staff", "unit_id": GRID}


@pytest.fixture(scope="module")
def worker(console_system, tokens):
    """A second grid worker (吴敏), with an API token under ``tokens["worker"]``; and a
    grid account deactivated since."""
    with ClusterRpcProxy(console_system, timeout=10) as rpc:
        for user in (WORKER, GONE):
            rpc.accounts.create_user({**user, "password": CONSOLE_PASSWORD}, ADMIN_ACTOR)
        rpc.accounts.update_user(GONE["username"], {"active": False}, ADMIN_ACTOR)
        tokens["worker"] = rpc.accounts.issue_token(WORKER["username"], "tests",
                                                    ADMIN_ACTOR)["token"]
    return WORKER


def queue_numbers(api, who: str, mine: bool = False) -> list[str]:
    answer = api("get", f"/api/queues/{GRID}" + ("?mine=1" if mine else ""), who)
    assert answer.status_code == 200, answer.get_json()
    return [row["ticket_no"] for row in answer.get_json()]


def test_the_unit_and_the_centre_see_whom_a_ticket_may_go_to_and_nothing_personal(
        api, worker):
    staff = api("get", f"/api/units/{GRID}/staff", "grid")
    assert staff.status_code == 200
    people = staff.get_json()
    assert {"username": "li", "name": "网格员李琳"} in people
    assert {"username": "grid.wu", "name": "网格员吴敏"} in people
    assert all(set(person) == {"username", "name"} for person in people)
    assert "grid.gone" not in [person["username"] for person in people]  # deactivated
    assert api("get", f"/api/units/{GRID}/staff", "dispatcher").get_json() == people
    assert api("get", f"/api/units/{GRID}/staff", "kaichen").status_code == 403
    assert api("get", f"/api/units/{GRID}/staff", "agent").status_code == 403
    assert api("get", "/api/units/no-such-unit/staff", "admin").status_code == 404


def test_given_to_a_colleague_found_under_mine_worked_and_recorded(api, worker):
    number = created(api)
    dispatched(api, number)
    given = take(api, number, "assign", "grid", username="grid.wu")
    assert given["assignee"]["username"] == "grid.wu"
    assert given["assignee"]["by"]["id"] == "li"

    assert number in queue_numbers(api, "worker", mine=True)
    assert number not in queue_numbers(api, "grid", mine=True)
    assert number in queue_numbers(api, "grid")  # the unit's queue still shows it

    take(api, number, "accept", "worker")
    take(api, number, "resolve", "worker", resolution="路灯已修好")

    def recorded():
        timeline = api("get", f"/api/tickets/{number}", "grid").get_json()["timeline"]
        summaries = [item["summary"] for item in timeline]
        return summaries if "指派给 网格员吴敏" in summaries else None
    summaries = eventually(recorded)
    assert summaries.index("指派给 网格员吴敏") < summaries.index("签收")

    today = clock.local(clock.now()).date()
    period = f"start={today.isoformat()}&end={(today + dt.timedelta(days=1)).isoformat()}"

    def counted():
        answer = api("get", f"/api/indicators?{period}&group_by=unit&group_by=assignee",
                     "supervisor")
        assert answer.status_code == 200, answer.get_json()
        rows = [row for row in answer.get_json()["rows"] if row["assignee"] == "grid.wu"]
        return rows[0] if rows and rows[0]["resolved"] >= 1 else None
    row = eventually(counted)
    assert (row["unit_id"], row["assignee_name"]) == (GRID, "网格员吴敏")
    assert row["accepted"] >= 1
    refused = api("get", f"/api/indicators?{period}&group_by=assignee", "dispatcher")
    assert refused.status_code == 403


def test_staff_take_a_ticket_themselves_and_another_unit_clears_it(api, worker):
    number = created(api)
    dispatched(api, number)
    taken = take(api, number, "assign", "worker", username="grid.wu")
    assert taken["assignee"]["username"] == "grid.wu"
    take(api, number, "assign", "worker", 409, username="grid.wu")  # theirs already
    take(api, number, "assign", "grid", 422, username="grid.gone")  # deactivated
    take(api, number, "assign", "kaichen", 403, username="kc")  # not their unit's

    moved = take(api, number, "reassign", "dispatcher", unit_id=PROPERTY)
    assert moved["assignee"] is None
    assert number not in queue_numbers(api, "worker", mine=True)


def test_the_pages_offer_take_and_give_and_the_queue_filters_mine(console_app, api, worker):
    number = created(api)
    dispatched(api, number)
    head = Person(console_app, "grid")
    page = head.get(f"/tickets/{number}")
    assert "接单" in page and "指派给" in page and "网格员吴敏" in page

    done = head.post(f"/tickets/{number}/assign", {"username": "grid.wu"})
    assert "已指派" in done.get_data(as_text=True)
    assert "承办人：<strong class=\"assignee\">网格员吴敏</strong>" in head.get(
        f"/tickets/{number}")
    refused = head.post(f"/tickets/{number}/assign", {"username": "kc"}, follow=False)
    assert refused.status_code == 422
    assert "请选择主办单位的在岗人员" in refused.get_data(as_text=True)

    worker_page = Person(console_app)
    assert worker_page.sign_in("grid.wu", CONSOLE_PASSWORD).status_code == 302
    worker_page.get("/", follow=True)
    mine = worker_page.get(f"/units/{GRID}/queue?mine=1")
    assert number in mine
    assert number not in head.get(f"/units/{GRID}/queue?mine=1")
    assert number in head.get(f"/units/{GRID}/queue")

    # the list as the page filters it, to keep: CSV and Excel, the filter passed on
    assert f"/units/{GRID}/queue/export.xlsx?mine=1" in mine
    sheet = load_workbook(io.BytesIO(worker_page.client.get(
        f"/units/{GRID}/queue/export.xlsx?mine=1").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("工单号", "状态") and rows[0][11] == "承办人"
    assert [row[0] for row in rows[1:]] == [number] and rows[1][11] == "网格员吴敏"
    csv_text = head.client.get(f"/units/{GRID}/queue/export.csv").get_data(as_text=True)
    assert number in csv_text and "网格员吴敏" in csv_text
    assert number not in head.client.get(
        f"/units/{GRID}/queue/export.csv?mine=1").get_data(as_text=True)

    supervisor = Person(console_app, "supervisor")
    assert "承办人指标" in supervisor.get("/supervision?people=1")
    assert "按承办人查看" not in Person(console_app, "dispatcher").get("/supervision")
