"""Account changes and ended console sessions in the accounts service reach the ledger over
RabbitMQ, with who made them."""
from __future__ import annotations

from integration_support import eventually

from services.shared.errors import NotPermitted
from services.shared.schemas import SYSTEM_ACTOR

WANG = {"username": "wang.li", "name": "王丽", "role": "unit_staff",
        "unit_id": "kaichen-property", "password": "kaichen-wang-1"}


def account_feed(rpc) -> list[dict]:
    return sorted((item for item in rpc.ledger.recent(SYSTEM_ACTOR, 50)
                   if item["event_type"] == "account_changed"),
                  key=lambda item: item["occurred_at"])


def test_account_changes_and_a_lock_are_recorded_in_the_ledger(rpc):
    rpc.accounts.create_first_admin({"username": "admin", "name": "系统管理员",
                                     "password": "first-admin-pass"})
    admin = {key: value for key, value in rpc.accounts.authenticate(
        "admin", "first-admin-pass").items() if key in ("id", "name", "role", "unit_id")}
    rpc.accounts.create_user(WANG, admin)
    token = rpc.accounts.issue_token("wang.li", "工单同步脚本", admin)
    for attempt in range(10):  # from ten addresses: the tenth holds the username
        try:
            rpc.accounts.authenticate("wang.li", "wrong-password", f"10.0.0.{attempt}")
        except NotPermitted:
            pass

    feed = eventually(lambda: len(account_feed(rpc)) == 4 and account_feed(rpc))

    assert [(item["actor"]["id"], item["summary"]) for item in feed] == [
        ("system", "新建账号 admin (管理员)"),
        ("admin", "新建账号 wang.li (承办单位人员)"),
        ("admin", f"为账号 wang.li 签发 API 令牌 {token['token_id']}"),
        ("system", "账号 wang.li 登录失败次数过多, 已临时锁定"),
    ]
    recorded = repr(feed)
    for secret in ("first-admin-pass", WANG["password"], "wrong-password", token["token"]):
        assert secret not in recorded


def test_sessions_ended_by_a_deactivation_are_recorded_with_their_ids(rpc):
    rpc.accounts.create_first_admin({"username": "admin", "name": "系统管理员",
                                     "password": "first-admin-pass"})
    admin = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
    rpc.accounts.create_user(WANG, admin)
    started = rpc.accounts.start_session("wang.li", WANG["password"], "10.0.0.8")
    rpc.accounts.update_user("wang.li", {"active": False}, admin)

    [ended] = eventually(lambda: [item for item in rpc.ledger.recent(SYSTEM_ACTOR, 50)
                                  if item["event_type"] == "session_ended"])
    assert ended["actor"]["id"] == "admin"
    assert ended["data"] == {"username": "wang.li", "session_ids": [started["session_id"]],
                             "reason": "deactivated"}
    assert ended["summary"] == "账号 wang.li 的 1 个登录会话已结束: 账号已停用"
    assert started["session"] not in repr(ended)
