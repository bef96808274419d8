"""The rules an operation's description names because OpenAPI cannot say them (NAMED_RULES
of test_console_openapi.py, which schemathesis's positive-data check is let off): each
broken alone by a request that fits the description, refused with 422 naming the field,
and nothing done."""
from __future__ import annotations

import datetime as dt
import io
import random
import uuid
from collections.abc import Callable

import pytest

# a token per user of conftest.CONSOLE_USERS and api(method, path, who, ...), as there
from test_console_api import (  # noqa: F401 - pytest fixtures
    GRID,
    api,
    client,
    created,
    dispatched,
    lamp,
    take,
    tokens,
)
from test_console_openapi import NAMED_RULES
from test_console_register_api import resident

from services.shared import clock

# (operation, field refused, what the request breaks) -> the request, answering
# (the answer, a read of what it would have changed)
Case = Callable[..., tuple]
CASES: dict[tuple[str, str, str], Case] = {}


def case(operation: str, field: str, story: str):
    def register(made: Case) -> Case:
        CASES[(operation, field, story)] = made
        return made
    return register


@pytest.fixture(scope="module")
def held(api) -> str:
    """A street lamp ticket the grid workstation has signed for."""
    number = created(api)
    dispatched(api, number)
    take(api, number, "accept", "grid")
    return number


def ticket_now(api, number: str) -> dict:
    status = api("get", f"/api/tickets/{number}", "grid").get_json()["status"]
    return {key: status.get(key) for key in ("state", "unit_id", "deadlines", "paused",
                                             "assists", "actions")}


def a_phone() -> str:
    return f"139{random.randrange(10**8):08d}"


def registered(api, phone: str) -> list:
    return api("get", f"/api/register?phone={phone}", "admin").get_json()


# Tickets: rules across fields (the console refuses before intake is asked)
@case("create_ticket", "caller", "a caller with neither name nor phone, not anonymous")
def unreachable_caller(api, held):
    return api("post", "/api/tickets", "agent", json=lamp(caller={"anonymous": False})), None


@case("create_ticket", "answer", "an answer on a call that is no consultation")
def answered_help_call(api, held):
    return api("post", "/api/tickets", "agent", json=lamp(answer="已告知办理地点")), None


@case("create_ticket", "praise", "a praise call naming nothing praised")
def praise_of_nothing(api, held):
    return api("post", "/api/tickets", "agent", json=lamp(kind="praise")), None


@case("create_ticket", "praise", "a help call naming something praised")
def help_call_praising(api, held):
    return api("post", "/api/tickets", "agent",
               json=lamp(praise={"unit_id": GRID})), None


# Indicators
@case("indicator_figures", "end", "a period ending before it starts")
def figures_backwards(api, held):
    return api("get", "/api/indicators?start=2026-03-10&end=2026-03-01", "supervisor"), None


@case("search_tickets", "end", "a period ending before it starts")
def search_backwards(api, held):
    return api("get", "/api/tickets?start=2026-03-10T00:00:00Z&end=2026-03-01T00:00:00Z",
               "dispatcher"), None


@case("indicator_workbook", "end", "a period ending the day it starts")
def workbook_of_no_days(api, held):
    return api("get", "/api/indicators.xlsx?start=2026-03-10&end=2026-03-10",
               "supervisor"), None


# Accounts
def no_user(api, username: str) -> Callable[[], bool]:
    return lambda: api("get", f"/api/users/{username}", "admin").status_code == 404


def new_user(**fields) -> dict:
    return {"username": f"u{uuid.uuid4().hex[:10]}", "name": "新同事", "role": "agent",
            "password": "a-long-password-1", **fields}


@case("create_user", "password", "a person without a password")
def person_without_password(api, held):
    user = new_user(password=None)
    return api("post", "/api/users", "admin", json=user), no_user(api, user["username"])


@case("create_user", "password", "a program with a password")
def program_with_password(api, held):
    user = new_user(role="call_centre")
    return api("post", "/api/users", "admin", json=user), no_user(api, user["username"])


@case("create_user", "password", "a password that is the username")
def password_the_username(api, held):
    user = new_user()
    user["password"] = user["username"]
    return api("post", "/api/users", "admin", json=user), no_user(api, user["username"])


@case("create_user", "unit_id", "an agent of a handling unit")
def agent_of_a_unit(api, held):
    user = new_user(unit_id=GRID)
    return api("post", "/api/users", "admin", json=user), no_user(api, user["username"])


@case("create_user", "unit_id", "unit staff of the centre")
def unit_staff_of_the_centre(api, held):
    user = new_user(role="unit_staff", unit_id="centre")
    return api("post", "/api/users", "admin", json=user), no_user(api, user["username"])


def same_user(api, username: str) -> Callable[[], bool]:
    before = api("get", f"/api/users/{username}", "admin").get_json()
    return lambda: api("get", f"/api/users/{username}", "admin").get_json() == before


@case("update_user", "_schema", "no change named")
def no_change(api, held):
    unchanged = same_user(api, "zhou")
    return api("patch", "/api/users/zhou", "admin", json={}), unchanged


@case("update_user", "unit_id", "an agent moved into a handling unit")
def agent_into_a_unit(api, held):
    unchanged = same_user(api, "zhou")
    return api("patch", "/api/users/zhou", "admin", json={"unit_id": GRID}), unchanged


@case("update_user", "role", "a person's account made a program's")
def person_made_a_program(api, held):
    unchanged = same_user(api, "zhou")
    return api("patch", "/api/users/zhou", "admin", json={"role": "call_centre"}), unchanged


# The register
@case("add_resident", "birth_date", "a birth date in the future")
def born_tomorrow(api, held):
    phone = a_phone()
    tomorrow = clock.local(clock.now()).date() + dt.timedelta(days=2)
    body = resident(phones=[phone], birth_date=tomorrow.isoformat())
    return api("post", "/api/register", "grid", json=body), lambda: not registered(api, phone)


@case("add_resident", "birth_date", "a birth date before 1880")
def born_too_long_ago(api, held):
    phone = a_phone()
    body = resident(phones=[phone], birth_date="1879-12-31")
    return api("post", "/api/register", "grid", json=body), lambda: not registered(api, phone)


def same_card(api, resident_id: str) -> Callable[[], bool]:
    before = api("get", f"/api/residents/{resident_id}", "grid").get_json()
    return lambda: api("get", f"/api/residents/{resident_id}", "grid").get_json()[
        "version"] == before["version"] == 1


def a_card(api) -> str:
    answer = api("post", "/api/register", "grid", json=resident(phones=[a_phone()]))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["resident_id"]


@case("change_resident", "changes", "the version and no field")
def only_the_version(api, held):
    resident_id = a_card(api)
    unchanged = same_card(api, resident_id)
    return api("patch", f"/api/residents/{resident_id}", "grid",
               json={"version": 1}), unchanged


@case("change_resident", "birth_date", "a birth date in the future")
def reborn_tomorrow(api, held):
    resident_id = a_card(api)
    unchanged = same_card(api, resident_id)
    tomorrow = clock.local(clock.now()).date() + dt.timedelta(days=2)
    return api("patch", f"/api/residents/{resident_id}", "grid",
               json={"birth_date": tomorrow.isoformat(), "version": 1}), unchanged


@case("birthdays", "grid_unit_id", "an admin naming no unit")
def birthdays_of_no_unit(api, held):
    return api("get", "/api/register/birthdays", "admin"), None


@case("register_import", "content_base64", "a file that is no readable .xlsx")
def unreadable_workbook(api, held):
    upload = {"file": (io.BytesIO(b"PK\x03\x04 not a workbook"), "register.xlsx"),
              "dry_run": "false"}
    return api("post", "/api/register/import", "grid", data=upload,
               content_type="multipart/form-data"), None


# Steps on a ticket
@case("reassign", "unit_id", "a reassignment to the centre itself")
def reassigned_to_the_centre(api, held):
    before = ticket_now(api, held)
    return (api("post", f"/api/tickets/{held}/reassign", "dispatcher",
                json={"unit_id": "centre"}), lambda: ticket_now(api, held) == before)


@case("bulk_steps", "unit_id", "a reassignment of many tickets naming no unit")
def bulk_reassigned_nowhere(api, held):
    before = ticket_now(api, held)
    return (api("post", "/api/tickets/bulk", "dispatcher",
                json={"action": "reassign", "ticket_nos": [held]}),
            lambda: ticket_now(api, held) == before)


@case("bulk_steps", "note", "many tickets urged without a note")
def bulk_urged_without_a_note(api, held):
    before = api("get", f"/api/tickets/{held}", "grid").get_json()["status"]["urges"]
    return (api("post", "/api/tickets/bulk", "supervisor",
                json={"action": "urge", "ticket_nos": [held]}),
            lambda: api("get", f"/api/tickets/{held}", "grid").get_json()["status"]["urges"]
            == before)


@case("request_extension", "until", "an extension until the deadline in force")
def extension_to_the_deadline(api, held):
    before = ticket_now(api, held)
    until = before["deadlines"]["resolve_by"]
    return (api("post", f"/api/tickets/{held}/extension", "grid",
                json={"until": until, "reason": "等待配件"}),
            lambda: ticket_now(api, held) == before)


@case("request_extension", "until", "an extension until a moment past")
def extension_to_the_past(api, held):
    before = ticket_now(api, held)
    until = clock.iso(clock.now() - dt.timedelta(hours=1))
    return (api("post", f"/api/tickets/{held}/extension", "grid",
                json={"until": until, "reason": "等待配件"}),
            lambda: ticket_now(api, held) == before)


@case("request_pause", "resume_on", "a pause resuming in the past")
def pause_resuming_yesterday(api, held):
    before = ticket_now(api, held)
    resume_on = clock.iso(clock.now() - dt.timedelta(days=1))
    return (api("post", f"/api/tickets/{held}/pause", "grid",
                json={"reason": "老人住院", "resume_on": resume_on}),
            lambda: ticket_now(api, held) == before)


@case("add_assist", "unit_id", "the centre asked to assist")
def centre_assisting(api, held):
    before = ticket_now(api, held)
    return (api("post", f"/api/tickets/{held}/assists", "grid", json={"unit_id": "centre"}),
            lambda: ticket_now(api, held) == before)


@case("add_assist", "unit_id", "the lead unit asked to assist itself")
def lead_assisting_itself(api, held):
    before = ticket_now(api, held)
    return (api("post", f"/api/tickets/{held}/assists", "grid", json={"unit_id": GRID}),
            lambda: ticket_now(api, held) == before)


def assignee_now(api, number: str) -> dict | None:
    return api("get", f"/api/tickets/{number}", "grid").get_json()["status"]["assignee"]


@case("assign", "username", "a person of another unit")
def given_to_another_units_staff(api, held):
    before = assignee_now(api, held)
    return (api("post", f"/api/tickets/{held}/assign", "grid", json={"username": "kc"}),
            lambda: assignee_now(api, held) == before)


@case("assign", "username", "a name no account has")
def given_to_nobody(api, held):
    before = assignee_now(api, held)
    return (api("post", f"/api/tickets/{held}/assign", "dispatcher",
                json={"username": "no.such.person"}),
            lambda: assignee_now(api, held) == before)


# The ticket's record: attachments, and the photos a policy asks for at resolve
def attachments_of(api, number: str) -> Callable[[], bool]:
    before = api("get", f"/api/tickets/{number}/attachments", "grid").get_json()
    return lambda: api("get", f"/api/tickets/{number}/attachments", "grid").get_json() == before


@case("attach_files", "files", "a file named as a photo whose bytes are no photo")
def disguised_file(api, held):
    unchanged = attachments_of(api, held)
    upload = {"files": (io.BytesIO(b"MZ\x90\x00 not a photo"), "现场.jpg")}
    return (api("post", f"/api/tickets/{held}/attachments", "grid", data=upload,
                content_type="multipart/form-data"), unchanged)


@case("resolve", "photos", "a building safety ticket resolved without photos of the site")
def resolved_without_photos(api, held):
    number = created(api, category="building_safety", description="楼道外墙瓷砖松动")
    dispatched(api, number)
    take(api, number, "accept", "grid")
    before = ticket_now(api, number)
    return (api("post", f"/api/tickets/{number}/resolve", "grid",
                json={"resolution": "已排险"}), lambda: ticket_now(api, number) == before)


def test_every_named_rule_has_its_cases():
    assert {operation for operation, _, _ in CASES} == set(NAMED_RULES)
    for operation, field, story in CASES:
        assert field in NAMED_RULES[operation][0], (operation, field, story)


@pytest.mark.parametrize("rule", [pytest.param(rule, id=f"{rule[0]}: {rule[2]}")
                                  for rule in CASES])
def test_a_request_breaking_a_named_rule_is_refused_and_changes_nothing(api, held, rule):
    operation, field, _ = rule
    answer, unchanged = CASES[rule](api, held)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    refused = answer.get_json()
    assert field in refused["errors"] and refused["errors"][field], refused
    assert refused["message"]
    assert unchanged is None or unchanged()
