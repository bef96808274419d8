"""The pages drawn from canned answers (no broker): how a queue marks what is late, how a
ticket hides the caller from those who may not see them, and the page when the services
do not answer."""
from __future__ import annotations

import datetime as dt

import pytest

from services.console.app import create_app
from services.console.settings import Settings
from services.shared import clock
from services.shared.errors import NotPermitted
from services.shared.rpc_client import ServicesUnavailable

# accounts' answers to check_session: each with its signed statement (here a stand-in:
# these tests look at what the console does with it, not at the signature)
GRID = {"id": "li", "username": "li", "name": "网格员李琳", "role": "unit_staff",
        "unit_id": "yinhang-grid-1", "unit_name": "殷行街道第一网格工作站",
        "statement": "statement-of-li"}
DISPATCHER = {"id": "chen", "username": "chen", "name": "派单员老陈", "role": "dispatcher",
              "unit_id": "centre", "unit_name": "12345派单中心",
              "statement": "statement-of-chen"}


def iso(hours_from_now: float) -> str:
    return clock.iso(clock.now() + dt.timedelta(hours=hours_from_now))


def view(ticket_no: str, **changes) -> dict:
    return {"ticket_no": ticket_no, "state": "dispatched", "unit_id": "yinhang-grid-1",
            "unit_name": "殷行街道第一网格工作站", "routed": True, "category": "home_repair",
            "kind": "help", "priority": "normal", "urgency": "normal", "calls": 1,
            "caller_in_full": True, "caller": {"name": "张老伯", "phone": "+8613800000001",
                                               "anonymous": False},
            "address": {"district": "杨浦区", "subdistrict": "殷行街道", "estate": "国和小区",
                        "building": "3号", "room": "302"},
            "description": "扶手松动", "met": [], "overdue": [], "warned": [], "paused": False,
            "paused_hours": 0.0, "extensions": [], "pauses": [], "urges": [], "assists": [],
            "reopen_count": 0, "outcome": None, "resolution": None, "last_note": None,
            "received_at": iso(-30), "dispatched_at": iso(-30), "updated_at": iso(-30),
            "deadlines": {"accept_by": iso(5), "contact_by": iso(20), "resolve_by": iso(100)},
            "role": "lead", "actions": ["accept", "return_ticket"], **changes}


class Canned:
    """Answers RPCs from a table: {(service, method): function of the arguments}."""

    def __init__(self, answers: dict):
        self.answers = answers
        self.calls: list[tuple] = []

    def call(self, service: str, method: str, *args):
        self.calls.append((service, method, args))
        return self.answers[(service, method)](*args)


def signed_in(services, user: dict):
    """A browser whose cookie names a live session of ``user`` (accounts' check_session
    answers it from the table)."""
    app = create_app(Settings(amqp_uri="memory://", secret_key="test", testing=True), services)
    services.answers[("accounts", "check_session")] = \
        lambda secret: user if secret == "live-session" else refuse_session()
    client = app.test_client()
    with client.session_transaction() as session:
        session["session"] = "live-session"
    return client


def refuse_session():
    raise NotPermitted("this session has ended: sign in again")


def test_a_queue_puts_what_is_late_in_red_and_says_by_how_much():
    late = view("YP-0002", priority="high", urgency="urgent",
                deadlines={"accept_by": iso(-3), "contact_by": iso(1), "resolve_by": iso(20)})
    on_time = view("YP-0001")
    client = signed_in(Canned({("dispatch", "queue"): lambda *args: [late, on_time]}), GRID)
    page = client.get("/units/yinhang-grid-1/queue").get_data(as_text=True)
    assert page.index("YP-0002") < page.index("YP-0001")  # in dispatch's order
    late_row = page[page.index('data-ticket="YP-0002"'):page.index('data-ticket="YP-0001"')]
    assert 'class="row-overdue"' in page.split('data-ticket="YP-0002"')[0][-40:]
    assert "left overdue" in late_row and "签收 · 超时3小时" in late_row
    assert "优先" in late_row and "紧急" in late_row
    assert "一号专线" not in late_row  # that line is for residents in the register
    assert "剩4小时" in page.split('data-ticket="YP-0001"')[1]


def test_the_queue_is_filtered_by_state_at_dispatch_and_by_category_here():
    services = Canned({("dispatch", "queue"): lambda *args: [
        view("YP-0001", category="street_light"), view("YP-0002")]})
    page = signed_in(services, GRID).get(
        "/units/yinhang-grid-1/queue?state=accepted&category=home_repair").get_data(as_text=True)
    [queue] = [call for call in services.calls if call[:2] == ("dispatch", "queue")]
    assert queue[2][2] == ["accepted"]
    assert "YP-0002" in page and "YP-0001" not in page


def ticket_answers(status: dict) -> dict:
    timeline = [{"seq": 1, "event_type": "ticket_merged", "occurred_at": iso(-2),
                 "summary": "重复来电并入 (第2次来电)",
                 "actor": {"name": "话务员", "role": "agent"},
                 "data": {"caller": {"name": "李先生", "phone": "+8613900000002"},
                          "address": {"district": "杨浦区", "room": "501"}}}]
    return {("dispatch", "get_status"): lambda *args: status,
            ("intake", "get_ticket"): lambda *args: {"channel": "hotline",
                                                     "priority_reasons": []},
            ("ledger", "timeline"): lambda *args: timeline,
            ("dispatch", "get_directory"): lambda *args: {"units": [], "places": [],
                                                          "rules": []}}


def test_the_holding_unit_reads_the_callers_phone_in_full_and_can_dial_it():
    page = signed_in(Canned(ticket_answers(view("YP-0001"))), GRID).get(
        "/tickets/YP-0001").get_data(as_text=True)
    assert 'href="tel:+8613800000001"' in page and "302" in page
    assert "13900000002" in page  # the repeat caller too, as dialled at home


def test_the_console_shows_what_the_services_let_the_reader_see_and_asks_as_them():
    masked = view("YP-0001", caller_in_full=False,
                  caller={"name": "张老伯", "phone": "138****0001", "anonymous": False},
                  address={"district": "杨浦区", "estate": "国和小区", "room": "***"})
    services = Canned(ticket_answers(masked))
    page = signed_in(services, DISPATCHER).get("/tickets/YP-0001").get_data(as_text=True)
    assert "138****0001" in page and "tel:" not in page
    # every read carries accounts' statement of the reader: the services decide what
    # leaves them
    reads = {(service, method): args for service, method, args in services.calls}
    for read in (("dispatch", "get_status"), ("intake", "get_ticket"), ("ledger", "timeline")):
        assert reads[read][-1] == DISPATCHER["statement"], read


def test_the_ticket_page_goes_on_when_the_ledger_or_intake_does_not_answer():
    def down(service):
        def answer(*args):
            raise ServicesUnavailable(f"{service} did not answer")
        return answer

    answers = {**ticket_answers(view("YP-0001")), ("ledger", "timeline"): down("ledger")}
    response = signed_in(Canned(answers), GRID).get("/tickets/YP-0001")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "扶手松动" in page and 'data-action="accept"' in page  # dispatch's ticket, steps
    assert "历史记录暂不可用：记录服务暂时没有响应" in page
    assert "did not answer" not in page

    answers[("intake", "get_ticket")] = down("intake")
    page = signed_in(Canned(answers), DISPATCHER).get("/tickets/YP-0001").get_data(as_text=True)
    assert "扶手松动" in page and "受理服务暂时没有响应" in page


def test_the_callbacks_outcome_in_words_and_never_its_dialers_note():
    closed = view("YP-0001", state="closed", outcome="satisfied", actions=[],
                  last_note="已电联，约定下午上门", callback_note="scripted: default")
    page = signed_in(Canned(ticket_answers(closed)), GRID).get(
        "/tickets/YP-0001").get_data(as_text=True)
    assert "已电联，约定下午上门" in page  # the unit's note stays under 最近备注
    assert "回访结果" in page and "满意（已结案）" in page
    assert "scripted" not in page


@pytest.mark.parametrize("path", ["/units/yinhang-grid-1/queue", "/tickets/YP-0001"])
def test_a_clear_page_when_the_services_do_not_answer(path):
    def down(*args):
        raise ServicesUnavailable("dispatch did not answer")

    services = Canned({("dispatch", "queue"): down, ("dispatch", "get_status"): down})
    response = signed_in(services, GRID).get(path)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "服务暂时不可用" in page and "重试" in page and "Traceback" not in page
    assert "派单服务暂时没有响应" in page and "did not answer" not in page


def test_every_request_asks_accounts_once_about_its_session():
    services = Canned({("dispatch", "queue"): lambda *args: []})
    client = signed_in(services, GRID)
    client.get("/units/yinhang-grid-1/queue")
    client.get("/units/yinhang-grid-1/queue")
    assert [call[1] for call in services.calls].count("check_session") == 2


def test_a_cookie_of_an_ended_session_gets_the_login_page_and_is_emptied():
    services = Canned({("dispatch", "queue"): lambda *args: []})
    client = signed_in(services, GRID)
    with client.session_transaction() as session:
        session["session"] = "ended-session"
    response = client.get("/units/yinhang-grid-1/queue")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with client.session_transaction() as session:
        assert "session" not in session
    assert ("dispatch", "queue") not in [call[:2] for call in services.calls]


def test_a_cookie_holds_only_the_sessions_secret_never_who_signed_in():
    services = Canned({("accounts", "start_session"): lambda *args: {
        "session": "the-secret", "session_id": "0123456789abcdef",
        "expires_at": iso(12), "identity": GRID}})
    app = create_app(Settings(amqp_uri="memory://", secret_key="test", testing=True), services)
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/login", data={"username": "li", "password": "test-password-1"},
                           environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert dict(session) == {"session": "the-secret", "_permanent": True}
    assert services.calls[-1] == ("accounts", "start_session",
                                  ("li", "test-password-1", "10.1.2.3"))


SUPERVISOR = {"id": "wang", "username": "wang", "name": "督办员老王", "role": "supervisor",
              "unit_id": None, "statement": "statement-of-wang"}
REPORT = {"overdue": [], "warning": [], "extensions": [], "pauses": []}
INDICATORS = {"rows": [], "totals": None}


class CannedEach(Canned):
    """Canned, answering several calls at once as ServiceProxy.call_each does."""

    def call_each(self, calls):
        answers = []
        for service, method, args in calls:
            try:
                answers.append(self.call(service, method, *args))
            except Exception as error:
                answers.append(error)
        return answers


def parked_answer(service: str, count: int):
    return lambda actor: {"service": service, "queue": f"parked-{service}", "count": count}


def test_supervision_shows_what_each_service_parked_and_a_dash_for_one_that_is_silent():
    def silent(actor):
        raise ServicesUnavailable("callback did not answer")

    answers = {("dispatch", "supervision"): lambda actor: REPORT,
               ("ledger", "indicators"): lambda *args: INDICATORS,
               ("dispatch", "get_directory"): lambda *args: {"units": [], "places": [],
                                                             "rules": []},
               **{(service, "parked_count"): parked_answer(service, n)
                  for n, service in enumerate(("intake", "dispatch", "ledger", "register",
                                               "accounts"))},
               ("callback", "parked_count"): silent}
    page = signed_in(CannedEach(answers), SUPERVISOR).get("/supervision").get_data(as_text=True)
    block = page[page.index('id="parked"'):page.index('id="indicators"')]
    rows = {service: block[block.index(f'data-service="{service}"'):].split("</tr>")[0]
            for service in ("intake", "ledger", "callback")}
    assert '<td class="num">0</td>' in rows["intake"]
    assert '<td class="num">2</td>' in rows["ledger"]
    assert '<td class="num">—</td>' in rows["callback"]
    assert "该服务此刻未应答" in block

    # a dispatcher reads the supervision list, not the parking queues (nor is asked them)
    services = CannedEach(answers)
    page = signed_in(services, DISPATCHER).get("/supervision").get_data(as_text=True)
    assert 'id="parked"' not in page
    assert not [call for call in services.calls if call[1] == "parked_count"]
