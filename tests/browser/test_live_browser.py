"""A page that keeps itself up to date, in a real browser: the grid workstation's queue is
open when a welfare check for one of its elders arrives (made over RPC as the call centre
makes it); the row appears within seconds without a reload, highlighted, announced in the
banner with a beep, and what the worker was typing is kept. On a desktop and on a phone
(375×812); screenshots in var/test-output/screenshots/."""
from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from live_support import GRID, Person, new_ticket, rpc

pytestmark = pytest.mark.timeout(300)
ARRIVES_WITHIN_MS = 5000


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_welfare_ticket_appears_in_the_grid_queue_without_a_reload(
        chromium, running_system, screenshots, device):
    worker = Person(chromium, running_system, screenshots, "grid-live", device)
    try:
        worker.sign_in(running_system, "yinhang-grid")
        page = worker.page
        assert page.url.endswith(f"/units/{GRID}/queue")
        # the browser is asked for notifications only from the button, never on load
        assert page.evaluate("Notification.permission") == "default"
        page.get_by_role("button", name="开启提醒").click()
        page.wait_for_selector("button.live-alerts[disabled]")
        filters = page.locator("form.filters select[name=category]")
        filters.select_option("welfare_check")  # chosen, not yet sent: must be kept
        page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded
        worker.shot("queue-before")

        with rpc(running_system) as proxy:
            started = time.monotonic()
            number = new_ticket(proxy, category="welfare_check", urgency="urgent",
                                description="独居老人连续两天未接听探访电话，请上门查看",
                                address={"district": "杨浦区", "subdistrict": "殷行街道",
                                         "community": "殷行路", "estate": "殷行路小区"})
            assert proxy.dispatch.get_status(number, _agent())["unit_id"] == GRID

        row = page.locator(f'tr[data-ticket="{number}"]')
        row.wait_for(timeout=ARRIVES_WITHIN_MS)
        seconds = time.monotonic() - started
        assert page.evaluate("window.__sameDocument") is True  # no reload
        assert "live-new" in (row.get_attribute("class") or "")
        banner = page.locator("#live-banner")
        banner.wait_for(state="visible", timeout=2000)
        assert f"新的探访关爱工单 {number}" in banner.inner_text()
        assert int(page.evaluate("document.body.dataset.liveBeeps || '0'")) >= 1
        assert filters.input_value() == "welfare_check"
        worker.shot("queue-arrived")
        print(f"\nlive: {device}: the welfare ticket appeared {seconds:.1f} s after it was "
              f"made (dispatched included)")
    finally:
        worker.close()


# Every notification the page shows, kept where the test can read it (the browser's own
# stays the one shown: a subclass only records).
RECORD_NOTIFICATIONS = """
(() => {
  const Shown = window.Notification;
  if (!Shown) { return; }
  window.__notified = [];
  class Recorded extends Shown {
    constructor(title, options) {
      super(title, options);
      window.__notified.push({title: title, body: options && options.body});
    }
  }
  Object.defineProperty(Recorded, "permission", {get: () => Shown.permission});
  Recorded.requestPermission = (...asked) => Shown.requestPermission(...asked);
  window.Notification = Recorded;
})();
"""


def test_an_urgent_ticket_raises_the_browsers_notification_where_the_user_allowed_it(
        chromium, running_system, screenshots):
    worker = Person(chromium, running_system, screenshots, "grid-notified", "desktop",
                    permissions=["notifications"])
    worker.context.add_init_script(RECORD_NOTIFICATIONS)
    try:
        worker.sign_in(running_system, "yinhang-grid")
        page = worker.page
        assert page.evaluate("Notification.permission") == "granted"
        page.wait_for_selector("button.live-alerts[disabled]")  # 提醒已开启
        assert "提醒已开启" in page.locator("button.live-alerts").inner_text()
        with rpc(running_system) as proxy:
            number = new_ticket(proxy, urgency="urgent",
                                description="小区主路井盖缺失，夜间有人险些跌落")
        page.locator(f'tr[data-ticket="{number}"]').wait_for(timeout=ARRIVES_WITHIN_MS)
        page.wait_for_function("window.__notified.length > 0", timeout=3000)
        assert page.evaluate("window.__notified") == [
            {"title": "新的紧急工单", "body": number}]
        assert f"新的紧急工单 {number}" in page.locator("#live-banner").inner_text()
        worker.shot("notified")
    finally:
        worker.close()


def test_the_time_of_the_last_update_is_shanghai_time_in_any_browser(
        chromium, running_system, screenshots):
    """Every time on a page is Shanghai's; so is 已更新 HH:MM:SS, whatever the zone of the
    reader's computer (here New York's, twelve or thirteen hours behind)."""
    worker = Person(chromium, running_system, screenshots, "grid-live-zone", "desktop",
                    timezone="America/New_York")
    try:
        worker.sign_in(running_system, "yinhang-grid")
        page = worker.page
        with rpc(running_system) as proxy:
            number = new_ticket(proxy)
        page.locator(f'tr[data-ticket="{number}"]').wait_for(timeout=ARRIVES_WITHIN_MS)
        status = page.locator(".live-status")
        page.wait_for_function(
            "document.querySelector('.live-status').textContent.startsWith('已更新')")
        shown = datetime.strptime(status.inner_text().split()[-1], "%H:%M:%S")
        now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        shown = now.replace(hour=shown.hour, minute=shown.minute, second=shown.second)
        assert abs((now - shown).total_seconds()) < 120, (status.inner_text(), now)
        worker.shot("updated-at")
    finally:
        worker.close()


def _agent():
    from live_support import demo

    return demo.vouch(demo.DEMO_AGENT)
