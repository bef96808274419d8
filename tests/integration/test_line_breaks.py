"""Line breaks as a browser sends them (a textarea's Enter is CRLF), through every door of
the console to the services and back: the new-ticket page, a step's form, the JSON API and
Open311 each accept them, and the ticket keeps each line as LF."""
from __future__ import annotations

import uuid

from integration_support import eventually
from test_console_api import (  # noqa: F401 - api, client, tokens: pytest fixtures
    api,
    client,
    created,
    dispatched,
    take,
    tokens,
)
from test_console_pages import Person, new_call, take_call

GRID = "yinhang-grid-1"


def test_the_pages_keep_the_lines_of_a_description_and_a_resolution(console_app, api):
    agent, grid = Person(console_app, "agent"), Person(console_app, "grid")
    mark = uuid.uuid4().hex[:6]
    number, _ = take_call(agent, description=f"卫生间扶手松动\r\n老人如厕不便 {mark}")

    ticket = api("get", f"/api/tickets/{number}", "agent").get_json()["ticket"]
    assert ticket["description"] == f"卫生间扶手松动\n老人如厕不便 {mark}"
    page = eventually(lambda: (lambda page: page if "待签收" in page else None)(
        grid.get(f"/tickets/{number}")))
    assert f'class="description typed">卫生间扶手松动\n老人如厕不便 {mark}</dd>' in page

    grid.post(f"/tickets/{number}/accept", {})
    response = grid.post(f"/tickets/{number}/resolve", {"resolution": "更换扶手\r\n测试牢固"})
    assert response.status_code == 200
    assert 'class="resolution typed">更换扶手\n测试牢固</dd>' in response.get_data(as_text=True)


def test_a_bell_in_a_description_is_refused_on_the_page_with_the_same_words(console_app):
    agent = Person(console_app, "agent")
    response = agent.post("/tickets/new", new_call(
        description="路灯不亮\x07"))
    assert response.status_code == 422
    assert "含有不允许的控制字符" in response.get_data(as_text=True)


def test_the_api_keeps_the_lines_of_a_description_and_a_note(api):
    number = created(api, description=f"路灯不亮\r\n已经两天 {uuid.uuid4().hex[:6]}")
    status = dispatched(api, number)["status"]
    assert status["description"].startswith("路灯不亮\n已经两天 ")
    take(api, number, "accept", "grid")
    take(api, number, "contact", "grid", note="已电联\r\n约定明早上门")
    status = dispatched(api, number, "contacted")["status"]
    assert status["last_note"] == "已电联\n约定明早上门"


def test_open311_keeps_the_lines_of_a_description(console_app, tokens, api):
    mark = uuid.uuid4().hex[:6]
    answer = console_app.test_client().post("/open311/v2/requests.json", data={
        "api_key": tokens["agent"], "service_code": "street_light",
        "description": f"国和小区8号楼路灯不亮\r\n晚上看不见台阶 {mark}",
        "address_string": "国和小区8号楼东侧", "attribute[subdistrict]": "殷行街道"})
    assert answer.status_code == 201, answer.get_json()
    [made] = answer.get_json()
    answer = api("get", f"/api/tickets/{made['service_request_id']}", "agent")
    assert answer.status_code == 200, (answer.status_code, answer.get_data(as_text=True)[:300])
    description = answer.get_json()["ticket"]["description"]
    assert description.startswith(f"国和小区8号楼路灯不亮\n晚上看不见台阶 {mark}")



