"""One step on many tickets, over the running services: the centre reassigns tickets the
grid sent back all at once, each ticket checked by dispatch alone (one refused does not
stop the others), and reads each ticket's result; only the centre and supervisors may."""
from __future__ import annotations

import pytest
from integration_support import eventually
from test_console_api import (  # noqa: F401 - pytest fixtures
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

UNKNOWN = "YP20990101-0001"


def returned(api, count: int) -> list[str]:
    """``count`` tickets the grid sent back to the centre."""
    numbers = [created(api) for _ in range(count)]
    for number in numbers:
        dispatched(api, number)
        take(api, number, "return", "grid", reason="不属于本网格")
    for number in numbers:
        eventually(lambda number=number: api("get", f"/api/tickets/{number}", "dispatcher")
                   .get_json()["status"]["state"] == "pending")
    return numbers


def test_the_centre_reassigns_returned_tickets_at_once_and_reads_each_result(api):
    numbers = returned(api, 4)
    answer = api("post", "/api/tickets/bulk", "dispatcher", json={
        "action": "reassign", "ticket_nos": numbers + [UNKNOWN], "unit_id": PROPERTY,
        "note": "批量改派"})

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["action"], body["done"], body["failed"]) == ("reassign", 4, 1)
    results = {result["ticket_no"]: result for result in body["results"]}
    assert [result["ticket_no"] for result in body["results"]] == numbers + [UNKNOWN]
    assert all(results[number]["ok"] and results[number]["state"] == "dispatched"
               for number in numbers)
    assert results[UNKNOWN]["ok"] is False and results[UNKNOWN]["code"] == 404
    assert results[UNKNOWN]["message"].startswith("未找到")
    for number in numbers:
        assert api("get", f"/api/tickets/{number}", "kaichen").get_json()["status"][
            "unit_id"] == PROPERTY


def test_a_supervisor_urges_many_and_one_refused_does_not_stop_the_others(api):
    held = created(api)
    dispatched(api, held)
    answer = api("post", "/api/tickets/bulk", "supervisor", json={
        "action": "urge", "ticket_nos": [UNKNOWN, held, held.lower()], "note": "请尽快签收"})
    assert answer.status_code == 200, answer.get_json()
    first, second = answer.get_json()["results"]  # the same ticket is urged once
    assert (first["ok"], first["code"], second["ok"]) == (False, 404, True)
    urges = api("get", f"/api/tickets/{held}", "grid").get_json()["status"]["urges"]
    assert [urge["note"] for urge in urges] == ["请尽快签收"]


@pytest.mark.parametrize("who", ["grid", "agent"])
def test_only_the_centre_and_supervisors_take_steps_on_many(api, who):
    number = created(api)
    dispatched(api, number)
    answer = api("post", "/api/tickets/bulk", who, json={
        "action": "reassign", "ticket_nos": [number], "unit_id": PROPERTY})
    assert answer.status_code == 403
    assert api("get", f"/api/tickets/{number}", "grid").get_json()["status"]["unit_id"] == GRID


def test_more_than_a_hundred_is_refused(api):
    answer = api("post", "/api/tickets/bulk", "dispatcher", json={
        "action": "reassign", "ticket_nos": [f"YP20990101-{n:04d}" for n in range(101)],
        "unit_id": PROPERTY})
    assert answer.status_code == 422 and "ticket_nos" in answer.get_json()["errors"]


def test_the_centre_page_reassigns_the_ticked_tickets_and_shows_each_result(console_app, api):
    numbers = returned(api, 2)
    dispatcher = Person(console_app, "dispatcher")
    page = dispatcher.get("/centre")
    assert all(f'name="ticket_no" value="{number}"' in page for number in numbers)
    answer = dispatcher.post("/tickets/bulk", {
        "action": "reassign", "ticket_no": numbers + [UNKNOWN], "unit_id": PROPERTY,
        "next": "/centre"})
    shown = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "批量改派结果" in shown and "成功 <b>2</b> 件，失败 <b>1</b> 件" in shown
    assert shown.count("成功</span>") == 2 and "失败</span> 未找到" in shown
    eventually(lambda: all(
        api("get", f"/api/tickets/{n}", "admin").get_json()["status"]["unit_id"] == PROPERTY
        for n in numbers))
    nothing = dispatcher.post("/tickets/bulk", {"action": "reassign", "unit_id": PROPERTY})
    assert nothing.status_code == 422 and "请先勾选要处理的工单" in nothing.get_data(as_text=True)
    supervisor = Person(console_app, "supervisor")
    page = supervisor.get("/supervision")
    assert 'id="bulk"' in page and '<option value="urge">督办</option>' in page
    grid = Person(console_app, "grid")
    assert grid.post("/tickets/bulk", {"action": "urge", "ticket_no": numbers,
                                       "note": "x"}).status_code == 403
