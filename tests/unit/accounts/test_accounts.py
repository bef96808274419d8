"""Accounts: who may sign in to the console, as what and for which unit, the sign-in
slow-down, and programs' API tokens. Through the entrypoints (worker_factory, a real store
on mongomock, dispatch's units as a stand-in answers get_unit, the clock the tests move),
and the rules where time is the point."""
import datetime as dt
import getpass
import importlib.util
import io
from types import SimpleNamespace

import pytest
from accounts_support import (
    ADMIN,
    DEPLOY,
    DISPATCHER,
    FIRST,
    KAICHEN,
    SUPERVISOR,
    WANG,
    ZHANG,
    actor,
    deployed_units,
    published,
)
from argon2 import PasswordHasher

from services.accounts import admin_cli as cli
from services.accounts import credentials, people, throttle
from services.shared import rpc_client, statements
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.schemas import PEOPLE_ROLES

SECOND = dt.timedelta(seconds=1)



def as_actor(identity: dict) -> dict:
    return {key: identity[key] for key in ("id", "name", "role", "unit_id")}


def signed_in(service, who: dict) -> dict:
    return as_actor(service.authenticate(who["username"], who["password"]))


def refused(service, username: str, password: str, address: str | None = None) -> str:
    with pytest.raises(NotPermitted) as caught:
        service.authenticate(username, password, address)
    return str(caught.value)


def keys_in(value) -> set:
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_in(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_in(item) for item in value)) if value else set()
    return set()


# Passwords
def test_a_password_is_kept_only_as_an_argon2id_hash_with_the_default_parameters(monkeypatch):
    monkeypatch.setattr(credentials, "HASHER", PasswordHasher())
    stored = credentials.hash_password("kaichen-wang-1")

    assert stored.startswith("$argon2id$") and "m=65536,t=3,p=4" in stored
    assert "kaichen-wang-1" not in stored
    assert credentials.password_matches(stored, "kaichen-wang-1")
    assert not credentials.password_matches(stored, "kaichen-wang-2")
    assert not credentials.password_matches("not a hash", "kaichen-wang-1")


def test_signing_in_gives_who_the_user_is_and_the_store_never_holds_the_password(users, store):
    identity = users.authenticate("wang.li", "kaichen-wang-1")
    statement = identity.pop("statement")

    assert identity == {"id": "wang.li", "username": "wang.li", "name": "王丽",
                        "role": "unit_staff", "unit_id": "kaichen", "unit_name": "凯晨物业",
                        "district": "杨浦区", "read_only": False}
    # accounts' signed statement of it: what every later RPC takes as its actor
    assert statements.read(statement) == {"id": "wang.li", "name": "王丽",
                                          "role": "unit_staff", "unit_id": "kaichen",
                                          "district": "杨浦区"}
    assert "kaichen-wang-1" not in repr(store.get("wang.li"))
    assert users.get_user("wang.li", ADMIN)["last_login_at"] == "2026-11-23T01:00:00.000Z"


def test_usernames_are_compared_without_case(service):
    service.create_first_admin({**FIRST, "username": "Admin.Li"})

    assert service.authenticate("ADMIN.LI", FIRST["password"])["id"] == "admin.li"


@pytest.mark.parametrize("password, message", [
    ("short1", "At least 8 characters, at most 1024."),
    ("LI.NA.WANG", "The password may not be the username."),
])
def test_the_password_policy_refuses_short_passwords_and_the_username(users, store, password,
                                                                       message):
    with pytest.raises(InvalidRequest) as caught:
        users.create_user({**WANG, "username": "li.na.wang", "password": password}, ADMIN)
    assert message in caught.value.errors["password"]
    with pytest.raises(InvalidRequest):
        users.update_user("zhang.min", {"password": "zhang.min"}, ADMIN)
    with pytest.raises(InvalidRequest):
        users.change_password("zhang.min", ZHANG["password"], "1234567", signed_in(users, ZHANG))
    assert [user["_id"] for user in store.all()] == ["admin", "wang.li", "zhang.min"]
    assert users.authenticate("zhang.min", ZHANG["password"])


def test_an_outdated_hash_is_renewed_at_sign_in(users, store, monkeypatch):
    old_hash = store.get("wang.li")["password_hash"]
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(credentials, "HASHER", stronger)

    users.authenticate("wang.li", "kaichen-wang-1")

    new_hash = store.get("wang.li")["password_hash"]
    assert new_hash != old_hash and not stronger.check_needs_rehash(new_hash)
    assert users.authenticate("wang.li", "kaichen-wang-1")["id"] == "wang.li"


# The same answer for an unknown user and a wrong password
def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(users, store):
    unknown = refused(users, "nobody", "kaichen-wang-1")
    wrong = refused(users, "wang.li", "kaichen-wang-2")
    malformed = refused(users, "no such user!", "kaichen-wang-1")

    assert unknown == wrong == malformed == "wrong username or password"
    assert store.get("nobody") is None


# Sign-in slow-down
def test_the_lock_doubles_from_30_seconds_after_five_failures_up_to_15_minutes():
    assert [throttle.PAIR.lock_for(failures) for failures in range(5)] == [None] * 5
    assert [throttle.PAIR.lock_for(failures).total_seconds() for failures in range(5, 12)] == [
        30, 60, 120, 240, 480, 900, 900]
    assert throttle.PAIR.lock_for(10_000) == dt.timedelta(minutes=15)
    # the username's hold, from every address, has a modest ceiling
    assert [throttle.USERNAME.lock_for(failures).total_seconds()
            for failures in range(10, 14)] == [30, 60, 120, 120]


def test_five_wrong_passwords_lock_the_account_for_30_seconds(users, now):
    for _ in range(4):
        refused(users, "wang.li", "wrong-password")
    assert users.authenticate("wang.li", "kaichen-wang-1")  # a success starts the count again
    for _ in range(5):
        assert refused(users, "wang.li", "wrong-password") == "wrong username or password"

    assert refused(users, "wang.li", "kaichen-wang-1") == (
        "too many failed sign-ins: try again in 30 s")
    now.moment += 20 * SECOND
    assert refused(users, "wang.li", "kaichen-wang-1").endswith("try again in 10 s")
    # one address held for one username: the username itself is not held (see throttle.py)
    assert users.get_user("wang.li", ADMIN)["locked_until"] is None
    now.moment += 10 * SECOND
    assert users.authenticate("wang.li", "kaichen-wang-1")["id"] == "wang.li"
    assert users.get_user("wang.li", ADMIN)["locked_until"] is None


def test_each_failure_after_the_fifth_doubles_the_lock(users, now):
    for _ in range(5):
        refused(users, "wang.li", "wrong-password")
    now.moment += 30 * SECOND
    refused(users, "wang.li", "wrong-password")

    assert refused(users, "wang.li", "kaichen-wang-1").endswith("try again in 60 s")
    now.moment += 60 * SECOND
    refused(users, "wang.li", "wrong-password")
    assert refused(users, "wang.li", "kaichen-wang-1").endswith("try again in 120 s")


def test_tries_while_locked_are_not_counted_and_an_admin_password_reset_lifts_the_lock(users,
                                                                                        now):
    for _ in range(5):
        refused(users, "wang.li", "wrong-password")
    for _ in range(10):
        refused(users, "wang.li", "wrong-password")
    now.moment += 30 * SECOND
    assert users.authenticate("wang.li", "kaichen-wang-1")  # still the 30 s lock, not longer

    for _ in range(5):
        refused(users, "wang.li", "wrong-password")
    users.update_user("wang.li", {"password": "kaichen-wang-new"}, ADMIN)
    assert users.authenticate("wang.li", "kaichen-wang-new")["id"] == "wang.li"


# Roles and units
@pytest.mark.parametrize("role, unit_id, error", [
    ("unit_staff", None, InvalidRequest),
    ("unit_staff", "no-such-unit", NotFound),
    ("unit_staff", "centre", InvalidRequest),
    ("dispatcher", "kaichen", InvalidRequest),
    ("agent", "grid-1", InvalidRequest),
    ("system", None, InvalidRequest),
])
def test_unit_staff_name_a_handling_unit_and_nobody_else_does(users, store, role, unit_id, error):
    with pytest.raises(error):
        users.create_user({**WANG, "username": "li.na", "role": role, "unit_id": unit_id}, ADMIN)
    assert store.get("li.na") is None


@pytest.mark.parametrize("role, unit_id", [
    ("agent", None), ("dispatcher", "centre"), ("supervisor", None), ("admin", "centre"),
    ("unit_staff", "grid-1"),
])
def test_each_role_may_be_given(users, role, unit_id):
    made = users.create_user({**WANG, "username": "li.na", "role": role, "unit_id": unit_id},
                             ADMIN)
    assert (made["role"], made["unit_id"]) == (role, unit_id)
    assert users.authenticate("li.na", WANG["password"])["role"] == role


def test_a_role_change_must_bring_a_fitting_unit(users, store):
    with pytest.raises(InvalidRequest):
        users.update_user("wang.li", {"role": "supervisor"}, ADMIN)
    assert store.get("wang.li")["role"] == "unit_staff"

    moved = users.update_user("wang.li", {"role": "supervisor", "unit_id": None}, ADMIN)
    assert (moved["role"], moved["unit_id"], moved["unit_name"]) == ("supervisor", None, None)
    assert users.update_user("wang.li", {"role": "unit_staff", "unit_id": "grid-1"}, ADMIN)[
        "unit_name"] == "殷行街道第一网格工作站"


def test_staff_of_a_unit_gone_from_the_directory_can_still_be_deactivated(users, dispatch):
    dispatch.units.pop("kaichen")

    assert users.update_user("wang.li", {"active": False}, ADMIN)["active"] is False
    with pytest.raises(NotFound):
        users.update_user("wang.li", {"unit_id": "kaichen"}, ADMIN)


def test_the_unit_name_is_dispatchs_as_it_stands_at_sign_in(users, dispatch):
    dispatch.units["kaichen"]["name"] = "凯晨物业管理有限公司"  # renamed in the directory

    assert users.authenticate("wang.li", WANG["password"])["unit_name"] == "凯晨物业管理有限公司"
    asked = dispatch.asked
    assert users.authenticate("admin", FIRST["password"])["unit_name"] is None
    assert dispatch.asked == asked  # no unit, nothing to ask


def test_a_taken_username_is_refused(users, store):
    before = store.get("wang.li")
    with pytest.raises(IllegalTransition):
        users.create_user({**WANG, "name": "另一个王丽", "password": "another-pass"}, ADMIN)
    assert store.get("wang.li") == before


# Admin only
@pytest.mark.parametrize("other", [
    DISPATCHER, SUPERVISOR, KAICHEN, actor("agent"), actor("system"),
])
def test_only_an_admin_manages_accounts(users, store, other):
    before = store.all()
    attempts = [
        lambda: users.create_user({**WANG, "username": "li.na"}, other),
        lambda: users.update_user("wang.li", {"active": False}, other),
        lambda: users.update_user("admin", {"password": "taken-over-1"}, other),
        lambda: users.list_users(other),
        lambda: users.get_user("wang.li", other),
        lambda: users.issue_token("admin", "mine now", other),
    ]
    for attempt in attempts:
        with pytest.raises(NotPermitted):
            attempt()
    assert store.all() == before


def test_users_read_their_own_account_and_no_answer_holds_a_hash(users):
    wang = signed_in(users, WANG)
    users.issue_token("wang.li", "工单同步脚本", wang)

    own = users.get_user("wang.li", wang)
    listed = users.list_users(ADMIN)

    assert own["username"] == "wang.li" and own["active"] is True
    assert [user["username"] for user in listed] == ["admin", "wang.li", "zhang.min"]
    for answer in (own, listed):
        assert not keys_in(answer) & {"password_hash", "hash", "token", "password", "_id"}
    with pytest.raises(NotPermitted):
        users.get_user("zhang.min", wang)
    with pytest.raises(NotFound):
        users.get_user("nobody", ADMIN)


def test_the_last_active_admin_may_be_neither_demoted_nor_deactivated(users, store):
    for change in ({"active": False}, {"role": "supervisor"}):
        with pytest.raises(IllegalTransition):
            users.update_user("admin", change, ADMIN)
    assert store.get("admin")["active"] is True

    users.update_user("zhang.min", {"role": "admin"}, ADMIN)
    assert users.update_user("admin", {"active": False}, ADMIN)["active"] is False


# Changing one's password
def test_users_change_their_own_password_knowing_the_old_one(users):
    zhang = signed_in(users, ZHANG)
    with pytest.raises(NotPermitted):
        users.change_password("wang.li", WANG["password"], "by-zhang-123", zhang)
    with pytest.raises(NotPermitted) as caught:
        users.change_password("zhang.min", "not-the-old-one", "centre-zhang-2", zhang)
    assert str(caught.value) == "the old password is wrong"

    users.change_password("zhang.min", ZHANG["password"], "centre-zhang-2", zhang)

    assert refused(users, "zhang.min", ZHANG["password"]) == "wrong username or password"
    assert users.authenticate("zhang.min", "centre-zhang-2")["id"] == "zhang.min"
    assert users.authenticate("wang.li", WANG["password"])["id"] == "wang.li"


# API tokens
def test_a_token_is_shown_once_kept_as_a_hash_and_authenticates_its_user(users, store):
    issued = users.issue_token("wang.li", "工单同步脚本", signed_in(users, WANG))

    assert issued["token"].startswith(f"hlt_{issued['token_id']}_")
    assert len(issued["token"]) > 40 and issued["name"] == "工单同步脚本"
    assert issued["token"] not in repr(store.get("wang.li"))
    by_token = users.authenticate_token(issued["token"])
    by_password = users.authenticate("wang.li", WANG["password"])
    assert statements.read(by_token.pop("statement"))["session"] == \
        f"token:{issued['token_id']}"  # revoking the token withdraws it
    assert by_token == {key: value for key, value in by_password.items()
                        if key != "statement"}
    [listed] = users.get_user("wang.li", ADMIN)["tokens"]
    assert listed == {"token_id": issued["token_id"], "name": "工单同步脚本",
                      "created_at": issued["created_at"],
                      "last_used_at": "2026-11-23T01:00:00.000Z",
                      "expires_at": "2027-02-21T01:00:00.000Z", "read_only": False}


def test_a_wrong_or_malformed_token_is_refused_alike(users):
    token = users.issue_token("wang.li", "脚本", ADMIN)["token"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    for attempt in (forged, "hlt_0000000000000000_" + token.split("_", 2)[2], "hlt_x", "nonsense"):
        with pytest.raises(NotPermitted) as caught:
            users.authenticate_token(attempt)
        assert str(caught.value) == "invalid, revoked or expired token"


def test_a_revoked_token_authenticates_no_more(users):
    wang = signed_in(users, WANG)
    kept = users.issue_token("wang.li", "保留", wang)
    revoked = users.issue_token("wang.li", "撤销", wang)

    account = users.revoke_token("wang.li", revoked["token_id"], wang)

    assert [token["name"] for token in account["tokens"]] == ["保留"]
    with pytest.raises(NotPermitted):
        users.authenticate_token(revoked["token"])
    assert users.authenticate_token(kept["token"])["id"] == "wang.li"
    with pytest.raises(NotFound):
        users.revoke_token("wang.li", revoked["token_id"], wang)


def test_tokens_are_issued_and_revoked_by_an_admin_or_the_user_only(users, store):
    token = users.issue_token("wang.li", "脚本", ADMIN)
    zhang = signed_in(users, ZHANG)
    with pytest.raises(NotPermitted):
        users.issue_token("wang.li", "借用", zhang)
    with pytest.raises(NotPermitted):
        users.revoke_token("wang.li", token["token_id"], zhang)
    assert len(store.get("wang.li")["tokens"]) == 1


def test_a_user_holds_at_most_twenty_tokens(users):
    for number in range(credentials.MAX_TOKENS):
        users.issue_token("wang.li", f"脚本{number}", ADMIN)
    with pytest.raises(IllegalTransition):
        users.issue_token("wang.li", "one too many", ADMIN)


# Deactivated users
def test_a_deactivated_user_signs_in_neither_by_password_nor_by_token(users):
    token = users.issue_token("wang.li", "脚本", ADMIN)["token"]
    users.update_user("wang.li", {"active": False}, ADMIN)

    assert refused(users, "wang.li", WANG["password"]) == people.DEACTIVATED
    assert users.get_user("wang.li", ADMIN)["last_login_at"] is None
    assert refused(users, "wang.li", "wrong-password") == "wrong username or password"
    with pytest.raises(NotPermitted):
        users.authenticate_token(token)
    with pytest.raises(IllegalTransition):
        users.issue_token("wang.li", "再来一个", ADMIN)

    users.update_user("wang.li", {"active": True}, ADMIN)
    assert users.authenticate_token(token)["id"] == "wang.li"


# The first admin
def test_the_first_admin_is_made_once_only(service, store):
    made = service.create_first_admin(FIRST)
    assert (made["username"], made["role"], made["unit_id"]) == ("admin", "admin", None)

    with pytest.raises(IllegalTransition):
        service.create_first_admin({**FIRST, "username": "admin2"})
    assert [user["_id"] for user in store.all()] == ["admin"]
    assert service.authenticate("admin", FIRST["password"])["role"] == "admin"


def test_the_first_admin_mark_stops_a_second_even_when_both_checked_at_once(service, store):
    service.create_first_admin(FIRST)
    store.admin_exists = lambda: False  # as if the second call read before the first wrote

    with pytest.raises(IllegalTransition):
        service.create_first_admin({**FIRST, "username": "admin2"})
    assert store.get("admin2") is None


def test_bad_input_is_refused_field_by_field(service, store):
    with pytest.raises(InvalidRequest) as caught:
        service.create_first_admin({"username": "x y", "name": "", "password": "",
                                    "role": "admin"})
    assert set(caught.value.errors) == {"username", "name", "password", "role"}
    with pytest.raises(InvalidRequest):
        service.update_user("admin", {}, ADMIN)
    assert store.all() == []


# What is said of accounts: account_changed, for the ledger
def account_changes(service) -> list[dict]:
    """The account_changed events published so far: the envelope's actor id and the data."""
    return [{"by": event["actor"]["id"], **event["data"]}
            for event_type, event in published(service) if event_type == "account_changed"]


def said_nothing_secret(service, *secrets: str) -> None:
    said = repr(published(service))
    for secret in secrets:
        assert secret not in said
    assert "$argon2" not in said and not keys_in([e for _, e in published(service)]) & {
        "password", "password_hash", "hash", "token"}


def test_every_account_change_is_said_with_who_made_it_and_no_secret(service, store):
    service.create_first_admin(FIRST)
    service.create_user(WANG, ADMIN)
    service.update_user("wang.li", {"role": "dispatcher", "unit_id": "centre", "name": "王丽"},
                        ADMIN)  # the name is the same: only role and unit changed
    service.update_user("wang.li", {"password": "reset-by-admin-1"}, ADMIN)
    wang = signed_in(service, {"username": "wang.li", "password": "reset-by-admin-1"})
    service.change_password("wang.li", "reset-by-admin-1", "wang-chosen-2", wang)
    issued = service.issue_token("wang.li", "工单同步脚本", wang)
    service.revoke_token("wang.li", issued["token_id"], ADMIN)
    service.update_user("wang.li", {"active": False}, ADMIN)

    def change(by, what, fields, role="dispatcher", unit_id="centre", token_id=None,
               username="wang.li", active=True):
        return {"by": by, "username": username, "change": what, "role": role,
                "unit_id": unit_id, "fields": fields, "token_id": token_id, "active": active}

    assert account_changes(service) == [
        change("system", "created", ["name", "role", "unit_id", "password"], role="admin",
               unit_id=None, username="admin"),
        change(ADMIN["id"], "created", ["name", "role", "unit_id", "password"],
               role="unit_staff", unit_id="kaichen"),
        change(ADMIN["id"], "changed", ["role", "unit_id"]),
        change(ADMIN["id"], "password_changed", ["password"]),
        change("wang.li", "password_changed", ["password"]),
        change("wang.li", "token_issued", ["tokens"], token_id=issued["token_id"]),
        change(ADMIN["id"], "token_revoked", ["tokens"], token_id=issued["token_id"]),
        change(ADMIN["id"], "changed", ["active"], active=False),
    ]
    assert {event["source"] for _, event in published(service)} == {"accounts"}
    said_nothing_secret(service, FIRST["password"], WANG["password"], "reset-by-admin-1",
                        "wang-chosen-2", issued["token"], issued["token"].split("_", 2)[2])
    assert all(not user["outbox"] for user in store.all())  # all of it published


def test_a_refused_or_empty_change_says_nothing(users):
    users.publisher.reset_mock()
    with pytest.raises(NotPermitted):
        users.update_user("wang.li", {"active": False}, DISPATCHER)
    with pytest.raises(IllegalTransition):
        users.update_user("admin", {"active": False}, ADMIN)
    with pytest.raises(IllegalTransition):
        users.create_user(WANG, ADMIN)
    with pytest.raises(NotFound):
        users.revoke_token("wang.li", "0000000000000000", ADMIN)
    users.update_user("wang.li", {"name": WANG["name"], "active": True}, ADMIN)  # as it was
    users.authenticate("wang.li", WANG["password"])

    assert published(users) == []


def test_an_account_locked_by_failed_sign_ins_is_said_once_per_lock_as_the_system(users, now):
    users.publisher.reset_mock()
    for attempt in range(9):  # from nine addresses: none of them held, the username not yet
        refused(users, "wang.li", "wrong-password", f"10.0.0.{attempt}")
    assert account_changes(users) == []

    refused(users, "wang.li", "wrong-password", "10.0.0.9")  # the tenth: the username held
    for _ in range(3):  # tries while held are not counted, and hold nothing more
        refused(users, "wang.li", "wrong-password", "10.0.0.9")
    now.moment += 30 * SECOND
    refused(users, "wang.li", "wrong-password", "10.0.0.9")  # the eleventh: held again, longer

    locked = {"by": "system", "username": "wang.li", "change": "locked", "role": "unit_staff",
              "unit_id": "kaichen", "fields": ["locked_until"], "token_id": None,
              "active": True}
    assert account_changes(users) == [locked, locked]
    said_nothing_secret(users, "wrong-password", WANG["password"])


def test_an_account_change_waits_in_the_users_outbox_while_the_broker_is_away(users, store,
                                                                               now):
    users.publisher.reset_mock()
    users.publisher.side_effect = ConnectionError("broker away")
    assert users.update_user("wang.li", {"active": False}, ADMIN)["active"] is False
    assert [event["data"]["change"] for event in store.get("wang.li")["outbox"]] == [
        "changed"]

    users.publisher.side_effect = None
    users.publisher.reset_mock()  # forget the failed try
    users.publish_outbox()  # too fresh: left to the request that wrote it
    assert account_changes(users) == []
    now.moment += 3 * SECOND
    users.publish_outbox()
    assert [change["fields"] for change in account_changes(users)] == [["active"]]
    assert store.get("wang.li")["outbox"] == []


# The demo logins of `make run`
def test_the_demo_logins_are_made_through_the_rpcs_once(service, dispatch):
    spec = importlib.util.spec_from_file_location("demo_load", DEPLOY / "demo" / "load.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    dispatch.units = {unit["id"]: unit for unit in deployed_units()}
    rpc = SimpleNamespace(accounts=service)
    logins = demo.load_users(rpc)
    service.update_user("kaichen", {"name": "凯晨物业 王丽丽"}, ADMIN)

    assert demo.load_users(rpc) == logins  # a second load leaves every account alone
    assert service.get_user("kaichen", ADMIN)["name"] == "凯晨物业 王丽丽"
    roles = {login["username"]: (login["role"], login["unit_id"]) for login in logins}
    assert {role for role, _ in roles.values()} == set(PEOPLE_ROLES)
    assert {unit for role, unit in roles.values() if role == "unit_staff"} == {
        "yinhang-grid-1", "kaichen-property", "taihualu-veterans"}
    for login in logins:
        assert service.authenticate(login["username"], login["password"])["role"] == login["role"]
    assert "demo-admin-12345" in [login["password"] for login in logins]


# hotline-admin create-admin
@pytest.fixture
def admin_cli(service, monkeypatch):
    """The command line, its RPC proxy reaching this test's service."""
    class Proxy:
        def __init__(self, config, timeout=None):
            pass

        def __enter__(self):
            return SimpleNamespace(accounts=service)

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(rpc_client, "ExpiringRpcProxy", Proxy)
    return lambda *argv: cli.main(["create-admin", "--username", "admin", "--name", "系统管理员",
                                   *argv])


def test_hotline_admin_makes_the_first_admin_with_a_password_typed_twice(admin_cli, service,
                                                                          monkeypatch, capsys):
    typed = iter(["first-admin-pass", "first-admin-typo"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(typed))
    with pytest.raises(SystemExit):
        admin_cli()
    typed = iter(["first-admin-pass"] * 2)

    assert admin_cli() == 0
    assert service.authenticate("admin", "first-admin-pass")["role"] == "admin"
    assert "admin admin (系统管理员) created" in capsys.readouterr().out


def test_hotline_admin_reads_stdin_and_says_why_it_refuses(admin_cli, service, monkeypatch,
                                                           capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert admin_cli("--password-stdin") == 2
    assert "At least 8 characters." in capsys.readouterr().err

    monkeypatch.setattr("sys.stdin", io.StringIO("first-admin-pass\n"))
    assert admin_cli("--password-stdin") == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("second-admin-pass\n"))
    assert admin_cli("--password-stdin") == 2
    assert "an admin exists already" in capsys.readouterr().err
    assert service.authenticate("admin", "first-admin-pass")["id"] == "admin"


def test_the_statement_names_the_district_an_account_serves(users):
    users.create_user({"username": "wy.chen", "name": "未央区派单员", "role": "dispatcher",
                       "unit_id": "centre", "district": "未央区",
                       "password": "weiyang-chen-1"}, ADMIN)
    centre = users.authenticate("wy.chen", "weiyang-chen-1")
    assert statements.read(centre["statement"])["district"] == "未央区"
    unit = users.authenticate("wang.li", "kaichen-wang-1")  # unit staff: their unit's
    assert statements.read(unit["statement"])["district"] == "杨浦区"


# Programs: the call centre's software and the callback workers, under accounts of their own

DIALER = {"username": "callback-worker", "name": "自动回访外呼", "role": "callback_worker"}


def test_a_program_gets_an_account_without_a_password_and_signs_in_with_its_token(users):
    created = users.create_user(DIALER, ADMIN)
    assert (created["role"], created["unit_id"]) == ("callback_worker", None)
    token = users.issue_token("callback-worker", "外呼机器人", ADMIN)["token"]

    me = users.authenticate_token(token)

    assert (me["id"], me["role"], me["name"]) == ("callback-worker", "callback_worker",
                                                  "自动回访外呼")
    assert statements.read(me["statement"])["role"] == "callback_worker"


def test_a_program_never_signs_in_with_a_password(users, store):
    users.create_user(DIALER, ADMIN)
    # whatever the secret it was given, a password never opens a program's account
    secret = "an-admin-set-this-1"
    users.update_user("callback-worker", {"password": secret}, ADMIN)
    for sign_in in (users.authenticate, users.start_session):
        with pytest.raises(NotPermitted, match="program's: it signs in with its API token"):
            sign_in("callback-worker", secret)
    assert store.sessions.count_documents({}) == 0


def test_a_program_is_given_no_password_and_a_person_always_one(users):
    with pytest.raises(InvalidRequest) as program:
        users.create_user({**DIALER, "password": "dialer-pass-1"}, ADMIN)
    with pytest.raises(InvalidRequest) as person:
        users.create_user({"username": "li.na", "name": "李娜", "role": "agent"}, ADMIN)
    assert set(program.value.errors) == set(person.value.errors) == {"password"}
    with pytest.raises(NotFound):
        users.get_user("callback-worker", ADMIN)


def test_an_account_stays_a_persons_or_a_programs(users):
    users.create_user(DIALER, ADMIN)
    with pytest.raises(InvalidRequest, match="make a new account"):
        users.update_user("callback-worker", {"role": "admin"}, ADMIN)
    with pytest.raises(InvalidRequest, match="make a new account"):
        users.update_user(WANG["username"], {"role": "call_centre", "unit_id": None}, ADMIN)
    assert users.get_user("callback-worker", ADMIN)["role"] == "callback_worker"


def test_an_admin_binds_an_account_to_a_district_and_the_next_statement_says_so(users):
    users.update_user(ZHANG["username"], {"district": "未央区"}, ADMIN)
    assert users.get_user(ZHANG["username"], ADMIN)["district"] == "未央区"
    me = users.authenticate(ZHANG["username"], ZHANG["password"])
    assert me["district"] == statements.read(me["statement"])["district"] == "未央区"

    users.update_user(ZHANG["username"], {"district": None}, ADMIN)  # every district again
    assert users.authenticate(ZHANG["username"], ZHANG["password"])["district"] is None
