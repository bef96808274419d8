"""Lines as people type them, in a real browser (which sends a textarea's Enter as CRLF):
the agent types a description of several lines in the new-ticket form, the grid worker a
resolution of several lines, and the ticket's page shows each line as typed."""
from __future__ import annotations

import re
import time

import pytest
from test_console_browser import Person, credentials, login_for, staff_login

pytestmark = pytest.mark.timeout(600)

GRID = "yinhang-grid-1"  # a home repair in 国和小区 is the grid workstation's


def typed(field, lines: list[str]) -> None:
    """Type ``lines`` into a textarea key by key, Enter between them."""
    field.click()
    for number, line in enumerate(lines):
        if number:
            field.press("Enter")
        field.press_sequentially(line)


def test_a_description_and_a_resolution_keep_the_lines_they_were_typed_in(
        chromium, running_system, screenshots):
    system = running_system
    description = ["卫生间扶手松动", "老人如厕不便", "请尽快上门"]
    resolution = ["上门更换扶手", "测试牢固", "已告知老人家属"]

    agent = Person(chromium, system, screenshots, "agent-lines")
    agent.sign_in(**credentials(login_for(system, "agent")))
    page = agent.page
    page.locator('[name="caller.name"]').fill("张老伯")
    page.locator('[name="caller.phone"]').fill("13800000098")
    page.locator('[name="kind"]').select_option("help")
    page.locator('[name="category"]').select_option("home_repair")
    typed(page.locator('[name="description"]'), description)
    for name, value in {"district": "杨浦区", "subdistrict": "殷行街道",
                        "community": "国和居民区", "estate": "国和小区", "building": "8号",
                        "room": "501"}.items():
        page.locator(f'[name="address.{name}"]').fill(value)
    page.get_by_role("button", name="提交工单").click()
    page.wait_for_load_state()
    number = page.locator(".created-no").inner_text()
    assert re.fullmatch(r"YP\d{8}-\d{4}", number), page.inner_text("main")
    page.locator(".created-no a").click()
    page.wait_for_load_state()
    assert page.locator(".description").inner_text() == "\n".join(description)
    agent.shot("ticket-lines-as-agent")
    agent.close()

    worker = Person(chromium, system, screenshots, "unit-lines")
    worker.sign_in(**credentials(staff_login(chromium, system, screenshots, GRID)))
    worker.page.goto(system["url"] + f"tickets/{number}")
    for _ in range(40):  # until dispatch has routed it
        if worker.page.locator('form[data-action="accept"]').count():
            break
        time.sleep(0.25)
        worker.page.reload()
    assert worker.page.locator(".description").inner_text() == "\n".join(description)
    assert "已签收" in worker.take("accept")

    worker.page.locator("#step-resolve summary").click()  # folded until the caller is reached
    form = worker.page.locator('form[data-action="resolve"]')
    typed(form.locator('[name="resolution"]'), resolution)
    form.locator('button[type="submit"]').first.click()
    worker.page.wait_for_load_state()
    assert "已办结，等待回访" in worker.page.inner_text("main")
    assert worker.page.locator(".resolution").inner_text() == "\n".join(resolution)
    assert worker.page.locator(".description").inner_text() == "\n".join(description)
    worker.shot("ticket-resolved-lines")
    worker.close()
