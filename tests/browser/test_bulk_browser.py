"""Steps on many tickets, in a real browser: five tickets the grid workstation sent back
wait at the centre; the dispatcher ticks them all (a sixth sent back meanwhile appears by
itself, the ticks kept) and reassigns the five to the property company in one action,
and sees five results, each 成功. On a desktop and on a phone
(375×812); screenshots in var/test-output/screenshots/."""
from __future__ import annotations

import time

import pytest
from live_support import GRID, PROPERTY, Person, demo, new_ticket, rpc

pytestmark = pytest.mark.timeout(300)


def returned_tickets(system: dict, count: int) -> list[str]:
    """``count`` tickets the grid sent back to the centre, as its staff would."""
    with rpc(system) as proxy:
        numbers = [new_ticket(proxy) for _ in range(count)]
        for number in numbers:
            assert proxy.dispatch.get_status(number, demo.vouch(demo.DEMO_AGENT))[
                "unit_id"] == GRID
            proxy.dispatch.return_ticket(number, demo.unit_staff(GRID), "不属于本网格职责")
    return numbers


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_centre_reassigns_five_returned_tickets_in_one_action(
        chromium, running_system, screenshots, device):
    numbers = returned_tickets(running_system, 5)
    dispatcher = Person(chromium, running_system, screenshots, "centre-bulk", device)
    try:
        dispatcher.sign_in(running_system, "dispatcher")
        page = dispatcher.page
        assert page.url.endswith("/centre")
        for number in numbers:  # the page may have to catch up with the last return
            page.locator(f'tr[data-ticket="{number}"]').wait_for(timeout=10_000)
        for number in numbers:
            page.locator(f'input.bulk-tick[value="{number}"]').check()
        assert "已选 5 件" in page.locator("#bulk .bulk-count").inner_text()
        form = page.locator("form#bulk")
        form.locator('select[name="unit_id"]').select_option(PROPERTY)
        page.evaluate("window.__sameDocument = true")
        # another comes back while the dispatcher is choosing: it appears by itself, and
        # what was ticked and chosen stays so
        [sixth] = returned_tickets(running_system, 1)
        page.locator(f'tr[data-ticket="{sixth}"]').wait_for(timeout=5000)
        assert page.evaluate("window.__sameDocument") is True
        for number in numbers:
            assert page.locator(f'input.bulk-tick[value="{number}"]').is_checked()
        assert not page.locator(f'input.bulk-tick[value="{sixth}"]').is_checked()
        assert "已选 5 件" in page.locator("#bulk .bulk-count").inner_text()
        assert form.locator('select[name="unit_id"]').input_value() == PROPERTY
        dispatcher.shot("ticked")
        started = time.monotonic()
        form.get_by_role("button", name="批量执行").click()
        page.wait_for_load_state()
        print(f"\nbulk: {device}: five reassigned in {time.monotonic() - started:.1f} s")

        text = page.inner_text("main")
        assert "批量改派结果" in text and "改派至 凯晨物业" in text
        assert "共 5 件：成功 5 件，失败 0 件" in text
        for number in numbers:
            row = page.locator(f'table.bulk-results tr[data-ticket="{number}"]')
            assert "成功" in row.inner_text()
        dispatcher.shot("results")
        with rpc(running_system) as proxy:
            for number in numbers:
                assert proxy.dispatch.get_status(number, demo.vouch(demo.DEMO_AGENT))[
                    "unit_id"] == PROPERTY
    finally:
        dispatcher.close()
