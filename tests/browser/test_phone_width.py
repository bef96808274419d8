"""Each role's main pages fit a phone (375×812) and a desktop, with the demo loaded: the
page never scrolls sideways (document width within the screen), and no chart, table or
card reaches past its box but inside a box that scrolls sideways itself (a wide table
of figures in its own scroll box). A screenshot of each page at each width goes to
var/test-output/screenshots/."""
from __future__ import annotations

import pytest
from test_console_browser import STORY, Person, credentials, login_for

pytestmark = pytest.mark.timeout(600)

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# The supervision period that holds the demo's work, whatever day the test runs.
WIDE_PERIOD = "?first=2000-01-01&last=2099-12-31&interval=week#indicators"

# The elements that must stay within their box, and what may scroll inside itself.
OVERFLOWS = """() => {
  const boxes = 'svg, table, figure, .card, .chart-box, .scroll, img, pre, form, .tickets';
  const scrolls = (element) => {
    for (let up = element.parentElement; up; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (['auto', 'scroll'].includes(style.overflowX) && up.scrollWidth > up.clientWidth - 1
          || ['auto', 'scroll'].includes(style.overflowX) && up.contains(element)
             && up !== document.documentElement && up !== document.body)
        return up;
    }
    return null;
  };
  const out = [];
  for (const element of document.querySelectorAll(boxes)) {
    const parent = element.parentElement;
    if (!parent || element.offsetParent === null && element.tagName !== 'svg') continue;
    const own = element.getBoundingClientRect(), around = parent.getBoundingClientRect();
    if (own.width === 0) continue;
    if (own.right > around.right + 1 || own.left < around.left - 1) {
      if (scrolls(element)) continue;  // inside a box that scrolls sideways: as meant
      out.push(`${element.tagName.toLowerCase()}.${element.className.baseVal ?? element.className}`
               + ` ${Math.round(own.width)}px in ${parent.tagName.toLowerCase()}.`
               + `${parent.className.baseVal ?? parent.className} ${Math.round(around.width)}px`);
    }
  }
  return {width: document.documentElement.scrollWidth, screen: window.innerWidth,
          overflowing: out};
}"""


def pages_of(role: str, system: dict) -> list[tuple[str, str]]:
    """(name, path) of a role's main pages."""
    number = system["tickets"][STORY]
    return {
        "unit_staff": [("queue", "units/yinhang-grid-1/queue"), ("ticket", f"tickets/{number}"),
                       ("register", "register"), ("care", "care"), ("search", "search")],
        "dispatcher": [("centre", "centre"), ("ticket", f"tickets/{number}"),
                       ("new-ticket", "tickets/new"), ("search", "search?state=closed")],
        "supervisor": [("supervision", "supervision" + WIDE_PERIOD),
                       ("ticket", f"tickets/{number}")],
        "agent": [("new-ticket", "tickets/new")],
        "admin": [("users", "admin/users"), ("supervision", "supervision" + WIDE_PERIOD),
                  ("register", "register")],
    }[role]


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("role", ["unit_staff", "dispatcher", "supervisor", "agent", "admin"])
def test_the_main_pages_fit_the_screen(chromium, running_system, screenshots, role, device):
    login = login_for(running_system, role,
                      "yinhang-grid-1" if role == "unit_staff" else None)
    person = Person(chromium, running_system, screenshots, f"{device}-{role}",
                    **(PHONE if device == "phone" else DESKTOP))
    try:
        person.sign_in(**credentials(login))
        found = {}
        for name, path in pages_of(role, running_system):
            person.page.goto(running_system["url"] + path)
            person.page.wait_for_load_state()
            person.shot(name)
            measured = person.page.evaluate(OVERFLOWS)
            if measured["width"] > measured["screen"] or measured["overflowing"]:
                found[name] = measured
        assert found == {}
    finally:
        person.close()


def test_the_supervision_charts_and_figures_on_a_phone(chromium, running_system, screenshots):
    """The charts scale to the phone's width; the wide table of figures scrolls in its box."""
    person = Person(chromium, running_system, screenshots, "phone-charts", **PHONE)
    try:
        person.sign_in(**credentials(login_for(running_system, "supervisor")))
        person.page.goto(running_system["url"] + "supervision" + WIDE_PERIOD)
        person.page.wait_for_load_state()
        charts = person.page.evaluate("""() => [...document.querySelectorAll('svg.chart')]
            .filter(svg => svg.getBoundingClientRect().width > 0)
            .map(svg => [svg.getBoundingClientRect().width,
                         svg.closest('.chart-box').clientWidth, svg.getAttribute('class'),
                         parseFloat(getComputedStyle(svg.querySelector('text.label, text.tick'))
                                    .fontSize) * svg.getBoundingClientRect().width
                         / svg.viewBox.baseVal.width])""")
        assert len(charts) >= 2, "the demo's period draws its charts"  # satisfaction: none yet
        for width, box, kind, letters in charts:
            assert width <= box + 1, (width, box)  # scaled to its box, not scrolled
            assert kind == "chart chart-narrow"  # drawn for a phone: its words stay legible
            assert letters >= 10, letters  # px on the screen
        table = person.page.evaluate("""() => {
            const table = document.querySelector('.figures-table');
            if (!table) return null;
            const box = table.parentElement;
            return {table: table.scrollWidth, box: box.clientWidth,
                    overflow: getComputedStyle(box).overflowX};
        }""")
        if table is not None and table["table"] > table["box"]:
            assert table["overflow"] in ("auto", "scroll")
        person.shot("supervision-charts")
        person.page.locator(".charts").screenshot(path=screenshots / "phone-charts-close.png")
    finally:
        person.close()
