"""Finding tickets in a real browser (Chromium, on a desktop and on a 375×812 phone), the
system started as `make run` starts it: an agent taking a call from someone who called
before sees their earlier ticket as soon as the phone is typed, and a closed ticket is
found on 工单查询 by two words of its description. Screenshots in
var/test-output/screenshots/."""
from __future__ import annotations

import uuid

import pytest
from test_console_browser import DESKTOP, Person, credentials, login_for

pytestmark = pytest.mark.timeout(600)

SMALL_PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2,
               "is_mobile": True, "has_touch": True}
DEVICES = {"desktop": DESKTOP, "phone": SMALL_PHONE}


def a_landline() -> str:
    return f"029{uuid.uuid4().int % 10**8:08d}"


def answered_call(agent: Person, phone: str, description: str) -> str:
    """A consultation the agent answers on the spot through the new-ticket page (closed at
    once); its number."""
    page = agent.page
    page.goto(agent.url + "tickets/new")
    page.locator('[name="caller.name"]').fill("吴阿姨")
    page.locator('[name="caller.phone"]').fill(phone)
    page.locator('[name="kind"]').select_option("consult")
    page.locator('[name="category"]').select_option("other")
    page.locator('[name="description"]').fill(description)
    page.locator('[name="address.district"]').fill("杨浦区")
    page.locator('[name="address.subdistrict"]').fill("殷行街道")
    page.get_by_text("咨询：直接答复").click()
    page.locator('[name="answer"]').fill("请联系小区物业报修，费用按规定由业主承担")
    page.get_by_role("button", name="提交工单").click()
    page.wait_for_load_state()
    return page.locator(".created-no").inner_text().strip()


def fits(person: Person) -> bool:
    """Whether the page is no wider than the screen (tables scroll in their own box)."""
    return person.page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("device", sorted(DEVICES))
def test_an_agent_sees_a_repeat_callers_earlier_ticket_while_taking_the_call(
        chromium, running_system, screenshots, device):
    agent = Person(chromium, running_system, screenshots, f"agent-{device}",
                   **DEVICES[device])
    try:
        agent.sign_in(**credentials(login_for(running_system, "agent")))
        phone = a_landline()
        earlier = answered_call(agent, phone, f"卫生间浴缸扶手松动 {uuid.uuid4().hex[:6]}")
        page = agent.page
        page.goto(agent.url + "tickets/new")
        # the same lady calls again; the agent types her number as she says it
        page.locator('[name="caller.phone"]').press_sequentially(
            f"{phone[:3]}-{phone[3:7]}-{phone[7:]}", delay=20)
        history = page.locator("#caller-history")
        history.locator(f'li[data-ticket="{earlier}"]').wait_for(timeout=15_000)
        text = history.inner_text()
        assert "此号码以往工单 1 件" in text and "已结案" in text and "其他" in text
        assert fits(agent)
        agent.shot("caller-history")
    finally:
        agent.close()


@pytest.mark.parametrize("device", sorted(DEVICES))
def test_search_finds_a_closed_ticket_by_two_words_of_its_description(
        chromium, running_system, screenshots, device):
    agent = Person(chromium, running_system, screenshots, f"search-{device}",
                   **DEVICES[device])
    try:
        agent.sign_in(**credentials(login_for(running_system, "agent")))
        mark = uuid.uuid4().hex[:6]
        number = answered_call(agent, a_landline(), f"阳台晾衣架锈蚀脱落 编号{mark}")
        page = agent.page
        page.get_by_role("link", name="工单查询").first.click()
        page.wait_for_load_state()
        form = page.locator("form.search-form")
        form.locator('[name="words"]').fill("晾衣架 脱落")
        form.locator('[name="state"]').select_option("closed")
        form.get_by_role("button", name="查询").click()
        page.wait_for_load_state()
        for _ in range(40):  # the ledger records the call a moment after it is taken
            if page.locator(f'tr[data-ticket="{number}"]').count():
                break
            page.wait_for_timeout(250)
            page.reload()
        row = page.locator(f'tr[data-ticket="{number}"]')
        assert row.count() == 1
        assert "已结案" in row.inner_text()
        assert int(page.locator("#found-total").inner_text()) >= 1
        assert fits(agent)
        agent.shot("search-found")
        row.locator("a.ticket-no").click()
        page.wait_for_load_state()
        assert number in page.inner_text("main")
    finally:
        agent.close()
