"""The console's pages against the services over RabbitMQ: each role signs in and
lands where its work is, every page renders, the buttons offered follow the rules, and a
ticket goes from the call to its resolution through the forms alone."""
from __future__ import annotations

import re
import uuid

import pytest
from conftest import CONSOLE_PASSWORD, CONSOLE_USERS
from integration_support import eventually

from services.console.app import create_app
from services.console.settings import Settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STEP_FORMS = re.compile(r'data-action="([a-z_]+)"')


class Person:
    """Someone using the console in a browser of their own (a test client with cookies)."""

    def __init__(self, app, key: str | None = None):
        self.client = app.test_client()
        self.token = None
        if key is not None:
            self.user = CONSOLE_USERS[key]
            response = self.sign_in(self.user["username"], CONSOLE_PASSWORD)
            assert response.status_code == 302, response.get_data(as_text=True)
            self.get("/", follow=True)  # a page after signing in: the session's CSRF token

    def sign_in(self, username: str, password: str, next_path: str | None = None):
        self.get("/login")
        data = {"username": username, "password": password}
        if next_path:
            data["next"] = next_path
        return self.post("/login", data, follow=False)

    def get(self, path: str, status: int = 200, follow: bool = False) -> str:
        response = self.client.get(path, follow_redirects=follow)
        assert response.status_code == status, (path, response.status_code)
        return self._page(response)

    def post(self, path: str, data: dict, follow: bool = True):
        response = self.client.post(path, data={"csrf_token": self.token, **data},
                                    follow_redirects=follow)
        self._page(response)
        return response

    def _page(self, response) -> str:
        page = response.get_data(as_text=True)
        found = CSRF.search(page)
        if found:
            self.token = found.group(1)
        return page


@pytest.fixture(scope="module")
def people(console_app):
    return {key: Person(console_app, key) for key in CONSOLE_USERS}


def new_call(**changes) -> dict:
    """The new-ticket form for a repair in 国和小区 (the grid workstation's), a fresh caller."""
    form = {"channel": "hotline", "caller.name": "张老伯",
            "caller.phone": f"139{uuid.uuid4().int % 10**8:08d}", "kind": "help",
            "category": "home_repair", "urgency": "normal",
            "description": f"卫生间扶手松动，老人如厕不便 {uuid.uuid4().hex[:6]}",
            "address.district": "杨浦区", "address.subdistrict": "殷行街道",
            "address.community": "国和居民区", "address.estate": "国和小区",
            "address.building": "8号", "address.room": "501", "new_matter": "1",
            "external_id": f"console-test-{uuid.uuid4().hex}"}
    form.update(changes)
    return form


def take_call(agent: Person, **changes) -> tuple[str, dict]:
    """The agent records a call through the form; the ticket number shown, and the form."""
    form = new_call(**changes)
    page = agent.post("/tickets/new", form).get_data(as_text=True)
    assert "请告知市民" in page
    number = re.search(r'class="created-no"><a href="/tickets/([^"]+)"', page).group(1)
    return number, form


def dispatched(person: Person, number: str) -> str:
    """The ticket page once dispatch holds the ticket."""
    return eventually(lambda: (lambda page: page if "待签收" in page or "待派单" in page else None)(
        person.get(f"/tickets/{number}")))


def offered(page: str) -> list[str]:
    return STEP_FORMS.findall(page)


# Signing in
@pytest.mark.parametrize("key, lands_on, says", [
    ("grid", "/units/yinhang-grid-1/queue", "殷行街道第一网格工作站"),
    ("kaichen", "/units/kaichen-property/queue", "凯晨物业"),
    ("dispatcher", "/centre", "派单中心"),
    ("supervisor", "/supervision", "超时工单"),
    ("agent", "/tickets/new", "新建工单"),
    ("admin", "/admin/users", "用户管理"),
])
def test_each_role_lands_where_its_work_is(console_app, key, lands_on, says):
    person = Person(console_app, key)
    response = person.client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == lands_on
    page = person.get(lands_on)
    assert says in page and CONSOLE_USERS[key]["name"] in page and "退出" in page


def test_a_wrong_password_is_refused_with_the_services_word(console_app):
    person = Person(console_app)
    response = person.sign_in("li", "not-the-password")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "用户名或密码错误" in page and 'value="li"' in page
    assert person.client.get("/").status_code == 302  # still signed out


def test_repeated_wrong_passwords_lock_the_account_for_a_while(console_app, people):
    username = f"l{uuid.uuid4().hex[:6]}"
    people["admin"].post("/admin/users", {"username": username, "name": "锁定测试",
                                          "role": "agent", "unit_id": "",
                                          "password": "a-long-password"})
    person = Person(console_app)
    for _ in range(5):
        assert "用户名或密码错误" in person.sign_in(username, "wrong-password").get_data(
            as_text=True)
    refused = person.sign_in(username, "a-long-password")
    assert refused.status_code == 401 and "已暂时锁定" in refused.get_data(as_text=True)


def test_after_signing_in_only_a_local_next_is_followed(console_app):
    person = Person(console_app)
    response = person.sign_in("li", CONSOLE_PASSWORD, next_path="https://evil.example/")
    assert response.headers["Location"] == "/"
    person = Person(console_app)
    response = person.sign_in("li", CONSOLE_PASSWORD, next_path="/tickets/YP-NONE")
    assert response.headers["Location"] == "/tickets/YP-NONE"


def test_a_page_asks_to_sign_in_and_comes_back(console_app):
    person = Person(console_app)
    response = person.client.get("/centre")
    assert response.status_code == 302 and "/login?next=/centre" in response.headers["Location"]
    response = person.sign_in("chen", CONSOLE_PASSWORD, next_path="/centre")
    assert response.headers["Location"] == "/centre"


def test_signing_out_ends_the_session(console_app):
    person = Person(console_app, "grid")
    page = person.post("/logout", {}).get_data(as_text=True)
    assert "已退出登录" in page
    assert person.client.get("/units/yinhang-grid-1/queue").status_code == 302


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(console_app, people):
    assert console_app.config["TESTING"] and console_app.config.get("WTF_CSRF_ENABLED", True)
    number, _ = take_call(people["agent"])
    dispatched(people["grid"], number)
    response = people["grid"].client.post(f"/tickets/{number}/accept", data={})
    assert response.status_code == 400 and "刷新页面" in response.get_data(as_text=True)
    response = people["grid"].client.post(f"/tickets/{number}/accept",
                                          data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert "待签收" in people["grid"].get(f"/tickets/{number}")
    response = Person(console_app).client.post("/login", data={"username": "li",
                                                               "password": CONSOLE_PASSWORD})
    assert response.status_code == 400


def test_unit_staff_read_only_their_own_units_queue(people):
    people["kaichen"].get("/units/yinhang-grid-1/queue", status=403)
    people["grid"].get("/centre", status=403)
    people["grid"].get("/admin/users", status=403)
    people["agent"].get("/supervision", status=403)


# A ticket's life through the pages
def test_a_ticket_from_the_call_to_its_resolution_through_the_pages(people):
    agent, grid = people["agent"], people["grid"]
    number, form = take_call(agent)

    queue = eventually(lambda: (lambda page: page if number in page else None)(
        grid.get("/units/yinhang-grid-1/queue")))
    row = queue[queue.index(f'data-ticket="{number}"'):]
    assert "待签收" in row[:2000] and "签收 · 剩" in row[:2000] and "主办" in row[:2000]

    page = grid.get(f"/tickets/{number}")
    assert offered(page) == ["accept", "add_assist", "request_extension", "return_ticket",
                             "assign"]
    assert form["description"] in page and f"tel:+86{form['caller.phone']}" in page

    page = grid.post(f"/tickets/{number}/accept", {}).get_data(as_text=True)
    assert "已签收" in page and offered(page)[:2] == ["record_contact", "resolve"]
    page = grid.post(f"/tickets/{number}/record_contact",
                     {"note": "已电联老人，约定下午上门"}).get_data(as_text=True)
    assert "已记录联系市民" in page and "已联系" in page

    response = grid.post(f"/tickets/{number}/resolve", {"resolution": "  "})
    assert response.status_code == 422
    assert re.search(r'name="resolution".*?必填', response.get_data(as_text=True), re.S)

    page = grid.post(f"/tickets/{number}/resolve",
                     {"resolution": "上门更换扶手，测试牢固"}).get_data(as_text=True)
    assert "已办结，等待回访" in page and "上门更换扶手，测试牢固" in page
    assert offered(page) == []
    timeline = eventually(lambda: (lambda page: page if "办结: 上门更换扶手" in page else None)(
        grid.get(f"/tickets/{number}")))
    for step in ("受理", "派单至 殷行街道第一网格工作站", "签收", "联系市民: 已电联老人", "办结"):
        assert step in timeline
    assert f'data-ticket="{number}"' not in grid.get("/units/yinhang-grid-1/queue")


def test_a_refused_step_shows_the_services_message(people):
    number, _ = take_call(people["agent"])
    dispatched(people["grid"], number)
    people["grid"].post(f"/tickets/{number}/accept", {})
    response = people["grid"].post(f"/tickets/{number}/accept", {})  # a stale page, twice
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "当前状态下不能这样操作" in page
    assert f"工单 {number} 当前为“已签收”，不能签收。" in page and "is accepted" not in page


def test_the_buttons_offered_follow_who_is_looking(people):
    number, _ = take_call(people["agent"])
    dispatched(people["grid"], number)
    seen = {key: offered(people[key].get(f"/tickets/{number}")) for key in people
            if key != "kaichen"}
    assert seen["grid"] == ["accept", "add_assist", "request_extension", "return_ticket",
                            "assign"]
    assert seen["agent"] == []
    people["kaichen"].get(f"/tickets/{number}", status=403)  # not theirs: not even read
    assert seen["dispatcher"] == ["reassign", "add_assist", "assign"]
    assert seen["supervisor"] == ["urge", "reassign", "add_assist", "assign"]
    # an admin may act for the unit, as dispatch allows
    assert seen["admin"] == ["accept", "urge", "reassign", "add_assist", "request_extension",
                             "return_ticket", "assign"]


def test_the_caller_is_masked_for_those_who_do_not_handle_the_ticket(people):
    number, form = take_call(people["agent"])
    phone = form["caller.phone"]
    masked = phone[:3] + "****" + phone[-4:]
    dispatched(people["grid"], number)
    for key in ("agent", "grid"):  # the agent who took the call, the unit holding it
        page = people[key].get(f"/tickets/{number}")
        assert phone in page and "501" in page, key
    for key in ("dispatcher", "supervisor"):
        page = people[key].get(f"/tickets/{number}")
        assert phone not in page and masked in page and "501" not in page, key
    refused = people["kaichen"].get(f"/tickets/{number}", status=403)
    assert phone not in refused and masked not in refused and form["description"] not in refused


def test_a_repeat_call_is_merged_and_the_agent_is_told_the_first_number(people):
    agent = people["agent"]
    # a matter no other test calls about, so that it can only repeat this first call
    first, form = take_call(agent, category="street_light",
                            description="小区主道路两处路灯不亮，夜间老人出行不便",
                            **{"address.building": "3号"})
    dispatched(people["grid"], first)
    repeat = {**form, "caller.name": "李先生", "caller.phone": "13912340000",
              "external_id": f"console-test-{uuid.uuid4().hex}"}
    repeat.pop("new_matter")
    page = agent.post("/tickets/new", repeat).get_data(as_text=True)
    assert "已并入已有工单（第 2 次来电）" in page and f"/tickets/{first}" in page
    # the repeat caller shows in the timeline: in full to the unit, masked to the centre
    grid_page = eventually(lambda: (lambda page: page if "重复来电并入" in page else None)(
        people["grid"].get(f"/tickets/{first}")))
    assert "13912340000" in grid_page and "来电 2 次" in grid_page
    centre_page = people["dispatcher"].get(f"/tickets/{first}")
    assert "139****0000" in centre_page and "13912340000" not in centre_page


def test_bad_input_is_shown_next_to_the_fields_keeping_what_was_typed(people):
    form = new_call(**{"caller.phone": "12345", "description": "", "address.district": "",
                       "caller.name": "王阿姨"})
    response = people["agent"].post("/tickets/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'name="caller.phone" value="12345".*?field-error">不是', page, re.S)
    assert re.search(r'name="description".*?field-error">必填', page, re.S)
    assert re.search(r'name="address.district".*?field-error">必填', page, re.S)
    assert 'value="王阿姨"' in page and 'value="国和小区"' in page


def test_a_consultation_answered_on_the_spot_is_closed_at_once(people):
    number, _ = take_call(people["agent"], kind="consult", category="other",
                          answer="办理时间为工作日 9:00-17:00")
    page = eventually(lambda: (lambda page: page if "已结案" in page else None)(
        people["agent"].get(f"/tickets/{number}")))
    assert "办理时间为工作日" in page


def test_joint_handling_a_pause_and_an_urge_through_the_pages(people):
    """联勤联动: the lead brings in a property company, which signs for and reports its part;
    a supervisor urges; the clock is paused and resumed; only then is the ticket resolved."""
    grid, kaichen, supervisor = people["grid"], people["kaichen"], people["supervisor"]
    number, _ = take_call(people["agent"])
    dispatched(grid, number)
    grid.post(f"/tickets/{number}/accept", {})
    page = grid.post(f"/tickets/{number}/add_assist", {"unit_id": "kaichen-property",
                                                       "note": "上门打孔"}).get_data(as_text=True)
    assert "已增加协办单位" in page and "resolve" not in offered(page)
    assert "协办单位尚未反馈，暂不能办结：凯晨物业" in page
    grid.post(f"/tickets/{number}/add_assist", {"unit_id": "guohe-committee"})
    page = grid.post(f"/tickets/{number}/release_assist",
                     {"unit_id": "guohe-committee", "note": "无需居委协助"}).get_data(as_text=True)
    assert "已结束协办" in page and "已结束协办</td>" in page

    queue = kaichen.get("/units/kaichen-property/queue")
    assert "协办" in queue[queue.index(f'data-ticket="{number}"'):][:3000]
    page = kaichen.get(f"/tickets/{number}")
    assert offered(page) == ["accept_assist"]
    page = kaichen.post(f"/tickets/{number}/accept_assist", {}).get_data(as_text=True)
    assert offered(page) == ["report_assist"]
    page = kaichen.post(f"/tickets/{number}/report_assist",
                        {"report": "已入户打孔安装"}).get_data(as_text=True)
    assert "协办情况已反馈" in page and "已入户打孔安装" in page

    page = supervisor.post(f"/tickets/{number}/urge", {"note": "请今天联系老人"}).get_data(
        as_text=True)
    assert "已督办" in page
    assert "请今天联系老人" in grid.get(f"/tickets/{number}")

    page = grid.post(f"/tickets/{number}/request_pause",
                     {"reason": "老人住院，出院后再上门"}).get_data(as_text=True)
    assert "挂起申请已提交" in page and "request_pause" not in offered(page)
    page = supervisor.post(f"/tickets/{number}/decide_pause", {"approve": "1"}).get_data(
        as_text=True)
    assert "已审批挂起申请" in page and "挂起中" in page
    page = grid.post(f"/tickets/{number}/resume", {}).get_data(as_text=True)
    assert "已恢复办理" in page and "resume" not in offered(page)
    page = grid.post(f"/tickets/{number}/resolve", {"resolution": "扶手安装完毕"}).get_data(
        as_text=True)
    assert "已办结，等待回访" in page


def test_a_praise_call_is_recorded_and_readable_though_never_dispatched(people):
    praised, _ = take_call(people["agent"])
    page = people["agent"].post("/tickets/new", new_call(
        kind="praise", category="other", description="感谢网格员及时上门",
        **{"praise.ticket_no": praised})).get_data(as_text=True)
    assert "表扬已记录" in page
    number = re.search(r'class="created-no"><a href="/tickets/([^"]+)"', page).group(1)
    page = people["dispatcher"].get(f"/tickets/{number}")
    assert "表扬" in page and "感谢网格员及时上门" in page and praised in page
    assert "501" not in page and "****" in page  # only dispatch could say who sees it all


# The centre
def test_a_returned_ticket_waits_at_the_centre_and_is_reassigned_in_one_step(people):
    number, _ = take_call(people["agent"])
    dispatched(people["grid"], number)
    response = people["grid"].post(f"/tickets/{number}/return_ticket", {"reason": ""})
    assert response.status_code == 422 and "必填" in response.get_data(as_text=True)
    page = people["grid"].post(f"/tickets/{number}/return_ticket",
                               {"reason": "属物业维修范围"}).get_data(as_text=True)
    assert "已退单" in page

    centre = people["dispatcher"].get("/centre")
    row = centre[centre.index(f'data-ticket="{number}"'):]
    assert "属物业维修范围" in row[:3000] and 'action="/tickets/' + number + '/reassign"' in row
    waiting = people["dispatcher"].client.get("/centre/export.csv")
    assert waiting.status_code == 200 and number in waiting.get_data(as_text=True)
    assert people["grid"].client.get("/centre/export.csv").status_code == 403
    page = people["dispatcher"].post(f"/tickets/{number}/reassign",
                                     {"unit_id": "kaichen-property",
                                      "next": "/centre"}).get_data(as_text=True)
    assert "已改派" in page and "派单中心" in page and f'data-ticket="{number}"' not in page
    assert number in people["kaichen"].get("/units/kaichen-property/queue")


# Supervision
def test_an_extension_asked_on_the_ticket_is_decided_on_the_supervisors_page(people):
    number, _ = take_call(people["agent"])
    dispatched(people["grid"], number)
    grid, supervisor = people["grid"], people["supervisor"]
    grid.post(f"/tickets/{number}/accept", {})
    response = grid.post(f"/tickets/{number}/request_extension",
                         {"deadline": "resolve", "until": "2020-01-01T10:00", "reason": "等配件"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "等配件" in page and "field-error" in page  # kept, and told why
    page = grid.post(f"/tickets/{number}/request_extension",
                     {"deadline": "resolve", "until": "2099-01-01T10:00",
                      "reason": "等待配件到货"}).get_data(as_text=True)
    assert "延期申请已提交" in page and "request_extension" not in offered(page)

    page = supervisor.get("/supervision")
    request = page[page.index(f'data-ticket="{number}" data-kind="extension"'):]
    assert "等待配件到货" in request[:1500] and "2099-01-01 10:00" in request[:1500]
    page = supervisor.post(f"/tickets/{number}/decide_extension",
                           {"approve": "1", "note": "同意", "next": "/supervision"}
                           ).get_data(as_text=True)
    assert "已审批延期申请" in page and f'data-ticket="{number}" data-kind' not in page
    assert "已同意" in grid.get(f"/tickets/{number}")


def test_the_supervisor_sees_indicators_with_charts_and_downloads_them(people):
    supervisor = people["supervisor"]
    page = supervisor.get("/supervision")
    assert "考核指标" in page and "受理量" in page and "下载 Excel" in page
    assert '<svg class="chart chart-wide"' in page and "殷行街道第一网格工作站" in page
    assert '<svg class="chart chart-narrow"' in page  # the one a phone shows
    response = supervisor.client.get("/supervision/indicators.xlsx?group=unit")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert "spreadsheetml" in response.headers["Content-Type"]
    assert ".xlsx" in response.headers["Content-Disposition"]
    response = supervisor.client.get("/supervision?first=2026-13-01")
    assert response.status_code == 200 and "请填写日期" in response.get_data(as_text=True)


def test_supervisors_and_admins_see_how_many_messages_each_service_parked(console_system,
                                                                        people):
    """Each service tells the depth of its own parking queue (the console's broker user may
    not look into them); a body that is not JSON on intake's events is parked by the two
    services that hear ticket_created."""
    from kombu import Connection

    def parked_row(page: str, service: str) -> str:
        block = page[page.index('id="parked"'):]
        return block[block.index(f'data-service="{service}"'):].split("</tr>")[0]

    before = people["supervisor"].get("/supervision")
    counts = {service: int(re.search(r'class="num">(\d+)<', parked_row(before, service))[1])
              for service in ("intake", "dispatch", "ledger")}
    with Connection(console_system["BROKER_URIS"]["intake"],
                    transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(b"{not json", exchange="intake.events",
                                      routing_key="ticket_created",
                                      content_type="application/json")

    def shown(page: str, service: str) -> bool:
        return f'class="num">{counts[service] + 1}<' in parked_row(page, service)

    page = eventually(lambda: (p := people["admin"].get("/supervision"))
                      and shown(p, "ledger") and shown(p, "dispatch") and p)
    assert f'class="num">{counts["intake"]}<' in parked_row(page, "intake")
    assert "滞留消息" in page and "—" not in page[page.index('id="parked"'):
                                                  page.index('id="indicators"')]
    assert 'id="parked"' not in people["dispatcher"].get("/supervision")


# Accounts
def test_the_admin_creates_changes_and_deactivates_an_account(console_app, people):
    admin = people["admin"]
    username = f"u{uuid.uuid4().hex[:6]}"
    response = admin.post("/admin/users", {"username": username, "name": "新网格员",
                                           "role": "unit_staff", "unit_id": "",
                                           "password": "short"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "至少 8 个字符" in page and f'value="{username}"' in page
    page = admin.post("/admin/users", {"username": username, "name": "新网格员",
                                       "role": "unit_staff", "unit_id": "guohe-committee",
                                       "password": "a-long-password"}).get_data(as_text=True)
    assert f"已创建用户 {username}" in page and f'data-user="{username}"' in page

    newcomer = Person(console_app)
    assert newcomer.sign_in(username, "a-long-password").headers["Location"] == "/"
    assert newcomer.client.get("/").headers["Location"] == "/units/guohe-committee/queue"

    page = admin.post(f"/admin/users/{username}", {"name": "新督办员", "role": "supervisor",
                                                   "unit_id": ""}).get_data(as_text=True)
    assert f"已保存用户 {username}" in page and "新督办员" in page

    page = admin.post(f"/admin/users/{username}/tokens", {"name": "同步脚本"}).get_data(
        as_text=True)
    token = re.search(r'class="token-value">(hlt_[^<]+)<', page).group(1)
    assert "只显示这一次" in page
    assert token not in admin.get("/admin/users")  # shown once
    token_id = token.split("_")[1]
    page = admin.post(f"/admin/users/{username}/tokens/{token_id}/revoke", {}).get_data(
        as_text=True)
    assert "已吊销" in page and token_id not in page.split(f'data-user="{username}"')[1][:3000]

    page = admin.post(f"/admin/users/{username}", {"active": "0"}).get_data(as_text=True)
    assert f"已停用用户 {username}" in page
    refused = Person(console_app).sign_in(username, "a-long-password")
    assert refused.status_code == 401 and "该账号已停用" in refused.get_data(as_text=True)


# When the services do not answer
def test_a_clear_503_page_when_the_services_are_down(console_system):
    down = create_app(Settings(amqp_uri="pyamqp://guest:guest@127.0.0.1:1/", rpc_timeout=1,
                               secret_key="test-secret", testing=True))
    try:
        person = Person(down)
        response = person.sign_in("li", CONSOLE_PASSWORD)
        assert response.status_code == 503
        page = response.get_data(as_text=True)
        assert "服务暂时不可用" in page and "稍后再试" in page
    finally:
        down.extensions["hotline_services"].close()


def test_pages_of_unknown_things_say_not_found(people):
    page = people["dispatcher"].get("/tickets/YP19990101-9999", status=404)
    assert "未找到" in page
    people["dispatcher"].get("/units/no-such-unit/queue", status=404)


def test_every_page_of_a_ticket_in_work_renders_for_every_role(people):
    number, form = take_call(people["agent"])
    dispatched(people["grid"], number)
    people["grid"].post(f"/tickets/{number}/accept", {})
    for key, person in people.items():
        if key == "kaichen":  # another unit's ticket: refused, nothing of it shown
            refused = person.get(f"/tickets/{number}", status=403)
            assert form["description"] not in refused and form["caller.name"] not in refused
            continue
        page = person.get(f"/tickets/{number}")
        assert number in page and "办理记录" in page and "时限" in page, key
