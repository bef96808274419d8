"""Console sessions end when they should, through the console against the services over
RabbitMQ: logout, deactivation, a role or password change end a live session at once (its
old cookie gets the login page, its next step is refused and nothing is recorded); idle and
absolute expiry (the clock moved, never slept); API tokens that expire or only read; and
the sign-in slow-down, which answers unknown and known usernames alike and keeps nobody out
from an address of their own."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from conftest import CONSOLE_PASSWORD
from integration_support import eventually
from nameko.standalone.rpc import ClusterRpcProxy

from services.shared import clock
from services.shared.schemas import SYSTEM_ACTOR

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ADMIN = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
AGENT = {"id": "zhou", "name": "话务员小周", "role": "agent", "unit_id": None}
GRID = "yinhang-grid-1"
PASSWORD = "grid-password-1"


@pytest.fixture(scope="module")
def rpc(console_system):
    with ClusterRpcProxy(console_system, timeout=10) as proxy:
        yield proxy


@pytest.fixture
def later(monkeypatch):
    """``later(minutes=31)``: the services' clock (and the console's) moves on by that much
    from the real time, added to what was moved before."""
    real = clock.now
    moved = dt.timedelta(0)

    def move(**delta: float) -> None:
        nonlocal moved
        moved += dt.timedelta(**delta)
        monkeypatch.setattr(clock, "now", lambda: real() + moved)

    return move


@pytest.fixture
def staff(rpc) -> str:
    """A fresh account of the grid workstation's staff (password PASSWORD)."""
    username = f"g{uuid.uuid4().hex[:7]}"
    rpc.accounts.create_user({"username": username, "name": "网格员测试", "role": "unit_staff",
                              "unit_id": GRID, "password": PASSWORD}, ADMIN)
    return username


class Browser:
    """A browser of one's own: a test client with its cookies, from one address."""

    def __init__(self, app, address: str = "10.0.0.8"):
        self.client = app.test_client()
        self.address = address
        self.csrf: str | None = None

    def get(self, path: str, follow: bool = False):
        response = self.client.get(path, environ_base={"REMOTE_ADDR": self.address},
                                   follow_redirects=follow)
        found = CSRF.search(response.get_data(as_text=True))
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, data: dict):
        if self.csrf is None:
            self.get("/login")
        return self.client.post(path, data={"csrf_token": self.csrf, **data},
                                environ_base={"REMOTE_ADDR": self.address})

    def sign_in(self, username: str, password: str):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        if response.status_code == 302:
            self.get("/", follow=True)  # the signed-in pages' CSRF token
        return response

    def cookie(self) -> str:
        return self.client.get_cookie("session").value

    def copy_of(self, app) -> Browser:
        """Another browser holding this one's cookie as it is now (a copied cookie)."""
        other = Browser(app, self.address)
        other.client.set_cookie("session", self.cookie())
        other.csrf = self.csrf
        return other


def sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def queue_page(browser: Browser):
    return browser.get(f"/units/{GRID}/queue")


# Logout, and changes to the account
def test_logout_ends_the_session_so_a_copied_cookie_gets_the_login_page(console_app, staff):
    browser = Browser(console_app)
    assert browser.sign_in(staff, PASSWORD).status_code == 302
    assert queue_page(browser).status_code == 200
    kept = browser.copy_of(console_app)

    browser.post("/logout", {})

    assert sent_to_login(queue_page(kept))
    assert sent_to_login(queue_page(browser))


def a_lamp_call(rpc) -> str:
    """A street-lamp call in 国和小区, which the grid workstation answers for: its number,
    once dispatch holds it."""
    answer = rpc.intake.create_ticket({
        "channel": "hotline", "kind": "help", "category": "street_light",
        "caller": {"name": "王阿姨", "phone": "13812345678"}, "merge": False,
        "description": f"国和小区3号楼前路灯不亮 {uuid.uuid4().hex[:6]}",
        "address": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
                    "estate": "国和小区", "building": "3号", "room": "402"}}, AGENT)
    number = answer["ticket_no"]
    eventually(lambda: rpc.dispatch.get_status(number, ADMIN)["state"] == "dispatched")
    return number


@pytest.mark.parametrize("change", [
    {"active": False},
    {"role": "dispatcher", "unit_id": "centre"},
    {"password": "set-by-admin-2"},
])
def test_an_admins_change_ends_a_live_session_and_its_next_step_is_refused(
        console_app, rpc, staff, change):
    number = a_lamp_call(rpc)
    browser = Browser(console_app)
    browser.sign_in(staff, PASSWORD)
    assert browser.post(f"/tickets/{number}/accept", {}).status_code == 302
    browser.get(f"/tickets/{number}")

    rpc.accounts.update_user(staff, change, ADMIN)
    response = browser.post(f"/tickets/{number}/record_contact",
                            {"note": "已电联老人，约定下午上门"})

    assert sent_to_login(response)
    assert rpc.dispatch.get_status(number, ADMIN)["state"] == "accepted"
    timeline = eventually(lambda: (lambda items: items if any(
        item["event_type"] == "ticket_accepted" for item in items) else None)(
        rpc.ledger.timeline(number, SYSTEM_ACTOR)))
    assert "ticket_contacted" not in [item["event_type"] for item in timeline]


def test_changing_ones_own_password_ends_ones_session(console_app, rpc, staff):
    browser = Browser(console_app)
    browser.sign_in(staff, PASSWORD)
    me = {"id": staff, "name": "网格员测试", "role": "unit_staff", "unit_id": GRID}
    rpc.accounts.change_password(staff, PASSWORD, "grid-password-2", me)
    assert sent_to_login(queue_page(browser))
    assert browser.sign_in(staff, "grid-password-2").status_code == 302


# Idle and absolute expiry
def test_a_session_idle_for_30_minutes_gets_the_login_page(console_app, staff, later):
    browser = Browser(console_app)
    browser.sign_in(staff, PASSWORD)
    later(minutes=29)
    assert queue_page(browser).status_code == 200  # used: it lives 30 minutes more
    later(minutes=29)
    assert queue_page(browser).status_code == 200
    later(minutes=31)
    assert sent_to_login(queue_page(browser))


def test_a_session_in_use_ends_after_12_hours(console_app, staff, later):
    browser = Browser(console_app)
    browser.sign_in(staff, PASSWORD)
    for _ in range(24):  # used every 29 minutes: 11 h 36 min
        later(minutes=29)
        assert queue_page(browser).status_code == 200
    later(minutes=25)  # not idle for long, but past 12 hours
    assert sent_to_login(queue_page(browser))


# API tokens
def test_a_read_only_token_reads_and_is_refused_every_write(console_app, rpc, staff):
    token = rpc.accounts.issue_token(staff, "只读报表", ADMIN, 30, True)["token"]
    client = console_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    me = client.get("/api/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["read_only"] is True
    assert client.get(f"/api/queues/{GRID}", headers=headers).status_code == 200
    number = a_lamp_call(rpc)
    refused = client.post(f"/api/tickets/{number}/accept", headers=headers, json={})
    assert refused.status_code == 403 and "read-only" in refused.get_json()["message"]
    assert client.delete(f"/api/users/{staff}/tokens/x", headers=headers).status_code == 403
    assert rpc.dispatch.get_status(number, ADMIN)["state"] == "dispatched"


def test_an_expired_token_is_refused(console_app, rpc, staff, later):
    token = rpc.accounts.issue_token(staff, "一周", ADMIN, 7)["token"]
    client = console_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=headers).status_code == 200
    later(days=7)
    refused = client.get("/api/me", headers=headers)
    assert refused.status_code == 401 and "expired" in refused.get_json()["message"]


def test_the_admin_page_issues_a_read_only_token_with_its_days(console_app, rpc, staff):
    admin = Browser(console_app, "10.0.0.2")
    assert admin.sign_in("admin", CONSOLE_PASSWORD).status_code == 302
    admin.get("/admin/users")
    page = admin.post(f"/admin/users/{staff}/tokens",
                      {"name": "月报", "days": "30", "read_only": "1"}).get_data(as_text=True)
    assert "只读" in page and "hlt_" in page
    [token] = rpc.accounts.get_user(staff, ADMIN)["tokens"]
    assert token["read_only"] is True
    issued = clock.parse_iso(token["created_at"])
    assert clock.parse_iso(token["expires_at"]) - issued == dt.timedelta(days=30)


# The sign-in slow-down
def test_unknown_and_known_usernames_get_the_same_pages(console_app, staff):
    def pages(username: str) -> list[tuple[int, str]]:
        browser = Browser(console_app, f"192.0.2.{uuid.uuid4().int % 200}")
        said = []
        for _ in range(6):
            response = browser.sign_in(username, "guess-password")
            page = response.get_data(as_text=True)
            said.append((response.status_code,
                         re.search(r'class="refusal"[^>]*>([^<]+)<', page).group(1)))
        return said

    def alike(said: list[tuple[int, str]]) -> list[tuple[int, str]]:
        # the wait counts down by the second: a slow machine may cross one between the two
        return [(status, re.sub(r"\d+ 秒", "N 秒", words)) for status, words in said]

    known, unknown = pages(staff), pages(f"n{uuid.uuid4().hex[:7]}")
    assert alike(known) == alike(unknown)
    assert [status for status, _ in known] == [401] * 6
    assert "用户名或密码错误" in known[0][1]
    held = re.search(r"(\d+) 秒后再试", known[5][1])
    assert held is not None and 25 <= int(held.group(1)) <= 30


def test_an_attackers_guesses_do_not_keep_the_owner_out_from_her_desk(console_app, staff):
    attacker = Browser(console_app, "203.0.113.9")
    for _ in range(25):
        attacker.sign_in(staff, "guess-password")
    assert attacker.sign_in(staff, PASSWORD).status_code == 401  # held, right password or not

    owner = Browser(console_app, "10.0.0.8")
    assert owner.sign_in(staff, PASSWORD).status_code == 302
    assert queue_page(owner).status_code == 200
