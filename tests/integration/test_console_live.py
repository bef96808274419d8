"""Pages that keep themselves up to date, over the running services: what changed since a
cursor, as the API and the pages' /live/changes tell it — a ticket dispatched to a unit is
told to that unit's staff within seconds, and nothing of it to another unit's; a page the
reader may not watch is refused."""
from __future__ import annotations

import pytest
from integration_support import eventually
from test_console_api import (  # noqa: F401 - pytest fixtures
    GRID,
    PROPERTY,
    api,
    client,
    created,
    dispatched,
    tokens,
)
from test_console_pages import Person


def cursor(api, who: str, scope: str) -> str:
    answer = api("get", f"/api/changes?scope={scope}", who)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["complete"] is False  # no cursor yet: read the list
    return answer.get_json()["cursor"]


def told(api, who: str, scope: str, since: str) -> dict:
    answer = api("get", f"/api/changes?scope={scope}&since={since}", who)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_a_ticket_dispatched_to_a_unit_is_told_to_it_and_not_to_another(api):
    grid_since = cursor(api, "grid", f"queue:{GRID}")
    other_since = cursor(api, "kaichen", f"queue:{PROPERTY}")
    number = created(api, urgency="urgent")
    dispatched(api, number)

    def tells_grid():
        answer = told(api, "grid", f"queue:{GRID}", grid_since)
        return answer if number in [t["ticket_no"] for t in answer["tickets"]] else None

    answer = eventually(tells_grid)
    assert answer["changed"] and answer["complete"]
    ticket = next(t for t in answer["tickets"] if t["ticket_no"] == number)
    assert ticket["urgent"] is True and ticket["welfare"] is False
    assert ticket["unit_id"] == GRID
    other = told(api, "kaichen", f"queue:{PROPERTY}", other_since)
    assert number not in str(other)
    # the centre's supervisors see every step dispatch takes
    supervision = told(api, "supervisor", "supervision", grid_since)
    assert number in [t["ticket_no"] for t in supervision["tickets"]]


@pytest.mark.parametrize("who, scope", [
    ("kaichen", f"queue:{GRID}"), ("grid", "centre"), ("grid", "supervision"),
    ("agent", "centre"),
])
def test_a_page_the_reader_may_not_watch_is_refused(api, who, scope):
    assert api("get", f"/api/changes?scope={scope}", who).status_code == 403


@pytest.mark.parametrize("query", ["scope=everything", "scope=centre&since=yesterday", ""])
def test_bad_input_is_refused_naming_the_field(api, query):
    answer = api("get", f"/api/changes?{query}", "admin")
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) <= {"scope", "since"}


def test_the_pages_ask_with_their_session(console_app, api):
    grid = Person(console_app, "grid")
    page = grid.get(f"/units/{GRID}/queue")
    assert f'data-live-scope="queue:{GRID}"' in page and "live.js" in page
    answer = grid.client.get(f"/live/changes?scope=queue:{GRID}")
    assert answer.status_code == 200 and answer.get_json()["cursor"]
    assert grid.client.get("/live/changes?scope=centre").status_code == 403
    dispatcher = Person(console_app, "dispatcher")
    assert 'data-live-scope="centre"' in dispatcher.get("/centre")
    supervisor = Person(console_app, "supervisor")
    assert 'data-live-scope="supervision"' in supervisor.get("/supervision")
