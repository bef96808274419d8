"""Finding tickets over the real broker: the ledger's search index is kept from the events
the services say, and the console's API and pages find open and closed tickets by words of
the description, the caller's phone in any format, and list them, each reader only what
they may see, in CSV and Excel too."""
from __future__ import annotations

import io
import re
import uuid

import pytest
from conftest import CONSOLE_PASSWORD  # noqa: I001 - tests/integration/conftest.py
from integration_support import eventually
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import load_workbook

# a token per user of conftest.CONSOLE_USERS and api(method, path, who, ...), as there
from test_console_api import (  # noqa: F401 - pytest fixtures
    GRID,
    api,
    client,
    created,
    dispatched,
    tokens,
)
from test_console_pages import Person

from services.console import search_pages

ELSEWHERE = {"username": "wy.search", "name": "未央区派单员", "role": "dispatcher",
             "unit_id": "centre", "district": "未央区"}


def a_phone() -> str:
    return f"029{uuid.uuid4().int % 10**8:08d}"


@pytest.fixture(scope="module")
def story(api):
    """A consultation answered on the spot (closed at once) from a landline, and a street
    lamp the grid workstation holds, from the same landline."""
    phone = a_phone()
    mark = uuid.uuid4().hex[:6]
    closed = created(api, kind="consult", category="other",
                     caller={"name": "吴阿姨", "phone": phone},
                     description=f"家里浴缸扶手松动想咨询谁来维修 {mark}",
                     answer="请联系物业报修")
    lamp = created(api, caller={"name": "吴阿姨", "phone": phone})
    dispatched(api, lamp)

    def recorded():
        answer = api("get", f"/api/tickets?phone={phone}&state=closed", "admin").get_json()
        return answer if answer["total"] == 1 else None
    eventually(recorded)
    return {"phone": phone, "closed": closed, "lamp": lamp, "mark": mark}


@pytest.fixture(scope="module")
def elsewhere(console_system):
    """An API token of a dispatcher of another district (未央区)."""
    with ClusterRpcProxy(console_system, timeout=10) as rpc:
        admin = rpc.accounts.authenticate("admin", CONSOLE_PASSWORD)["statement"]
        rpc.accounts.create_user({**ELSEWHERE, "password": CONSOLE_PASSWORD}, admin)
        return rpc.accounts.issue_token(ELSEWHERE["username"], "tests", admin)["token"]


def numbers(answer) -> list[str]:
    return [ticket["ticket_no"] for ticket in answer.get_json()["tickets"]]


def test_a_closed_ticket_is_found_by_two_words_of_its_description(api, story):
    answer = api("get", "/api/tickets?words=扶手 维修", "dispatcher")
    assert answer.status_code == 200, answer.get_json()
    assert story["closed"] in numbers(answer)
    found = next(ticket for ticket in answer.get_json()["tickets"]
                 if ticket["ticket_no"] == story["closed"])
    assert found["state"] == "closed"
    assert numbers(api("get", f"/api/tickets?words=扶手 {story['mark']}", "agent")) == [
        story["closed"]]


@pytest.mark.parametrize("written", ["{0}-{1}-{2}", "+86 {3} {1} {2}", "{0}{1}{2}"])
def test_the_callers_phone_finds_both_tickets_however_it_is_written(api, story, written):
    phone = story["phone"]
    typed = written.format(phone[:3], phone[3:7], phone[7:], phone[1:3])
    answer = api("get", "/api/tickets", "agent", query_string={"phone": typed})
    assert numbers(answer) == [story["lamp"], story["closed"]]
    assert answer.get_json()["total"] == 2


def test_a_reader_finds_only_what_they_may_see(api, client, story, elsewhere):
    phone = story["phone"]
    # the grid holds the lamp; the consultation went to no unit
    assert numbers(api("get", f"/api/tickets?phone={phone}", "grid")) == [story["lamp"]]
    assert numbers(api("get", f"/api/tickets?phone={phone}", "kaichen")) == []
    other = client.get(f"/api/tickets?phone={phone}",
                       headers={"Authorization": f"Bearer {elsewhere}"})
    assert other.status_code == 200 and other.get_json() == {
        "total": 0, "total_exact": True, "offset": 0, "limit": 20, "tickets": []}
    # the supervisor sees the tickets, not the caller's number
    seen = api("get", f"/api/tickets?phone={phone}", "supervisor").get_json()
    assert seen["total"] == 2 and phone not in str(seen)


def test_bad_questions_are_refused_with_the_field(api):
    answer = api("get", "/api/tickets?start=2026-11-24T00:00:00Z&end=2026-11-23T00:00:00Z",
                 "admin")
    assert answer.status_code == 422 and "end" in answer.get_json()["errors"]
    assert api("get", "/api/tickets?sort=sideways", "admin").status_code == 422


def test_the_search_page_lists_closed_tickets_pages_and_exports(console_app, story):
    agent = Person(console_app, "agent")
    page = agent.get("/search?words=扶手+" + story["mark"])
    assert story["closed"] in page and "共找到 <b id=\"found-total\">1</b> 件工单" in page
    assert "已结案" in page
    everything = agent.get("/search?state=closed")
    assert story["closed"] in everything
    csv_text = agent.client.get(f"/search/export.csv?phone={story['phone']}")
    assert csv_text.status_code == 200
    for download in (csv_text, agent.client.get(f"/search/export.xlsx?phone={story['phone']}")):
        # a server writes headers in latin-1: the Chinese name goes as filename*=UTF-8''…
        disposition = download.headers["Content-Disposition"]
        assert disposition.encode("latin-1") and "filename*=UTF-8''" in disposition
    body = csv_text.get_data(as_text=True)
    assert story["closed"] in body and story["lamp"] in body and "工单号" in body
    xlsx = agent.client.get(f"/search/export.xlsx?phone={story['phone']}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == [
        "工单号", story["lamp"], story["closed"]]


def test_an_export_cut_short_says_that_more_tickets_were_found(console_app, story,
                                                                monkeypatch):
    monkeypatch.setattr(search_pages, "EXPORT_MAX", 1)
    agent = Person(console_app, "agent")
    xlsx = agent.client.get(f"/search/export.xlsx?phone={story['phone']}")
    rows = [row[0] for row in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(
        values_only=True)]
    assert rows == ["工单号", story["lamp"], "只导出了前 1 件；还有更多，请缩小查询条件再导出"]
    body = agent.client.get(f"/search/export.csv?phone={story['phone']}").get_data(
        as_text=True)
    assert story["closed"] not in body and "还有更多" in body


def test_a_page_past_the_last_says_so_and_leads_back(console_app, story):
    agent = Person(console_app, "agent")
    page = agent.get(f"/search?phone={story['phone']}&page=5")
    assert "还没有工单" not in page and "没有符合条件的工单" not in page
    assert "第 5 / 1 页" not in page
    assert "第 5 页没有工单" in page and "回到第 1 页" in page


def test_an_export_keeps_a_formula_as_text(api, console_app):
    phone = a_phone()
    number = created(api, kind="consult", category="other", answer="已答复",
                     caller={"name": "=HYPERLINK(\"http://x\",\"y\")", "phone": phone})
    agent = Person(console_app, "agent")
    eventually(lambda: number in agent.get(f"/search?phone={phone}"))
    xlsx = agent.client.get(f"/search/export.xlsx?phone={phone}")
    cell = load_workbook(io.BytesIO(xlsx.data)).active["G2"]
    assert cell.value == "=HYPERLINK(\"http://x\",\"y\")" and cell.data_type == "s"
    assert cell.quotePrefix
    body = agent.client.get(f"/search/export.csv?phone={phone}").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_the_agent_sees_the_callers_earlier_tickets_while_taking_the_call(console_app,
                                                                          story):
    agent = Person(console_app, "agent")
    phone = story["phone"]
    answer = agent.client.get(f"/search/callers?phone={phone[:3]}-{phone[3:7]}-{phone[7:]}")
    listed = answer.get_json()
    assert listed["total"] == 2
    assert [ticket["ticket_no"] for ticket in listed["tickets"]] == [story["lamp"],
                                                                     story["closed"]]
    assert listed["tickets"][1]["state"] == "已结案"
    assert agent.client.get("/search/callers?phone=138").get_json()["total"] == 0
    grid = Person(console_app, "grid")
    assert grid.client.get(f"/search/callers?phone={phone}").status_code == 403


def test_a_saved_view_is_its_owners_alone(console_app):
    dispatcher, supervisor = Person(console_app, "dispatcher"), Person(console_app, "supervisor")
    dispatcher.get("/search?state=closed&category=other")
    page = dispatcher.post("/search/views", {"view_name": "已结案其他", "state": "closed",
                                             "category": "other"}).get_data(as_text=True)
    assert "已保存视图“已结案其他”" in page
    assert 'href="/search?state=closed&amp;category=other"' in page \
        or 'href="/search?category=other&amp;state=closed"' in page
    assert "已结案其他" not in supervisor.get("/search")
    too_long = dispatcher.post("/search/views", {"view_name": "长" * 41}).get_data(as_text=True)
    assert "视图未保存" in too_long
    view_id = re.search(r'/search/views/([0-9a-f]+)/delete', page).group(1)
    assert supervisor.post(f"/search/views/{view_id}/delete", {}).status_code == 404
    assert "已结案其他" not in dispatcher.post(f"/search/views/{view_id}/delete",
                                               {}).get_data(as_text=True).split("我的视图")[1]
