"""Every word on a page in Chinese, and a ticket page that goes on without the parts that
do not answer; against the services over RabbitMQ.

A morning's work is done through the forms (a repair worked with an assisting unit, an
extension asked and a supervisor's urge; a ticket sent back to the centre; an urgent
welfare call from a resident in the register; a refused step), then each role's pages
are read, and the words a person sees (text, and the placeholders, titles and labels the
browser shows) may hold no run of Latin letters but the few tokens ALLOWED names.
Then the ledger stops, then intake: the ticket page still shows the ticket and its steps
from dispatch, its history marked unavailable, naming the part."""
from __future__ import annotations

import json
import re
import uuid
from html.parser import HTMLParser

import pytest
from conftest import CONSOLE_RUNNERS, CONSOLE_USERS
from integration_support import CALLBACK_WORKER, eventually
from nameko.standalone.rpc import ClusterRpcProxy
from test_console_pages import Person, dispatched, take_call
from test_console_register import add

from services.callback.dialers import ScriptedDialer
from services.callback.worker import CallbackWorker
from services.console.app import create_app
from services.console.settings import Settings

# Latin a person may meet on a page, each for a reason:
ALLOWED = {
    "API",      # the program accounts' API tokens (admin's page)
    "Open311",  # the public interface's name
    "CSV", "csv", "Excel", "xlsx",  # file formats the register imports and exports
    "km",       # a unit of distance
    "JPEG", "PNG", "WebP", "PDF", "Word",  # kinds of file attached to a ticket
    "MB",       # their size limit
}
# Codes that are data, not words, printed as they are: ticket numbers (YP20261206-0001)
# and residents' numbers (R14958F12C1).
DATA = re.compile(r"\b([A-Z]{2}\d{8}-\d{4}|R[0-9A-F]{10})\b")
LATIN = re.compile(r"[A-Za-z]+")
SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "value")


# What is not words: script and style; <code>, what an operator types as it is (the
# supervision page's hotline-admin commands).
NOT_WORDS = ("script", "style", "template", "code")


class Words(HTMLParser):
    """The words a person sees on a page: its text outside NOT_WORDS, and the attributes a
    browser shows (a button's value, an input's placeholder, a tooltip)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.seen: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in NOT_WORDS:
            self._hidden += 1
        values = dict(attrs)
        # an input's value is what was typed (or a checkbox's code), but a button's label
        label = tag == "input" and values.get("type") in ("submit", "button", "reset")
        for name in SHOWN_ATTRIBUTES:
            if values.get(name) and (name != "value" or label):
                self.seen.append(values[name])

    def handle_endtag(self, tag: str) -> None:
        if tag in NOT_WORDS:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.seen.append(data.strip())


def foreign_words(page: str, allowed: set[str] = frozenset()) -> list[str]:
    reader = Words()
    reader.feed(page)
    found = []
    for text in reader.seen:
        for token in LATIN.findall(DATA.sub("", text)):
            if token not in ALLOWED and token not in allowed:
                found.append(f"{token!r} in {text[:80]!r}")
    return found


@pytest.fixture(scope="module")
def people(console_app):
    return {key: Person(console_app, key) for key in CONSOLE_USERS}


def number() -> int:
    """A number making a description of its own (the forms' test data adds Latin hex)."""
    return uuid.uuid4().int % 10**6


@pytest.fixture(scope="module")
def morning(people) -> dict:
    """A morning's work, through the forms; the tickets and resident it left."""
    agent, grid, kaichen = people["agent"], people["grid"], people["kaichen"]
    worked, _ = take_call(agent, description=f"卫生间扶手松动，老人如厕不便{number()}")
    dispatched(grid, worked)
    grid.post(f"/tickets/{worked}/accept", {})
    grid.post(f"/tickets/{worked}/record_contact", {"note": "已电联，约定下午上门"})
    grid.post(f"/tickets/{worked}/add_assist",
              {"unit_id": "kaichen-property", "note": "请物业配合打孔"})
    kaichen.post(f"/tickets/{worked}/accept_assist", {})
    grid.post(f"/tickets/{worked}/request_extension",
              {"deadline": "resolve", "until": "2099-01-01T10:00", "reason": "等待配件"})
    people["supervisor"].post(f"/tickets/{worked}/urge", {"note": "请尽快上门"})

    returned, _ = take_call(agent, category="street_light",
                            description=f"小区路灯不亮，不属于网格职责{number()}")
    dispatched(grid, returned)
    grid.post(f"/tickets/{returned}/return_ticket", {"reason": "不属于本单位职责"})

    resident_id, form = add(grid, name=f"孙奶奶{uuid.uuid4().int % 10000}")
    welfare, _ = take_call(agent, category="welfare_check", urgency="urgent",
                           **{"caller.phone": form["phones"], "caller.name": form["name"],
                              "description": f"老人电话无人接听，请上门探望{number()}"})
    dispatched(grid, welfare)
    # a step refused: another unit's ticket
    refused = kaichen.post(f"/tickets/{welfare}/accept", {}, follow=False)
    assert refused.status_code in (403, 404)
    eventually(lambda: "派单至" in grid.get(f"/tickets/{worked}"))
    return {"worked": worked, "returned": returned, "welfare": welfare,
            "resident_id": resident_id}


def pages_of(key: str, morning: dict) -> list[tuple[str, int]]:
    """(path, status) of the pages each role works in."""
    worked, returned, welfare = morning["worked"], morning["returned"], morning["welfare"]
    resident = morning["resident_id"]
    # a ticket that does not exist: not found for those who see every ticket, refused as
    # another's would be for a unit's staff (access.unseen)
    unseen = 403 if key in ("grid", "kaichen") else 404
    common = [(f"/tickets/{worked}", 200), ("/tickets/YP20000101-9999", unseen),
              ("/no-such-page", 404), ("/search", 200), ("/search?words=路灯&state=closed", 200)]
    return common + {
        "grid": [("/units/yinhang-grid-1/queue", 200), (f"/tickets/{welfare}", 200),
                 ("/register", 200), (f"/residents/{resident}", 200), ("/care", 200),
                 ("/register/new", 200), ("/register/import", 200), ("/centre", 403)],
        "kaichen": [("/units/kaichen-property/queue", 200), (f"/tickets/{welfare}", 403),
                    ("/units/yinhang-grid-1/queue", 403)],
        "dispatcher": [("/centre", 200), (f"/tickets/{returned}", 200), ("/supervision", 200),
                       ("/tickets/new", 200)],
        "supervisor": [("/supervision", 200), ("/centre", 200), (f"/tickets/{welfare}", 200),
                       (f"/residents/{resident}/views", 200)],
        "agent": [("/tickets/new", 200), (f"/tickets/{welfare}", 200), ("/supervision", 403)],
        "admin": [("/admin/users", 200), ("/centre", 200), ("/supervision", 200),
                  ("/register", 200), ("/tickets/new", 200), (f"/tickets/{returned}", 200),
                  (f"/residents/{resident}", 200)],
    }[key]


@pytest.mark.parametrize("key", list(CONSOLE_USERS))
def test_every_page_of_each_role_says_everything_in_chinese(people, morning, key):
    person = people[key]
    # the admin's page lists the accounts' usernames: data typed by an admin, not words
    usernames = {user["username"] for user in CONSOLE_USERS.values()} if key == "admin" \
        else set()
    found = {}
    for path, status in pages_of(key, morning):
        page = person.get(path, status=status)
        foreign = foreign_words(page, usernames)
        if foreign:
            found[path] = foreign
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def test_a_refused_step_and_the_login_page_say_it_in_chinese(console_app, people, morning):
    grid = people["grid"]
    response = grid.post(f"/tickets/{morning['worked']}/accept", {})  # accepted already
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f"工单 {morning['worked']} 当前为“已联系”，不能签收。" in page
    assert foreign_words(page) == []
    assert foreign_words(Person(console_app).get("/login")) == []


def test_the_priority_reasons_and_the_resident_are_in_words(people, morning):
    page = people["dispatcher"].get(f"/tickets/{morning['welfare']}")  # intake's reasons
    assert "优先处理：探访关爱、一号专线: 台账在册居民" in page
    assert "registered_resident" not in page and "welfare_check" not in page


def test_the_callbacks_outcome_is_said_in_words_and_its_dialers_note_never(
        console_system, people):
    """The demo dialer notes "scripted: default"; the unit's note stays under 最近备注."""
    agent, grid = people["agent"], people["grid"]
    number_, _ = take_call(agent, description=f"楼道灯不亮{number()}")
    dispatched(grid, number_)
    grid.post(f"/tickets/{number_}/accept", {})
    grid.post(f"/tickets/{number_}/record_contact", {"note": "已电联王阿姨"})
    grid.post(f"/tickets/{number_}/resolve", {"resolution": "已更换灯泡"})
    with ClusterRpcProxy(console_system, timeout=10) as rpc:
        worker = CallbackWorker(rpc.callback, ScriptedDialer({"default": "satisfied"}),
                                "dialer-words", lambda: CALLBACK_WORKER)

        def closed() -> str | None:
            worker.work_once()
            page = grid.get(f"/tickets/{number_}")
            return page if "回访: 满意" in page and "已结案" in page else None
        page = eventually(closed, timeout=30)
    assert "已电联王阿姨" in page and "满意（已结案）" in page
    assert "scripted" not in page and foreign_words(page) == []


def stop(console_system, service: str) -> None:
    """Stop one service of the running system (its queue stays: requests wait unanswered)."""
    runner = next(runner for runner in CONSOLE_RUNNERS[console_system["AMQP_URI"]].runners
                  if any(container.service_name == service for container in runner.containers))
    runner.stop()


def test_the_ticket_page_goes_on_without_the_ledger_then_without_intake(
        console_system, morning):
    # a console that waits 2 s for an answer (10 s by default), so that this test is short
    app = create_app(Settings(amqp_uri=console_system["AMQP_URI"], secret_key="test-secret",
                              testing=True, rpc_timeout=2))
    grid, number = Person(app, "grid"), morning["worked"]
    stop(console_system, "ledger")
    page = grid.get(f"/tickets/{number}")  # 200, not the 503 page
    assert number in page and "已联系" in page and "卫生间扶手松动" in page
    assert "历史记录暂不可用" in page and "记录服务暂时没有响应" in page
    assert 'data-action="record_contact"' in page  # the steps, from dispatch
    assert "派单至" not in page

    stop(console_system, "intake")
    page = grid.get(f"/tickets/{number}")
    assert number in page and "历史记录暂不可用" in page
    assert "受理信息" in page and "受理服务暂时没有响应" in page
    assert foreign_words(page) == []
    app.extensions["hotline_services"].close()
