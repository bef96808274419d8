"""Who may see what, generated from the rule table (services/shared/access.py): every
route of the console and its API, for every role, on a thing of the reader's own unit, of
another unit and of another district, answers as the table says; and no answer, refused
or not, carries anything of a thing the table does not let its reader see (the ticket's
description, the caller's phone, the resident's name and phone), nor does any answer to
nobody signed in.

Every route must have a row in ROUTES: a new route without one fails this test, so whoever
adds a route says who may use it. A row names what the route shows (a kind of thing of
the table, or one of the kinds below) and, for pages, the roles the page is made for.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from conftest import CONSOLE_PASSWORD, CONSOLE_USERS  # noqa: I001 - tests/integration/conftest.py
from integration_support import eventually
from test_console_api import api, client, tokens  # noqa: F401 - pytest fixtures
from test_console_pages import Person

from services.shared import access
from services.shared.schemas import CENTRE_ROLES, SUPERVISOR_ROLES

GRID, OTHER = "yinhang-grid-1", "kaichen-property"
# Everyone of the console's tests, and two of another district (未央区): its centre's
# dispatcher and a neighbourhood committee's staff there.
ELSEWHERE = {
    "weiyang_dispatcher": {"username": "wy.chen", "name": "未央区派单员", "role": "dispatcher",
                           "unit_id": "centre", "district": "未央区"},
    "weiyang_staff": {"username": "wy.li", "name": "太华路社区居委会小李", "role": "unit_staff",
                      "unit_id": "taihualu-committee", "district": "未央区"},
}
# The programs, under accounts of their own: they have API tokens and no console session.
PROGRAMS = {
    "call_centre_program": {"username": "cc.system", "name": "话务系统", "role": "call_centre",
                            "unit_id": None},
    "callback_program": {"username": "dialer.system", "name": "自动回访外呼",
                         "role": "callback_worker", "unit_id": None},
}
PEOPLE = {**CONSOLE_USERS, **ELSEWHERE}
READERS = {**PEOPLE, **PROGRAMS}
KEEPERS = ("unit_staff", "admin")
# who reads tickets at all (a callback worker reads none)
TICKET_READERS = tuple(sorted({role for role, what in access.RULES if what == "ticket"}))
ANYONE, SIGNED_IN, ADMINS, SELF, STEP, CHANGE, SKIP = (
    "anyone", "signed_in", "admins", "self", "step", "change", "skip")


@dataclass(frozen=True)
class Route:
    """A route's row: the path with {ticket}, {resident}, {unit}, {user} for the sample
    things; what it shows (an access.WHAT, or ANYONE, SIGNED_IN, ADMINS, SELF, STEP for a
    step on the ticket, SKIP with the reason in ``why``); the roles a page is made for
    (others get 403 from the page whatever the table says)."""

    path: str
    what: str
    roles: tuple[str, ...] | None = None
    why: str = ""
    method: str = "get"
    of: str = ""  # a CHANGE's thing: "card" (a resident) or "accounts"
    body: tuple[tuple[str, object], ...] = ()  # a CHANGE's valid body (an API's JSON)
    # a list cut to the reader's district for those who see "every" (the leak check says
    # nothing of another district's is in it)
    listing: bool = False


ROUTES: dict[str, Route] = {
    # pages
    "healthz": Route("/healthz", ANYONE),  # a scheduler's probe: {"status": "ok"}
    "pages.login": Route("/login", ANYONE),
    "pages.logout": Route("/logout", SKIP, why="ends the session: tests of sessions"),
    "pages.home": Route("/", SIGNED_IN),
    "pages.find_ticket": Route("/tickets?no={ticket}", SIGNED_IN),
    "pages.ticket": Route("/tickets/{ticket}", "ticket"),
    "pages.act": Route("/tickets/{ticket}/accept", STEP),
    "pages.attach": Route("/tickets/{ticket}/attachments", STEP, method="post"),
    "pages.attachment": Route("/tickets/{ticket}/attachments/x", SKIP,
                              why="an attachment's bytes, for the ticket's readers: "
                                  "test_evidence.py (read with permission, 403 to another "
                                  "unit)"),
    "pages.thumbnail": Route("/tickets/{ticket}/attachments/x/thumbnail", SKIP,
                             why="as pages.attachment: test_evidence.py"),
    "pages.new_ticket": Route("/tickets/new", SIGNED_IN, ("agent", "dispatcher", "admin")),
    "pages.queue": Route("/units/{unit}/queue", "queue"),
    "pages.queue_export": Route("/units/{unit}/queue/export.csv", "queue"),
    # the centre's queue: each of the centre reads its district's part of it
    "pages.centre": Route("/centre", SIGNED_IN, CENTRE_ROLES),
    "pages.centre_export": Route("/centre/export.xlsx", SIGNED_IN, CENTRE_ROLES),
    "pages.supervision": Route("/supervision", "supervision", CENTRE_ROLES, listing=True),
    "pages.indicators_xlsx": Route("/supervision/indicators.xlsx", "indicators", CENTRE_ROLES),
    # the register's pages show the reader's own unit (an admin's: every unit)
    "pages.register_list": Route("/register", SIGNED_IN, KEEPERS),
    "pages.register_export": Route("/register/export", SIGNED_IN, KEEPERS),
    "pages.register_template": Route("/register/template", SIGNED_IN, KEEPERS),
    "pages.register_import": Route("/register/import", SIGNED_IN, KEEPERS),
    "pages.new_resident": Route("/register/new", SIGNED_IN, KEEPERS),
    "pages.care": Route("/care", SIGNED_IN, KEEPERS),
    "pages.resident": Route("/residents/{resident}", "card", KEEPERS),
    "pages.change_resident": Route("/residents/{resident}", CHANGE, method="post", of="card"),
    "pages.resident_step": Route("/residents/{resident}/pause", CHANGE, method="post",
                                 of="card"),
    "pages.card_views": Route("/residents/{resident}/views", "card_views", SUPERVISOR_ROLES),
    # search and lists: every ticket the reader may see (none of another unit's or district's)
    "pages.search": Route("/search", SIGNED_IN),
    "pages.search_csv": Route("/search/export.csv", SIGNED_IN),
    "pages.search_xlsx": Route("/search/export.xlsx", SIGNED_IN),
    "pages.save_view": Route("/search/views", SKIP, why="one's own views: test_search"),
    "pages.delete_view": Route("/search/views/x/delete", SKIP,
                               why="one's own views: test_search"),
    "pages.caller_history": Route("/search/callers?phone=13900000000", SIGNED_IN,
                                  ("agent", "dispatcher", "admin")),
    "pages.users": Route("/admin/users", ADMINS, ("admin",)),
    "pages.create_user": Route("/admin/users", CHANGE, method="post", of="accounts"),
    "pages.update_user": Route("/admin/users/{user}", CHANGE, method="post", of="accounts"),
    "pages.issue_token": Route("/admin/users/{user}/tokens", CHANGE, method="post",
                               of="accounts"),
    "pages.end_sessions": Route("/admin/users/{user}/sessions/end", CHANGE, method="post",
                                of="accounts"),
    "pages.revoke_token": Route("/admin/users/{user}/tokens/x/revoke", CHANGE,
                                method="post", of="accounts"),
    # pages that keep themselves up to date ask what changed (ledger.changes decides)
    "pages.live_changes": Route("/live/changes?scope=centre", SIGNED_IN, CENTRE_ROLES),
    "pages.bulk_step": Route("/tickets/bulk", SKIP,
                             why="each ticket's step is dispatch's: test_console_bulk"),
    "static": Route("/static/console.css", ANYONE),
    # the API
    "api-docs.openapi_json": Route("/api/openapi.json", ANYONE),
    "me.who_am_i": Route("/api/me", SIGNED_IN),
    "directory.get_directory": Route("/api/directory", SIGNED_IN),
    "tickets.get_ticket": Route("/api/tickets/{ticket}", "ticket"),
    "tickets.list_attachments": Route("/api/tickets/{ticket}/attachments", "ticket"),
    "tickets.get_attachment": Route("/api/tickets/{ticket}/attachments/x", SKIP,
                                    why="an attachment's bytes, for the ticket's readers: "
                                        "test_evidence.py"),
    "tickets.get_thumbnail": Route("/api/tickets/{ticket}/attachments/x/thumbnail", SKIP,
                                   why="as tickets.get_attachment: test_evidence.py"),
    "tickets.create_ticket": Route("/api/tickets", SKIP, why="intake's tests: call takers"),
    "tickets.search_tickets": Route("/api/tickets", SIGNED_IN, TICKET_READERS),
    "queues.queue": Route("/api/queues/{unit}", "queue"),
    "queues.unit_staff": Route("/api/units/{unit}/staff", "staff"),
    "supervision.supervision_list": Route("/api/supervision", "supervision", listing=True),
    "indicators.indicator_figures": Route(
        "/api/indicators?start=2026-11-01&end=2026-12-01", "indicators"),
    "indicators.indicator_workbook": Route(
        "/api/indicators.xlsx?start=2026-11-01&end=2026-12-01", "indicators"),
    "register.find_residents": Route(f"/api/register?grid_unit_id={GRID}", "register",
                                     listing=True),
    "register.birthdays": Route(f"/api/register/birthdays?grid_unit_id={GRID}", "register",
                                listing=True),
    "register.register_export": Route(f"/api/register/export?grid_unit_id={GRID}", "register",
                                      listing=True),
    "register.register_template": Route("/api/register/template", SIGNED_IN, KEEPERS),
    "register.get_resident": Route("/api/residents/{resident}", "card"),
    "register.resident_tickets": Route("/api/residents/{resident}/tickets", "card"),
    "register.resident_checkins": Route("/api/residents/{resident}/checkins", "card"),
    "register.resident_card_views": Route("/api/residents/{resident}/views", "card_views"),
    "register.add_resident": Route("/api/register", SKIP,
                                   why="adds to the reader's own unit: the register's tests"),
    "register.register_import": Route("/api/register/import", SKIP,
                                      why="imports into the reader's own unit: the "
                                          "register's tests"),
    "register.change_resident": Route("/api/residents/{resident}", CHANGE, method="patch",
                                      of="card", body=(("version", 1), ("hobbies", "下棋"))),
    "register.retire_resident": Route("/api/residents/{resident}/retire", CHANGE,
                                      method="post", of="card", body=(("reason", "迁出"),)),
    "register.pause_checkins": Route("/api/residents/{resident}/checkins/pause", CHANGE,
                                     method="post", of="card", body=(("reason", "住院"),)),
    "register.resume_checkins": Route("/api/residents/{resident}/checkins/resume", CHANGE,
                                      method="post", of="card"),
    "users.create_user": Route("/api/users", CHANGE, method="post", of="accounts", body=(
        ("username", "new.person"), ("name", "新人"), ("role", "agent"),
        ("password", "a-long-password-1"))),
    "users.update_user": Route("/api/users/{user}", CHANGE, method="patch", of="accounts",
                               body=(("name", "新名字"),)),
    "users.issue_token": Route("/api/users/{user}/tokens", CHANGE, method="post",
                               of="accounts", body=(("name", "脚本"),)),
    "users.revoke_token": Route("/api/users/{user}/tokens/x", CHANGE, method="delete",
                                of="accounts"),
    "changes.what_changed": Route("/api/changes?scope=supervision", "supervision",
                                  listing=True),
    "bulk.bulk_steps": Route("/api/tickets/bulk", SKIP,
                             why="each ticket's step is dispatch's: test_console_bulk"),
    "users.list_users": Route("/api/users", ADMINS),
    "users.get_user": Route("/api/users/{user}", SELF),
    "open311.discovery": Route("/open311/discovery.xml", ANYONE),
    "open311.service_list": Route("/open311/v2/services.json", ANYONE),
    "open311.service_definition": Route("/open311/v2/services/street_light.xml", ANYONE),
    "open311.get_token": Route("/open311/v2/tokens/x.json", SKIP,
                               why="tokens are never issued: 404 for anyone (test_open311)"),
    "open311.list_requests": Route("/open311/v2/requests.json", ANYONE),
    "open311.get_request": Route("/open311/v2/requests/{ticket}.xml", ANYONE),
    "open311.create_request": Route("/open311/v2/requests.json", SKIP,
                                    why="Open311's tests: an agent's key"),
}
# Every step on a ticket (POST /api/tickets/<no>/...): judged by dispatch's step table;
# here, that someone who may not read the ticket is refused it and learns nothing of it.
STEP_PREFIX = "tickets."


@pytest.fixture(scope="module")
def things(api, console_app):
    """A ticket the grid workstation handles (taken by the agent), a resident of its
    register, and what each holds that must not leak."""
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    description = f"独居老人家中水管漏水 {uuid.uuid4().hex[:6]}"
    answer = api("post", "/api/tickets", "agent", json={
        "channel": "hotline", "kind": "help", "category": "home_repair", "merge": False,
        "caller": {"name": "周阿姨", "phone": phone}, "description": description,
        "address": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
                    "estate": "国和小区", "building": "3号", "room": "402"}})
    assert answer.status_code == 201, answer.get_json()
    number = answer.get_json()["ticket_no"]
    eventually(lambda: api("get", f"/api/tickets/{number}", "grid").status_code == 200
               and api("get", f"/api/tickets/{number}", "grid").get_json()["timeline"])
    name = f"孙{uuid.uuid4().hex[:6]}"
    resident_phone = f"138{uuid.uuid4().int % 10**8:08d}"
    card = api("post", "/api/register", "grid", json={
        "name": name, "phones": [resident_phone], "grid_unit_id": GRID,
        "address": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
                    "estate": "国和小区", "building": "5号", "room": "101"}})
    assert card.status_code == 201, card.get_json()
    return {"ticket": number, "resident": card.get_json()["resident_id"], "unit": GRID,
            "secrets": {"ticket": description, "caller": phone, "card": name,
                        "card_phone": resident_phone},
            "facts": {"ticket": {"district": "杨浦区", "units": [GRID], "units_now": [GRID],
                                 "taken_by": "zhou"},
                      "resident": {"district": "杨浦区", "grid_unit_id": GRID},
                      "unit": {"district": "杨浦区", "unit_id": GRID}}}


@pytest.fixture(scope="module")
def elsewhere(console_system):
    """The accounts of ELSEWHERE and PROGRAMS (programs have no password), made by the
    admin, each with an API token: {key: token}."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy(console_system, timeout=10) as rpc:
        admin = rpc.accounts.authenticate("admin", CONSOLE_PASSWORD)["statement"]
        made = {}
        for key, user in {**ELSEWHERE, **PROGRAMS}.items():
            password = {} if key in PROGRAMS else {"password": CONSOLE_PASSWORD}
            rpc.accounts.create_user({**user, **password}, admin)
            made[key] = rpc.accounts.issue_token(user["username"], "tests", admin)["token"]
        return made


@pytest.fixture(scope="module")
def browsers(console_app, elsewhere):
    browsers = {key: Person(console_app, key) for key in CONSOLE_USERS}
    for key, user in ELSEWHERE.items():
        person = Person(console_app)
        assert person.sign_in(user["username"], CONSOLE_PASSWORD).status_code == 302
        person.get("/", follow=True)
        browsers[key] = person
    return browsers


@pytest.fixture(scope="module")
def ask(client, tokens, elsewhere):
    """``ask(method, path, who, ...)``: an API request with that person's token."""
    every = {**tokens, **elsewhere}

    def request(method: str, path: str, who: str, **kwargs):
        return getattr(client, method)(path, headers={"Authorization": f"Bearer {every[who]}"},
                                       **kwargs)
    return request


def actor_of(key: str) -> dict:
    user = READERS[key]
    return {"id": user["username"], "role": user["role"], "unit_id": user["unit_id"],
            "district": user.get("district")}


def facts_for(what: str, things: dict) -> access.Facts:
    if what in ("card", "card_views", "checkins"):
        return things["facts"]["resident"]
    if what in ("queue", "register", "staff"):
        return things["facts"]["unit"]
    return things["facts"]["ticket"]


def allowed(route: Route, key: str, things: dict) -> bool:
    """What the table (and the page's roles) say of ``key`` using ``route``."""
    role = READERS[key]["role"]
    if route.roles is not None and role not in route.roles:
        return False
    if route.what in (ANYONE, SIGNED_IN):
        return True
    if route.what == ADMINS:
        return role == "admin"
    if route.what == SELF:
        return role == "admin" or key == "grid"  # the sample user is the grid's
    if route.what == "indicators":  # the city's figures, naming no person (README)
        return access.whose(actor_of(key), "indicators") is not None
    if route.listing and access.whose(actor_of(key), route.what) == access.EVERY:
        return True
    return access.may(actor_of(key), route.what, facts_for(route.what, things))


def path_of(route: Route, things: dict) -> str:
    return route.path.format(ticket=things["ticket"], resident=things["resident"],
                             unit=things["unit"], user=PEOPLE["grid"]["username"])


def test_every_route_has_a_row(console_app):
    endpoints = {rule.endpoint for rule in console_app.url_map.iter_rules()}
    steps = {endpoint for endpoint in endpoints if endpoint.startswith(STEP_PREFIX)
             and endpoint not in ROUTES}
    missing = endpoints - set(ROUTES) - steps
    assert missing == set(), f"routes without a row in ROUTES: {sorted(missing)}"
    assert set(ROUTES) - endpoints == set(), "rows for routes that are gone"


def leaks(body: str, key: str | None, route: Route, things: dict) -> list[str]:
    """The sample's secrets in ``body`` that ``key`` (None: nobody signed in) may not
    see by the table. A public route may show a ticket's description (the feed publishes
    some, redacted); never a phone or a name."""
    secrets, facts = things["secrets"], things["facts"]
    reader = actor_of(key) if key else None
    def may(what: str, of: str) -> bool:
        return reader is not None and access.may(reader, what, facts[of])
    sees = {"ticket": may("ticket", "ticket") or route.what == ANYONE,
            "caller": may("caller", "ticket"),
            "card": may("card", "resident") or may("register", "unit"),
            "card_phone": may("card", "resident") or may("register", "unit")}
    return [name for name, secret in secrets.items() if not sees[name] and secret in body]


def text_of(response) -> str:
    return "" if response.mimetype.startswith("application/vnd.openxml") \
        else response.get_data(as_text=True)


@pytest.mark.parametrize("endpoint", sorted(name for name, route in ROUTES.items()
                                            if route.what not in (SKIP, STEP, CHANGE)))
def test_each_role_sees_what_the_table_says_and_nothing_more(endpoint, things, browsers, ask):
    route = ROUTES[endpoint]
    path = path_of(route, things)
    for key in READERS:
        if key in PROGRAMS and not path.startswith("/api/"):
            continue  # no console session: test_a_program_has_no_console_session
        response = ask("get", path, key) if path.startswith("/api/") \
            else browsers[key].client.get(path)
        expected = 200 if allowed(route, key, things) else 403
        assert response.status_code in ((200, 302) if expected == 200 else (403,)), (
            endpoint, key, response.status_code)
        assert leaks(text_of(response), key, route, things) == [], (endpoint, key)


@pytest.mark.parametrize("endpoint", sorted(name for name, route in ROUTES.items()
                                            if route.what not in (SKIP, STEP, CHANGE, ANYONE)))
def test_nobody_signed_in_is_sent_to_sign_in_and_sees_nothing(endpoint, things, client):
    route = ROUTES[endpoint]
    path = path_of(route, things)
    response = getattr(client, route.method)(path)
    if path.startswith("/api/"):
        assert response.status_code == 401, (endpoint, response.status_code)
    else:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert leaks(text_of(response), None, route, things) == []


@pytest.mark.parametrize("who", ["kaichen", "weiyang_staff", "weiyang_dispatcher",
                                 "call_centre_program", "callback_program"])
def test_a_step_on_a_ticket_one_may_not_read_is_refused_and_tells_nothing(
        who, things, api, ask, browsers, console_app):
    number = things["ticket"]
    rules = [rule for rule in console_app.url_map.iter_rules()
             if rule.endpoint.startswith(STEP_PREFIX) and "POST" in rule.methods
             and "ticket_no" in rule.arguments]
    assert len(rules) >= 10
    before = api("get", f"/api/tickets/{number}", "admin").get_json()["status"]["version"]
    for rule in rules:
        path = re.sub(r"<[^>]*unit_id>", OTHER, re.sub(r"<[^>]*ticket_no>", number, rule.rule))
        response = ask("post", path, who, json={})
        assert response.status_code in (403, 422), (rule.rule, response.status_code)
        body = response.get_data(as_text=True)
        assert all(secret not in body for secret in things["secrets"].values()), rule.rule
    if who not in PROGRAMS:
        page = browsers[who].post(f"/tickets/{number}/accept", {}, follow=False)
        assert page.status_code == 403
    assert api("get", f"/api/tickets/{number}", "admin").get_json()["status"]["version"] \
        == before  # nothing changed


@pytest.mark.parametrize("endpoint", sorted(name for name, route in ROUTES.items()
                                            if route.what == CHANGE))
def test_a_change_by_someone_who_may_not_see_the_thing_is_refused_and_tells_nothing(
        endpoint, things, browsers, ask):
    """Other units and agents may not change a resident they may not see; only admins
    change accounts (a user's own password and tokens aside: accounts' tests). Whoever may
    do it is left to the tests of each change."""
    route = ROUTES[endpoint]
    path = path_of(route, things)
    facts = things["facts"]["resident"]
    for key in READERS:
        if key in PROGRAMS and not path.startswith("/api/"):
            continue  # no console session
        reader = actor_of(key)
        if route.of == "card" and (access.may(reader, "card", facts)
                                   or reader["role"] == "admin"):
            continue
        if route.of == "accounts" and (reader["role"] == "admin" or key == "grid"):
            continue
        if path.startswith("/api/"):
            response = ask(route.method, path, key, json=dict(route.body))
        else:
            response = browsers[key].post(path, {"reason": "x"}, follow=False)
        assert response.status_code == 403, (endpoint, key, response.status_code)
        assert leaks(text_of(response), key, route, things) == [], (endpoint, key)


@pytest.mark.parametrize("who", sorted(PROGRAMS))
def test_a_program_has_no_console_session(who, console_app, elsewhere):
    """A program's account signs in with its token only: the console's sign-in refuses
    it whatever is typed, and it gets no session."""
    person = Person(console_app)
    page = person.sign_in(PROGRAMS[who]["username"], CONSOLE_PASSWORD)
    assert page.status_code != 302
    assert person.client.get("/").status_code == 302  # still sent to sign in
