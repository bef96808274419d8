"""The console in a real browser (Chromium), against the whole system started as `make run`
starts it, with the demo loaded: a handling unit's worker signs in and works a demo ticket
from dispatched to resolved through the pages (sign for it, record the contact, resolve
it), then a supervisor finds it in the indicators. A screenshot of every page visited is
kept in var/test-output/screenshots/ (the queue also as a phone shows it)."""
from __future__ import annotations

import itertools
import re
import time

import pytest

pytestmark = pytest.mark.timeout(600)

STORY = "demo-lockdown-medicine"  # 侯奶奶's medicine: urgent, dispatched, nobody has touched it
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
shot_numbers = itertools.count(1)  # the pages in the order they were seen


class Person:
    """Someone at the console in a browser of their own, photographing each page."""

    def __init__(self, chromium, system: dict, folder, who: str, **device):
        self.context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                            **(device or DESKTOP))
        self.page = self.context.new_page()
        self.url, self.folder, self.who = system["url"], folder, who
        # Chromium reports what the Content-Security-Policy blocked as console errors
        self.refused: list[str] = []
        self.page.on("console", lambda message: self.refused.append(message.text)
                     if "Content Security Policy" in message.text else None)

    def shot(self, what: str) -> None:
        """Photograph the page, which must work under the console's policy."""
        assert not self.refused, f"{what}: the page broke the policy: {self.refused}"
        name = f"{next(shot_numbers):02d}-{self.who}-{what}.png"
        self.page.screenshot(path=self.folder / name, full_page=True)

    def sign_in(self, username: str, password: str) -> None:
        self.page.goto(self.url + "login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.shot("login")
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, self.page.inner_text("main")

    def take(self, action: str, **fields: str) -> str:
        """Fill a step's form on the ticket page, send it, and return what the page says."""
        form = self.page.locator(f'form[data-action="{action}"]')
        for name, value in fields.items():
            form.locator(f'[name="{name}"]').fill(value)
        form.locator('button[type="submit"]').first.click()
        self.page.wait_for_load_state()
        return self.page.inner_text("main")

    def close(self) -> None:
        self.context.close()


def login_for(system: dict, role: str, unit_id: str | None = None) -> dict | None:
    return next((login for login in system["logins"] if login["role"] == role
                 and (unit_id is None or login.get("unit_id") == unit_id)), None)


def staff_login(chromium, system: dict, folder, unit_id: str) -> dict:
    """A demo login of the unit's staff, or one the admin makes for it through the page."""
    login = login_for(system, "unit_staff", unit_id)
    if login is not None:
        return login
    return made_by_admin(chromium, system, folder, {
        "username": f"{unit_id}-staff", "password": "browser-test-12345",
        "name": "网格员 小吴", "role": "unit_staff", "unit_id": unit_id})


def made_by_admin(chromium, system: dict, folder, login: dict, who: str = "admin") -> dict:
    """``login`` (username, password, name, role, unit_id), made by the demo admin through
    the accounts page."""
    admin = Person(chromium, system, folder, who)
    try:
        admin.sign_in(**credentials(login_for(system, "admin")))
        assert "用户管理" in admin.page.inner_text("main")
        admin.shot("users")
        admin.page.locator("#create-user summary").click()
        form = admin.page.locator('#create-user form')
        form.locator('[name="username"]').fill(login["username"])
        form.locator('[name="name"]').fill(login["name"])
        form.locator('[name="role"]').select_option(login["role"])
        form.locator('[name="unit_id"]').select_option(login["unit_id"])
        form.locator('[name="password"]').fill(login["password"])
        form.locator('button[type="submit"]').click()
        admin.page.wait_for_load_state()
        assert f"已创建用户 {login['username']}" in admin.page.inner_text("main")
        admin.shot("user-created")
    finally:
        admin.close()
    return login


def credentials(login: dict) -> dict:
    return {"username": login["username"], "password": login["password"]}


def test_a_unit_works_a_demo_ticket_to_resolution_and_the_supervisor_counts_it(
        chromium, running_system, screenshots):
    system = running_system
    number = system["tickets"][STORY]
    unit_id = system["units"][number]
    login = staff_login(chromium, system, screenshots, unit_id)

    # The worker's phone: the queue, the urgent ticket first (优先), time left in view
    phone = Person(chromium, system, screenshots, "unit-phone", **PHONE)
    phone.sign_in(**credentials(login))
    assert phone.page.url.endswith(f"/units/{unit_id}/queue")
    row = phone.page.locator(f'tr[data-ticket="{number}"]')
    assert "优先" in row.inner_text() and "剩" in row.inner_text()
    phone.shot("queue")
    phone.close()

    worker = Person(chromium, system, screenshots, "unit")
    worker.sign_in(**credentials(login))
    worker.shot("queue")
    worker.page.locator(f'tr[data-ticket="{number}"] a.ticket-no').click()
    worker.page.wait_for_load_state()
    assert worker.page.locator("h1").inner_text().startswith(number)
    assert worker.page.locator('form[data-action="resolve"]').count() == 0  # not signed for yet
    worker.shot("ticket-dispatched")

    assert "已签收" in worker.take("accept")
    worker.shot("ticket-accepted")
    said = worker.take("record_contact", note="已电联侯奶奶家属，药品今天送达")
    assert "已记录联系市民" in said
    worker.shot("ticket-contacted")
    said = worker.take("resolve", resolution="网格员代购药品并送到侯奶奶家中，当面核对用法")
    assert "已办结，等待回访" in said and "已办结" in worker.page.locator("h1").inner_text()
    assert worker.page.locator("form[data-action]").count() == 0  # nothing more to do
    worker.shot("ticket-resolved")
    worker.page.goto(system["url"] + f"units/{unit_id}/queue")
    assert worker.page.locator(f'tr[data-ticket="{number}"]').count() == 0
    worker.close()

    # The supervisor finds the resolution in the indicators and on the wall chart
    supervisor = Person(chromium, system, screenshots, "supervisor")
    supervisor.sign_in(**credentials(login_for(system, "supervisor")))
    assert "督办" in supervisor.page.locator("h1").first.inner_text()
    resolved = ""
    for _ in range(40):  # the ledger counts it once the events arrive
        unit_row = supervisor.page.locator(f'tr[data-unit="{unit_id}"]')
        if unit_row.count():
            resolved = unit_row.locator("td").nth(3).inner_text()
            if resolved == "1":
                break
        time.sleep(0.25)
        supervisor.page.reload()
    assert resolved == "1"
    # bars per unit and the line over days (satisfaction waits for callbacks)
    assert supervisor.page.locator("svg.chart").count() >= 2
    supervisor.shot("supervision")
    supervisor.close()


def test_the_centre_and_the_agent_pages_in_a_browser(chromium, running_system, screenshots):
    system = running_system
    dispatcher = Person(chromium, system, screenshots, "dispatcher")
    dispatcher.sign_in(**credentials(login_for(system, "dispatcher")))
    assert dispatcher.page.url.endswith("/centre")
    waiting = system["tickets"]["demo-loose-facade"]  # no rule in 未央区 routes building safety
    assert dispatcher.page.locator(f'tr[data-ticket="{waiting}"]').count() == 1
    dispatcher.shot("centre")
    dispatcher.close()

    agent = Person(chromium, system, screenshots, "agent")
    agent.sign_in(**credentials(login_for(system, "agent")))
    agent.shot("new-ticket")
    page = agent.page
    page.locator('[name="caller.name"]').fill("钱阿婆")
    page.locator('[name="caller.phone"]').fill("13800000099")
    page.locator('[name="kind"]').select_option("help")
    page.locator('[name="category"]').select_option("welfare_check")
    page.locator('[name="description"]').fill("独居老人两天没有出门，邻居担心")
    page.locator('[name="address.district"]').fill("杨浦区")
    page.locator('[name="address.subdistrict"]').fill("殷行街道")
    page.locator('[name="address.community"]').fill("国和居民区")
    page.get_by_role("button", name="提交工单").click()
    page.wait_for_load_state()
    created = page.locator(".created-no").inner_text()
    assert re.fullmatch(r"YP\d{8}-\d{4}", created)
    assert "优先处理" in page.locator(".created").inner_text()  # a welfare check goes first
    agent.shot("ticket-created")
    page.locator(".created-no a").click()
    page.wait_for_load_state()
    for _ in range(40):  # until dispatch has routed it
        if "待签收" in page.locator("h1").inner_text():
            break
        time.sleep(0.25)
        page.reload()
    assert "13800000099" in page.inner_text("main")  # the agent who took the call sees it all
    agent.shot("ticket-as-agent")
    agent.close()
