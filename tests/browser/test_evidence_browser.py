"""Photos of the site (现场照片) in a real browser (Chromium), on a desk and on a phone
(375×812): a grid worker signs for a building safety ticket, which the policy resolves only
with two photos (deploy/policy.yml, photos_at_resolve); resolving without them is refused
naming the rule; with two JPEGs (made here with Pillow) it is resolved, and their
thumbnails show on the ticket page. The worker also leaves an internal note. Screenshots
in var/test-output/screenshots/."""
from __future__ import annotations

import io
import time

import pytest
from PIL import Image
from test_console_browser import DESKTOP, Person, credentials, staff_login

pytestmark = pytest.mark.timeout(600)

GRID = "yinhang-grid-1"  # building safety in 殷行街道 is the grid workstation's
AGENT = {"id": "browser-agent", "name": "话务员", "role": "agent", "unit_id": None}
SMALL_PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2,
               "is_mobile": True, "has_touch": True}


def photo(colour: str) -> dict:
    """A small JPEG as a file input takes it."""
    out = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(out, "JPEG")
    return {"name": f"现场-{colour}.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def new_building_safety_ticket(system: dict) -> str:
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.shared.statements import vouch

    with ClusterRpcProxy({"AMQP_URI": system["amqp_uri"]}, timeout=10) as rpc:
        return rpc.intake.create_ticket({
            "channel": "hotline", "kind": "report", "category": "building_safety",
            "caller": {"name": "钱阿姨", "phone": "13800000097"}, "merge": False,
            "description": "楼道外墙瓷砖松动，有坠落危险",
            "address": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
                        "estate": "国和小区", "building": "6号"}}, vouch(AGENT))["ticket_no"]


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_grid_worker_resolves_a_safety_ticket_with_two_photos_and_sees_their_thumbnails(
        chromium, running_system, screenshots, device):
    system = running_system
    number = new_building_safety_ticket(system)
    worker = Person(chromium, system, screenshots, f"evidence-{device}",
                    **(SMALL_PHONE if device == "phone" else DESKTOP))
    page = worker.page
    try:
        worker.sign_in(**credentials(staff_login(chromium, system, screenshots, GRID)))
        page.goto(system["url"] + f"tickets/{number}")
        for _ in range(40):  # until dispatch has routed it
            if page.locator('form[data-action="accept"]').count():
                break
            time.sleep(0.25)
            page.reload()
        assert "已签收" in worker.take("accept")

        # an internal note, marked as staff-only
        notes = page.locator("#notes")
        assert "仅内部可见" in notes.inner_text()
        notes.locator('[name="note"]').fill("外墙已拉警戒线，明早施工")
        notes.locator('button[type="submit"]').click()
        page.wait_for_load_state()
        assert "外墙已拉警戒线，明早施工" in page.locator("#notes").inner_text()

        # resolve without photos: refused, naming the rule
        page.locator("#step-resolve summary").click()
        form = page.locator('form[data-action="resolve"]')
        assert form.locator('[name="photos"]').get_attribute("multiple") is not None
        assert "至少 2 张现场照片" in form.inner_text()
        main = worker.take("resolve", resolution="已排险，外墙已加固")
        assert "至少 2 张现场照片" in main and "办结须附现场照片" in main
        worker.shot("resolve-refused-without-photos")

        # with two photos: resolved, the thumbnails on the page
        form = page.locator('form[data-action="resolve"]')
        form.locator('[name="resolution"]').fill("已排险，外墙已加固")
        form.locator('[name="photos"]').set_input_files([photo("blue"), photo("green")])
        form.locator('button[type="submit"]').first.click()
        page.wait_for_load_state()
        assert "已办结，等待回访" in page.inner_text("main")
        thumbs = page.locator("#attachments img.thumb")
        assert thumbs.count() == 2
        for index in range(2):
            thumbs.nth(index).scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=thumbs.nth(index).element_handle())
        assert "办结时上传" in page.locator("#attachments").inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], width  # nothing wider than the screen
        page.locator("#attachments").scroll_into_view_if_needed()
        worker.shot("resolved-with-photos")
    finally:
        worker.close()
