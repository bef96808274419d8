"""A person within a unit (承办人), in a real browser, on a desktop and on a 375×812 phone:
the grid workstation's head gives a new ticket to a worker of the grid (指派), the worker
signs in, finds it under "只看我的" in the grid's queue and resolves it with two photos of
the site (a building safety ticket: the policy asks for two, deploy/policy.yml).
Screenshots in var/test-output/screenshots/."""
from __future__ import annotations

import io
import re
import time

import pytest
from PIL import Image
from test_console_browser import DESKTOP, Person, credentials, login_for, made_by_admin

pytestmark = pytest.mark.timeout(600)

GRID = "yinhang-grid-1"  # building safety in 国和小区 is the grid workstation's
PHONE_375 = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2,
             "is_mobile": True, "has_touch": True}
DEVICES = {"desktop": DESKTOP, "phone": PHONE_375}
WORKER = {"username": "grid-wu", "name": "网格员 吴敏", "password": "browser-wu-12345"}


@pytest.fixture(scope="module")
def worker_login(chromium, running_system, screenshots) -> dict:
    """A worker of the grid, made by the admin through the accounts page."""
    return made_by_admin(chromium, running_system, screenshots,
                         {**WORKER, "role": "unit_staff", "unit_id": GRID}, "admin-assignee")


def photo(colour: str) -> dict:
    """A small JPEG as a file input takes it."""
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG")
    return {"name": f"现场-{colour}.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def new_safety_ticket(chromium, system: dict, folder, device: str) -> str:
    """The agent takes a call about loose tiles on a building in 国和小区: the grid's (a
    caller and a building of each device's own, so that no call repeats another)."""
    own = sorted(DEVICES).index(device)
    agent = Person(chromium, system, folder, f"agent-assignee-{device}")
    try:
        agent.sign_in(**credentials(login_for(system, "agent")))
        page = agent.page
        page.locator('[name="caller.name"]').fill("郑阿姨")
        page.locator('[name="caller.phone"]').fill(f"1380000009{own}")
        page.locator('[name="kind"]').select_option("report")
        page.locator('[name="category"]').select_option("building_safety")
        page.locator('[name="description"]').fill(f"国和小区{10 + own}号楼外墙瓷砖松动，有坠落危险")
        for name, value in {"district": "杨浦区", "subdistrict": "殷行街道",
                            "community": "国和居民区", "estate": "国和小区",
                            "building": f"{10 + own}号"}.items():
            page.locator(f'[name="address.{name}"]').fill(value)
        page.get_by_role("button", name="提交工单").click()
        page.wait_for_load_state()
        number = page.locator(".created-no").inner_text()
        assert re.fullmatch(r"YP\d{8}-\d{4}", number), page.inner_text("main")
        return number
    finally:
        agent.close()


def until_offered(person: Person, url: str, selector: str) -> None:
    """Open ``url`` until dispatch has routed the ticket and the page offers ``selector``."""
    person.page.goto(url)
    for _ in range(40):
        if person.page.locator(selector).count():
            return
        time.sleep(0.25)
        person.page.reload()
    raise AssertionError(person.page.inner_text("main"))


def fits(person: Person) -> None:
    """Nothing on the page is wider than the screen (a table may scroll in its box)."""
    overflow = person.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than the screen"


@pytest.mark.parametrize("device", sorted(DEVICES))
def test_the_head_gives_a_ticket_to_a_worker_who_resolves_it_from_mine_with_two_photos(
        chromium, running_system, screenshots, worker_login, device):
    system = running_system
    number = new_safety_ticket(chromium, system, screenshots, device)
    ticket_url = system["url"] + f"tickets/{number}"

    # The station head (the grid's demo login) gives it to 吴敏
    head = Person(chromium, system, screenshots, f"grid-head-{device}", **DEVICES[device])
    head.sign_in(**credentials(login_for(system, "unit_staff", GRID)))
    until_offered(head, ticket_url, "#step-assign form.give")
    assert head.page.locator("#step-assign form.take button").inner_text() == "接单"
    head.shot("ticket-to-assign")
    form = head.page.locator("#step-assign form.give")
    form.locator('[name="username"]').select_option(worker_login["username"])
    form.get_by_role("button", name="指派").click()
    head.page.wait_for_load_state()
    assert "已指派" in head.page.inner_text("main")
    assert head.page.locator(".assignee").first.inner_text() == worker_login["name"]
    assert "指派给" in head.page.inner_text("main")
    if device == "phone":
        fits(head)
    head.shot("ticket-assigned")
    head.page.goto(system["url"] + f"units/{GRID}/queue?mine=1")
    assert head.page.locator(f'tr[data-ticket="{number}"]').count() == 0  # not the head's
    head.close()

    # 吴敏 finds it under 只看我的, signs for it and resolves it
    worker = Person(chromium, system, screenshots, f"grid-worker-{device}", **DEVICES[device])
    worker.sign_in(**credentials(worker_login))
    assert worker.page.url.endswith(f"/units/{GRID}/queue")
    worker.page.get_by_label("只看我的").check()
    worker.page.get_by_role("button", name="筛选").click()
    worker.page.wait_for_load_state()
    assert "mine=1" in worker.page.url
    row = worker.page.locator(f'tr[data-ticket="{number}"]')
    assert row.count() == 1 and worker_login["name"] in row.inner_text()
    if device == "phone":
        fits(worker)
    worker.shot("queue-mine")
    row.locator("a.ticket-no").click()
    worker.page.wait_for_load_state()
    assert "已签收" in worker.take("accept")
    worker.page.locator("#step-resolve summary").click()  # folded until the caller is reached
    form = worker.page.locator('form[data-action="resolve"]')
    form.locator('[name="resolution"]').fill("已清除松动瓷砖，外墙已加固")
    form.locator('[name="photos"]').set_input_files([photo("blue"), photo("green")])
    form.locator('button[type="submit"]').first.click()
    worker.page.wait_for_load_state()
    assert "已办结，等待回访" in worker.page.inner_text("main")
    assert worker.page.locator("#attachments img.thumb").count() == 2
    assert worker.page.locator(".assignee").first.inner_text() == worker_login["name"]
    worker.page.wait_for_timeout(500)
    worker.page.reload()  # the record catches up with dispatch
    history = worker.page.locator(".history").inner_text()
    assert f"指派给 {worker_login['name']}" in history
    if device == "phone":
        fits(worker)
    worker.shot("ticket-resolved-by-assignee")
    worker.close()
