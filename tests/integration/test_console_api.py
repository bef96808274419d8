"""The console's JSON API and Open311 routes, over the running services: every route,
who may use which, masking, bad input, services down (schemathesis runs over the OpenAPI
description in test_console_openapi.py)."""
from __future__ import annotations

import datetime as dt
import io
import time
import uuid

import pytest
from integration_support import eventually
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import load_workbook

from services.shared import clock
from services.shared.schemas import SYSTEM_ACTOR

# The usernames of conftest.CONSOLE_USERS, by the same keys (password logins are the pages')
USERNAMES = {"admin": "admin", "agent": "zhou", "dispatcher": "chen", "supervisor": "wang",
             "grid": "li", "kaichen": "kc"}
ADMIN_ACTOR = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
GRID, PROPERTY, COMMITTEE = "yinhang-grid-1", "kaichen-property", "kailu-committee"
PHONE, MASKED = "13812345678", "138****5678"


@pytest.fixture(scope="module")
def tokens(console_system):
    """An API token for each of CONSOLE_USERS, by key."""
    with ClusterRpcProxy(console_system, timeout=10) as rpc:
        return {key: rpc.accounts.issue_token(username, "api tests", ADMIN_ACTOR)["token"]
                for key, username in USERNAMES.items()}


@pytest.fixture(scope="module")
def client(console_app):
    return console_app.test_client()


@pytest.fixture(scope="module")
def api(client, tokens):
    """``api("post", path, "agent", json=...)``: a request with that user's token."""
    def request(method: str, path: str, who: str, **kwargs):
        headers = {"Authorization": f"Bearer {tokens[who]}", **kwargs.pop("headers", {})}
        return getattr(client, method)(path, headers=headers, **kwargs)
    return request


def lamp(**changes) -> dict:
    """A street lamp call in 国和小区, which the grid workstation answers for."""
    return {"channel": "hotline", "kind": "help", "category": "street_light",
            "caller": {"name": "王阿姨", "phone": PHONE},
            "description": f"国和小区3号楼前路灯不亮 {uuid.uuid4().hex[:6]}", "merge": False,
            "address": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
                        "estate": "国和小区", "building": "3号", "room": "402"}, **changes}


def created(api, **changes) -> str:
    answer = api("post", "/api/tickets", "agent", json=lamp(**changes))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["ticket_no"]


def dispatched(api, number: str, state: str = "dispatched") -> dict:
    """The ticket's file once dispatch has it in ``state``."""
    def ready():
        file = api("get", f"/api/tickets/{number}", "grid").get_json()
        return file if (file.get("status") or {}).get("state") == state else None
    return eventually(ready)


def take(api, number: str, step: str, who: str, status: int = 200, **body):
    answer = api("post", f"/api/tickets/{number}/{step}", who, json=body)
    assert answer.status_code == status, answer.get_json()
    return answer.get_json()


# The description and the door
def test_the_openapi_description_names_every_route_and_schema(client):
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    spec = answer.get_json()
    assert spec["info"]["title"] == "12345 工单 API" and spec["openapi"] == "3.0.3"
    paths = spec["paths"]
    for path, method in [
        ("/api/me", "get"), ("/api/tickets", "post"), ("/api/tickets/{ticket_no}", "get"),
        ("/api/queues/{unit_id}", "get"), ("/api/tickets/{ticket_no}/extension/decision", "post"),
        ("/api/tickets/{ticket_no}/assists/{unit_id}/report", "post"),
        ("/api/supervision", "get"), ("/api/indicators", "get"), ("/api/indicators.xlsx", "get"),
        ("/api/users", "post"), ("/api/users/{username}", "patch"),
        ("/api/users/{username}/tokens/{token_id}", "delete"),
    ]:
        assert method in paths[path], path
    created_ticket = paths["/api/tickets"]["post"]
    assert created_ticket["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketRequest"}
    assert "201" in created_ticket["responses"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    # the answers are described by the shared contract's schemas, as the services dump them
    status = spec["components"]["schemas"]["TicketStatus"]["properties"]
    assert "accept" in status["actions"]["items"]["enum"] and "resident" in status


def test_without_a_valid_token_the_api_answers_401(client):
    for headers in ({}, {"Authorization": "Bearer hlt_nothing_here"},
                    {"Authorization": "Basic YWRtaW46eA=="}):
        answer = client.get("/api/me", headers=headers)
        assert answer.status_code == 401
        assert answer.get_json()["code"] == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_says_whose_it_is(api):
    me = api("get", "/api/me", "grid").get_json()
    assert (me["username"], me["role"], me["unit_id"]) == ("li", "unit_staff", GRID)
    assert me["unit_name"] == "殷行街道第一网格工作站"


# A ticket's life through the API
def test_an_agent_creates_and_a_unit_works_the_ticket_to_resolved(api):
    answer = api("post", "/api/tickets", "agent", json=lamp())
    assert answer.status_code == 201
    ticket = answer.get_json()
    assert ticket["merged"] is False and ticket["caller"]["phone"] == "+8613812345678"
    number = ticket["ticket_no"]

    file = dispatched(api, number)
    assert file["status"]["unit_id"] == GRID
    # what the grid's staff may do now
    assert file["status"]["actions"] == ["accept", "add_assist", "request_extension",
                                         "return_ticket", "assign"]
    queue = api("get", f"/api/queues/{GRID}", "grid").get_json()
    assert number in [item["ticket_no"] for item in queue]
    assert api("get", f"/api/queues/{GRID}?state=accepted", "grid").get_json() == [
        item for item in queue if item["state"] == "accepted"]

    assert take(api, number, "accept", "grid")["state"] == "accepted"
    assert take(api, number, "contact", "grid", note="已电话联系")["state"] == "contacted"
    resolved = take(api, number, "resolve", "grid", resolution="已更换灯泡")
    assert resolved["state"] == "resolved"

    timeline = eventually(lambda: [entry for entry in api(
        "get", f"/api/tickets/{number}", "grid").get_json()["timeline"]
        if entry["event_type"] == "ticket_resolved"])
    assert timeline[0]["summary"] == "办结: 已更换灯泡"


def test_the_caller_is_masked_for_other_units_and_shown_to_the_handlers(api):
    number = created(api)
    dispatched(api, number)

    handler = api("get", f"/api/tickets/{number}", "grid").get_json()
    assert handler["caller_in_full"] is True
    assert handler["status"]["caller"]["phone"] == "+8613812345678"
    assert handler["status"]["address"]["room"] == "402"
    assert handler["ticket"] is None  # units read the ticket from dispatch

    other = api("get", f"/api/tickets/{number}", "supervisor").get_json()
    assert other["caller_in_full"] is False
    assert other["ticket"]["caller"]["phone"] == MASKED
    assert other["status"]["caller"]["phone"] == MASKED
    assert other["ticket"]["address"]["room"] == "***"
    created_entry = next(entry for entry in other["timeline"]
                         if entry["event_type"] == "ticket_created")
    assert created_entry["data"]["caller"]["phone"] == MASKED
    assert PHONE not in str(other) and "+8613812345678" not in str(other)

    refused = api("get", f"/api/tickets/{number}", "kaichen")  # another unit
    assert refused.status_code == 403
    assert PHONE not in refused.get_data(as_text=True) and "402" not in refused.get_data(
        as_text=True)


def test_supervision_steps_extension_pause_urge_and_reassignment(api):
    number = created(api)
    dispatched(api, number)
    take(api, number, "accept", "grid")

    due = api("get", f"/api/tickets/{number}", "grid").get_json()["status"]["deadlines"]
    until = clock.iso(clock.parse_iso(due["resolve_by"]) + dt.timedelta(days=3))
    take(api, number, "extension", "grid", until=until, reason="等待配件")
    waiting = api("get", "/api/supervision", "supervisor").get_json()
    assert number in [item["ticket_no"] for item in waiting["extensions"]]
    decided = take(api, number, "extension/decision", "supervisor", approve=True, note="同意")
    assert decided["deadlines"]["resolve_by"] == until

    take(api, number, "pause", "grid", reason="老人要求下周上门")
    assert take(api, number, "pause/decision", "supervisor", approve=True)["paused"] is True
    assert take(api, number, "resume", "grid")["paused"] is False

    urged = take(api, number, "urge", "supervisor", note="请尽快办结")
    assert urged["urges"][-1]["note"] == "请尽快办结"
    moved = take(api, number, "reassign", "dispatcher", unit_id=PROPERTY, note="改派物业")
    assert (moved["state"], moved["unit_id"]) == ("dispatched", PROPERTY)


def test_joint_handling_through_the_assist_routes(api):
    number = created(api)
    dispatched(api, number)
    take(api, number, "accept", "grid")

    take(api, number, "assists", "grid", unit_id=PROPERTY, note="需物业配合")
    assert number in [item["ticket_no"] for item in
                      api("get", f"/api/queues/{PROPERTY}", "kaichen").get_json()]
    # the lead cannot sign for the assisting unit's part, nor anyone for another unit
    take(api, number, f"assists/{PROPERTY}/accept", "grid", status=403)
    take(api, number, f"assists/{PROPERTY}/accept", "kaichen")
    reported = take(api, number, f"assists/{PROPERTY}/report", "kaichen", report="已配合")
    assert next(a for a in reported["assists"] if a["unit_id"] == PROPERTY)["status"] == \
        "reported"

    take(api, number, "assists", "grid", unit_id=COMMITTEE)
    released = take(api, number, f"assists/{COMMITTEE}/release", "grid", note="不需要了")
    assert next(a for a in released["assists"] if a["unit_id"] == COMMITTEE)["status"] == \
        "released"
    assert take(api, number, "resolve", "grid", resolution="已修复")["state"] == "resolved"


def test_a_misrouted_ticket_is_returned_with_its_reason(api):
    number = created(api)
    dispatched(api, number)
    assert take(api, number, "return", "grid", reason="不属于本单位")["state"] == "pending"
    centre = api("get", "/api/queues/centre", "dispatcher").get_json()
    assert number in [item["ticket_no"] for item in centre]


# Who may do what
def test_role_rules(api):
    number = created(api)
    dispatched(api, number)

    refused = [
        api("post", f"/api/tickets/{number}/accept", "kaichen"),        # another unit's ticket
        api("get", f"/api/queues/{GRID}", "kaichen"),                    # another unit's queue
        api("post", "/api/tickets", "supervisor", json=lamp()),           # agents create
        api("post", "/api/tickets", "grid", json=lamp()),
        api("post", f"/api/tickets/{number}/urge", "grid", json={"note": "快"}),  # supervisors urge
        api("post", f"/api/tickets/{number}/reassign", "grid", json={"unit_id": PROPERTY}),
        api("post", f"/api/tickets/{number}/extension/decision", "grid",  # supervisors decide
            json={"approve": True}),
        api("post", f"/api/tickets/{number}/pause/decision", "dispatcher", json={"approve": True}),
        api("get", "/api/supervision", "grid"),
        api("get", "/api/indicators?start=2026-11-01&end=2026-11-02", "grid"),
        api("get", "/api/users", "supervisor"),                          # admins manage users
        api("post", "/api/users", "grid", json={"username": "x1", "name": "x", "role": "agent",
                                                "password": "long-enough-1"}),
    ]
    for answer in refused:
        assert answer.status_code == 403, (answer.request.path, answer.get_json())
        assert answer.get_json()["code"] == 403
    assert api("get", f"/api/tickets/{number}", "grid").get_json()["status"]["state"] == \
        "dispatched"  # nothing changed


def test_a_step_not_legal_now_is_409(api):
    number = created(api)
    dispatched(api, number)
    answer = take(api, number, "resolve", "grid", status=409, resolution="太早了")
    assert answer["code"] == 409


def test_an_unknown_ticket_is_refused_as_another_units_and_404_to_the_city_admin(api):
    assert api("get", "/api/tickets/YP20990101-9999", "grid").status_code == 403
    assert take(api, "YP20990101-9999", "accept", "grid", status=403)["code"] == 403
    assert api("get", "/api/tickets/YP20990101-9999", "admin").status_code == 404


# Bad input
def test_bad_input_names_each_field_and_creates_nothing(api, console_system):
    def listed():
        with ClusterRpcProxy(console_system, timeout=10) as rpc:
            since = clock.iso(clock.now() - dt.timedelta(hours=1))
            return len(rpc.ledger.tickets(SYSTEM_ACTOR, start=since, limit=500))

    before = listed()
    bad = lamp(category="lamps", caller={"name": "王阿姨", "phone": "12345"}, description="")
    answer = api("post", "/api/tickets", "agent", json=bad)
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert {"category", "caller", "description"} <= set(errors)
    assert "phone" in errors["caller"]
    assert api("post", "/api/tickets", "agent", json={**lamp(), "colour": "red"}).get_json()[
        "errors"] == {"colour": ["Unknown field."]}
    time.sleep(0.5)  # anything created would be recorded by now
    assert listed() == before

    number = created(api)
    dispatched(api, number)
    refused = take(api, number, "return", "grid", status=422)
    assert "reason" in refused["errors"]
    refused = take(api, number, "extension", "grid", status=422, until="next week", reason="x")
    assert "until" in refused["errors"]
    assert api("get", "/api/indicators?start=someday&end=2026-11-02", "supervisor").get_json()[
        "errors"].keys() == {"start"}
    assert api("get", f"/api/tickets/{number}", "grid").get_json()["status"]["state"] == \
        "dispatched"


# Supervisors' figures
def test_indicators_and_their_workbook(api):
    today = clock.local(clock.now()).date()
    period = f"start={today.isoformat()}&end={(today + dt.timedelta(days=1)).isoformat()}"
    figures = api("get", f"/api/indicators?{period}&group_by=unit&interval=day",
                  "supervisor").get_json()
    assert figures["group_by"] == ["unit"] and figures["interval"] == "day"
    assert figures["totals"]["received"] >= 1
    assert any(row["unit_id"] == GRID for row in figures["rows"])

    answer = api("get", f"/api/indicators.xlsx?{period}", "supervisor")
    assert answer.status_code == 200
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in answer.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(answer.data)).sheetnames == ["指标", "指标说明"]


def test_the_directory_lists_units_to_pick_from(api):
    directory = api("get", "/api/directory", "dispatcher").get_json()
    assert GRID in [unit["id"] for unit in directory["units"]]
    assert directory["rules"]


# Accounts
def test_admins_manage_users_and_a_revoked_token_is_refused_at_once(api, client):
    username = f"u{uuid.uuid4().hex[:6]}"
    made = api("post", "/api/users", "admin", json={
        "username": username, "name": "新网格员", "role": "unit_staff", "unit_id": GRID,
        "password": "long-enough-1"})
    assert made.status_code == 201, made.get_json()
    assert username in [user["username"] for user in api("get", "/api/users", "admin").get_json()]

    changed = api("patch", f"/api/users/{username}", "admin", json={"name": "网格员小赵"})
    assert changed.get_json()["name"] == "网格员小赵"
    assert api("patch", f"/api/users/{username}", "admin", json={}).status_code == 422

    issued = api("post", f"/api/users/{username}/tokens", "admin", json={"name": "脚本"})
    assert issued.status_code == 201
    token = issued.get_json()
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/api/me", headers=bearer).get_json()["username"] == username
    profile = api("get", f"/api/users/{username}", "admin").get_json()
    assert [t["token_id"] for t in profile["tokens"]] == [token["token_id"]]
    assert "token" not in profile["tokens"][0]

    revoked = api("delete", f"/api/users/{username}/tokens/{token['token_id']}", "admin")
    assert revoked.status_code == 200 and revoked.get_json()["tokens"] == []
    assert client.get("/api/me", headers=bearer).status_code == 401

    # a deactivated user's tokens stop working too
    second = api("post", f"/api/users/{username}/tokens", "admin", json={"name": "二"}).get_json()
    api("patch", f"/api/users/{username}", "admin", json={"active": False})
    assert client.get("/api/me", headers={"Authorization": f"Bearer {second['token']}"}
                      ).status_code == 401


# Services down
@pytest.fixture
def console_without_services(rabbit_manager, broker_users):
    """The console (its own broker user) pointed at a vhost where no service runs, with a
    short RPC timeout."""
    from services.console.app import create_app
    from services.console.settings import Settings

    vhost = f"hotline_empty_{uuid.uuid4().hex[:8]}"
    rabbit_manager.create_vhost(vhost)
    console = broker_users.grant(vhost)["console"]
    app = create_app(Settings(amqp_uri=console, rpc_timeout=1,
                              secret_key="test-secret", testing=True))
    yield app.test_client()
    app.extensions["hotline_services"].close()
    rabbit_manager.delete_vhost(vhost)


def test_a_service_down_gives_503_json(console_without_services, tokens):
    started = time.monotonic()
    answer = console_without_services.get(
        "/api/me", headers={"Authorization": f"Bearer {tokens['agent']}"})
    assert answer.status_code == 503
    assert answer.get_json()["code"] == 503
    posted = console_without_services.post("/open311/v2/requests.json", data={
        "api_key": tokens["agent"], "service_code": "street_light", "description": "路灯不亮",
        "address_string": "国和小区"})
    assert posted.status_code == 503
    assert posted.get_json()[0]["code"] == 503
    assert time.monotonic() - started < 10


# Open311
def test_open311_services_are_our_categories(client):
    services = client.get("/open311/v2/services.json").get_json()
    lamp_service = next(s for s in services if s["service_code"] == "street_light")
    assert lamp_service == {"service_code": "street_light", "service_name": "路灯",
                            "description": "路灯、楼道灯不亮或损坏", "metadata": True,
                            "type": "realtime", "keywords": "路灯,楼道灯,照明",
                            "group": "市政设施"}
    assert len(services) == 11


def test_open311_posting_needs_an_agents_api_key(client, tokens):
    form = {"service_code": "street_light", "description": "路灯不亮", "address_string": "国和小区"}
    for refused in (form, {**form, "api_key": "hlt_no_such"},
                    {**form, "api_key": tokens["supervisor"]}):
        answer = client.post("/open311/v2/requests.json", data=refused)
        assert answer.status_code == 403
        [error] = answer.get_json()
        assert error["code"] == 403 and error["description"]


def test_open311_request_created_and_followed(client, tokens, api):
    answer = client.post("/open311/v2/requests.json", data={
        "api_key": tokens["agent"], "service_code": "street_light",
        "description": f"国和小区8号楼路灯不亮 {uuid.uuid4().hex[:6]}",
        "address_string": "国和小区8号楼东侧", "lat": "31.32", "long": "121.53",
        "first_name": "阿姨", "last_name": "王", "phone": "13900001111",
        "email": "wang@example.com", "account_id": "app-42",
        "attribute[subdistrict]": "殷行街道", "attribute[community]": "国和居民区",
        "attribute[estate]": "国和小区", "attribute[building]": "8号"})
    assert answer.status_code == 201, answer.get_json()
    [made] = answer.get_json()
    number = made["service_request_id"]
    assert made["account_id"] == "app-42" and number in made["service_notice"]

    # as received: the default district, the app channel, the caller's name in Chinese order
    ticket = api("get", f"/api/tickets/{number}", "agent").get_json()["ticket"]
    assert (ticket["channel"], ticket["address"]["district"]) == ("app", "杨浦区")
    assert ticket["caller"]["name"] == "王阿姨"

    def recorded():  # listed once the ledger has it, a moment after intake answered
        answer = client.get(f"/open311/v2/requests/{number}.json")
        return answer.get_json() if answer.status_code == 200 else None
    [found] = eventually(recorded)
    assert (found["service_request_id"], found["status"], found["service_code"]) == \
        (number, "open", "street_light")
    assert "13900001111" not in str(found) and "1111" not in str(found)
    assert "王阿姨" not in str(found)
    assert found["description"].startswith("国和小区8号楼路灯不亮")  # an app's help call

    def dispatched_in_open311():
        [item] = client.get(f"/open311/v2/requests/{number}.json").get_json()
        return item if item["agency_responsible"] else None
    item = eventually(dispatched_in_open311)
    assert item["agency_responsible"] == "殷行街道第一网格工作站"
    assert item["address"] == "杨浦区 殷行街道 国和居民区"
    assert item["requested_datetime"].endswith("Z") and item["expected_datetime"]
    assert item["status_notes"] == "待签收"  # the state in words, no free text

    listed = client.get(f"/open311/v2/requests.json?service_request_id={number},YP20990101-1"
                        ).get_json()
    assert [r["service_request_id"] for r in listed] == [number]
    since = clock.iso(clock.now() - dt.timedelta(hours=1))
    open_ones = client.get(f"/open311/v2/requests.json?status=open&start_date={since}"
                           ).get_json()
    assert number in [r["service_request_id"] for r in open_ones]
    closed_ones = client.get("/open311/v2/requests.json?status=closed").get_json()
    assert number not in [r["service_request_id"] for r in closed_ones]
    assert client.get("/open311/v2/requests/YP20990101-1.json").status_code == 404


def test_open311_json_post_and_closed_requests(client, tokens, api):
    answer = client.post("/open311/v2/requests.json", json={
        "api_key": tokens["agent"], "service_code": "street_light",
        "description": f"路灯不亮 {uuid.uuid4().hex[:6]}",
        "attribute": {"subdistrict": "殷行街道", "estate": "国和小区"}})
    assert answer.status_code == 201, answer.get_json()

    # a consultation answered on the spot is closed at once
    number = created(api, kind="consult", category="other", answer="优待证请到街道办理")
    def closed():
        listed = client.get("/open311/v2/requests.json?status=closed").get_json()
        return [r for r in listed if r["service_request_id"] == number]
    [item] = eventually(closed)
    assert item["status"] == "closed"


def test_open311_bad_requests_get_the_standards_error_list(client, tokens):
    answer = client.post("/open311/v2/requests.json", data={
        "api_key": tokens["agent"], "phone": "12345", "lat": "31.3"})
    assert answer.status_code == 400
    errors = answer.get_json()
    assert all(error["code"] == 400 for error in errors)
    described = " ".join(error["description"] for error in errors)
    for field in ("service_code", "phone", "long"):
        assert field in described
    unknown = client.post("/open311/v2/requests.json", data={
        "api_key": tokens["agent"], "service_code": "lamps", "address_string": "国和小区"})
    assert unknown.status_code == 404 and unknown.get_json()[0]["code"] == 404
    bad_query = client.get("/open311/v2/requests.json?start_date=yesterday")
    assert bad_query.status_code == 400 and "start_date" in bad_query.get_json()[0]["description"]
