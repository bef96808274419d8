"""Identity that cannot be forged, over the real broker with every part its own broker
user: no service believes an actor because its caller wrote it. Each forgery the issue
names is tried and refused, with nothing recorded; a statement accounts signed is taken;
an ended session's statement is refused within moments of the logout."""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from integration_support import eventually

from services.shared import clock, statements
from services.shared.errors import NotPermitted
from services.shared.schemas import SYSTEM_ACTOR

ADMIN = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
LAMP = {"channel": "hotline", "kind": "help", "category": "street_light", "merge": False,
        "caller": {"name": "王阿姨", "phone": "13812345678"}, "description": "路灯不亮",
        "address": {"district": "杨浦区", "subdistrict": "殷行街道",
                    "community": "国和居民区", "estate": "国和小区"}}
PASSWORD = "a-password-of-li-1"


@pytest.fixture
def accounts(rpc):
    """The first admin and a grid worker, made through accounts; their statements come
    from signing in, as the console's do."""
    rpc.accounts.create_first_admin({"username": "admin", "name": "系统管理员",
                                     "password": "a-password-of-admin-1"})
    admin = rpc.accounts.authenticate("admin", "a-password-of-admin-1")["statement"]
    rpc.accounts.create_user({"username": "li", "name": "网格员李琳", "role": "unit_staff",
                              "unit_id": "yinhang-grid-1", "password": PASSWORD}, admin)
    return {"admin": admin}


def forged_statement(actor: dict) -> str:
    """A statement in accounts' form, under the name of accounts' key, signed with a key
    accounts never had."""
    signer = object.__new__(statements.Signer)
    signer.key = Ed25519PrivateKey.generate()
    signer.kid = next(iter(statements.verifier().keys))
    return signer.issue(actor, session=None)


def test_an_actor_the_caller_wrote_is_refused_and_nothing_recorded(real_statements, rpc,
                                                                     accounts):
    with pytest.raises(NotPermitted, match="sign in"):  # the call centre "as an admin"
        rpc.intake.create_ticket(LAMP, ADMIN)
    with pytest.raises(NotPermitted, match="sign in"):  # the console "creating an admin"
        rpc.accounts.create_user({"username": "eve", "name": "eve", "role": "admin",
                                  "password": "eve-password-1"}, ADMIN)
    assert [user["username"] for user in rpc.accounts.list_users(accounts["admin"])] == [
        "admin", "li"]
    assert rpc.ledger.tickets(accounts["admin"]) == []


def test_a_statement_not_signed_by_accounts_or_too_old_is_refused(real_statements, rpc,
                                                                  accounts, monkeypatch):
    with pytest.raises(NotPermitted):
        rpc.dispatch.get_directory(forged_statement(ADMIN))
    now = clock.now()
    with monkeypatch.context() as then:
        then.setattr(clock, "now", lambda: now - dt.timedelta(minutes=6))
        old = statements.vouch(ADMIN)  # as accounts would have signed it six minutes ago
    with pytest.raises(NotPermitted, match="expired"):
        rpc.dispatch.get_directory(old)
    assert rpc.dispatch.get_directory(accounts["admin"])["units"]  # a live one is taken


def test_a_statement_of_an_ended_session_is_refused_within_moments(real_statements, rpc,
                                                                   accounts):
    started = rpc.accounts.start_session("li", PASSWORD)
    grid = started["identity"]["statement"]
    assert rpc.dispatch.queue("yinhang-grid-1", grid) == []
    rpc.accounts.end_session(started["session"])  # logout

    def refused() -> bool:
        try:
            rpc.dispatch.queue("yinhang-grid-1", grid)
        except NotPermitted:
            return True
        return False

    eventually(refused, timeout=2)  # every service heard accounts' session_ended


def test_a_deactivated_users_statements_are_refused_token_and_session_alike(
        real_statements, rpc, accounts):
    by_password = rpc.accounts.start_session("li", PASSWORD)["identity"]["statement"]
    issued = rpc.accounts.issue_token("li", "脚本", accounts["admin"])
    by_token = rpc.accounts.authenticate_token(issued["token"])["statement"]
    rpc.accounts.update_user("li", {"active": False}, accounts["admin"])

    def both_refused() -> bool:
        for statement in (by_password, by_token):
            try:
                rpc.register.find_residents(statement)
                return False
            except NotPermitted:
                continue
        return True

    eventually(both_refused, timeout=2)


def test_a_read_only_token_reads_and_changes_nothing(real_statements, rpc, accounts):
    issued = rpc.accounts.issue_token("li", "看板", accounts["admin"], read_only=True)
    reader = rpc.accounts.authenticate_token(issued["token"])["statement"]
    assert statements.read(reader)["read_only"] is True
    assert rpc.dispatch.queue("yinhang-grid-1", reader) == []
    with pytest.raises(NotPermitted, match="read-only"):
        rpc.register.add_resident({"name": "孙奶奶", "grid_unit_id": "yinhang-grid-1",
                                   "address": {"district": "杨浦区"}}, reader)
    admin_reader = rpc.accounts.authenticate_token(rpc.accounts.issue_token(
        "admin", "看板", accounts["admin"], read_only=True)["token"])["statement"]
    with pytest.raises(NotPermitted, match="read-only"):  # nor the directory, an admin's
        rpc.dispatch.put_unit({"id": "x-unit", "name": "x", "kind": "department"},
                              admin_reader)
    assert rpc.register.find_residents(accounts["admin"]) == []


def test_the_system_is_no_one_a_caller_can_claim_to_be(real_statements, rpc):
    with pytest.raises(NotPermitted):
        rpc.ledger.verify(SYSTEM_ACTOR)
