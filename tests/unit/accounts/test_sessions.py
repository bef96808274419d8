"""Console sessions that end (logout, an account's change, idle and absolute expiry), API
tokens that expire or only read, and the sign-in slow-down that tells nobody which usernames
exist and lets nobody keep the owner out. Through the entrypoints (worker_factory, a real
store on mongomock), with the clock the tests move."""
import datetime as dt

import pytest
from accounts_support import ADMIN, FIRST, KAICHEN, WANG, ZHANG, published
from bad_input import worker

from services.accounts import credentials, sessions
from services.accounts.service import AccountsService
from services.accounts.store import AccountStore
from services.shared import statements
from services.shared.errors import InvalidRequest, NotFound, NotPermitted

SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)
WRONG = "wrong username or password"
ENDED = "this session has ended: sign in again"



def start(service, who: dict = WANG, address: str = "10.0.0.8") -> dict:
    return service.start_session(who["username"], who["password"], address)


def ended_refusal(service, secret: str) -> str:
    with pytest.raises(NotPermitted) as caught:
        service.check_session(secret)
    return str(caught.value)


def session_events(service) -> list[dict]:
    return [{"by": event["actor"]["id"], **event["data"]}
            for event_type, event in published(service) if event_type == "session_ended"]


def refused(service, username: str, password: str, address: str | None) -> str:
    with pytest.raises(NotPermitted) as caught:
        service.start_session(username, password, address)
    return str(caught.value)


# Starting and checking a session
def test_a_session_gives_who_signed_in_and_the_store_keeps_only_its_hash(users, store):
    started = start(users)

    assert started["identity"]["id"] == "wang.li" and started["identity"]["read_only"] is False
    assert started["expires_at"] == "2026-11-23T13:00:00.000Z"  # 12 hours on
    checked = users.check_session(started["session"])
    assert statements.read(checked.pop("statement"))["session"] == started["session_id"]
    assert checked == {key: value for key, value in started["identity"].items()
                       if key != "statement"}
    [kept] = store.sessions.find()
    assert started["session"] not in repr(kept) and kept["hash"] == sessions.digest(
        started["session"])
    assert kept["_id"] == started["session_id"] and kept["address"] == "10.0.0.8"
    with pytest.raises(NotPermitted):
        users.check_session(started["session"][:-1] + "x")


def test_logout_ends_the_session_at_once_and_says_so_as_its_user(users, store):
    started = start(users)
    other = start(users, address="10.0.0.9")
    users.publisher.reset_mock()

    assert users.end_session(started["session"]) == {"session_ids": [started["session_id"]]}

    assert ended_refusal(users, started["session"]) == ENDED
    assert users.check_session(other["session"])["id"] == "wang.li"  # the other browser's
    assert session_events(users) == [{"by": "wang.li", "username": "wang.li",
                                      "session_ids": [started["session_id"]],
                                      "reason": "logout"}]
    assert users.end_session(started["session"]) == {"session_ids": []}  # once only
    assert started["session"] not in repr(published(users))


@pytest.mark.parametrize("changes, reason", [
    ({"active": False}, "deactivated"),
    ({"role": "dispatcher", "unit_id": "centre"}, "role_changed"),
    ({"unit_id": "grid-1"}, "unit_changed"),
    ({"district": "未央区"}, "district_changed"),
    ({"password": "set-by-admin-1"}, "password_changed"),
])
def test_an_admins_change_ends_every_session_of_the_account(users, store, changes, reason):
    first, second = start(users), start(users, address="10.0.0.9")
    zhang = start(users, ZHANG)
    users.publisher.reset_mock()

    users.update_user("wang.li", changes, ADMIN)

    assert ended_refusal(users, first["session"]) == ENDED
    assert ended_refusal(users, second["session"]) == ENDED
    assert users.check_session(zhang["session"])["id"] == "zhang.min"  # another account's
    [said] = session_events(users)
    assert said == {"by": ADMIN["id"], "username": "wang.li", "reason": reason,
                    "session_ids": [first["session_id"], second["session_id"]]}
    assert store.sessions.count_documents({"username": "wang.li"}) == 0


def test_a_new_name_or_a_reactivation_ends_nothing(users):
    started = start(users)
    users.update_user("wang.li", {"name": "王丽丽"}, ADMIN)
    assert users.check_session(started["session"])["name"] == "王丽丽"  # as it now is
    assert session_events(users) == []


def test_changing_ones_own_password_ends_ones_sessions(users):
    started = start(users)
    wang = {key: started["identity"][key] for key in ("id", "name", "role", "unit_id")}
    users.change_password("wang.li", WANG["password"], "kaichen-wang-2", wang)

    assert ended_refusal(users, started["session"]) == ENDED
    assert [event["reason"] for event in session_events(users)] == ["password_changed"]
    assert users.check_session(start(users, {**WANG, "password": "kaichen-wang-2"})[
        "session"])["id"] == "wang.li"


def test_a_session_started_before_a_change_is_over_even_if_not_yet_cleared(users, store):
    """The change moves the account's epoch in its own write: a session document left
    behind (a crash before the clearing) is refused all the same, and the sweep clears it."""
    started = start(users)
    store.change("wang.li", {"role": "dispatcher", "unit_id": "centre"}, ends_sessions=True)

    assert ended_refusal(users, started["session"]) == ENDED
    assert [event["reason"] for event in session_events(users)] == ["account_changed"]


# Idle and absolute expiry
def test_an_idle_session_ends_after_30_minutes_and_each_use_keeps_it(users, now):
    started = start(users)
    now.moment += 29 * MINUTE
    users.check_session(started["session"])  # used: 30 more minutes from here
    now.moment += 29 * MINUTE
    assert users.check_session(started["session"])["id"] == "wang.li"

    now.moment += 30 * MINUTE
    assert ended_refusal(users, started["session"]) == ENDED
    assert [(event["by"], event["reason"]) for event in session_events(users)] == [
        ("system", "idle")]


def test_a_session_in_use_ends_after_its_12_hour_lifetime(users, now):
    started = start(users)
    for _ in range(11 * 3 + 2):  # used every 20 minutes, up to 11 h 40 min
        now.moment += 20 * MINUTE
        users.check_session(started["session"])
    now.moment += 20 * MINUTE

    assert ended_refusal(users, started["session"]) == ENDED
    assert [event["reason"] for event in session_events(users)] == ["expired"]


def test_idle_time_and_lifetime_are_settings(database, dispatch, now):
    service, _ = worker(AccountsService, AccountStore, database, directory=dispatch,
                        config={"SESSIONS": {"idle_minutes": 5, "lifetime_hours": 1}})
    service.create_first_admin(FIRST)
    started = service.start_session(FIRST["username"], FIRST["password"], "10.0.0.1")
    assert started["expires_at"] == "2026-11-23T02:00:00.000Z"
    now.moment += 5 * MINUTE
    assert ended_refusal(service, started["session"]) == ENDED
    with pytest.raises(ValueError):
        sessions.rules_from({"idle_minutes": 0})


def test_the_sweep_clears_sessions_that_are_over_and_says_so(users, store, now):
    idle, kept = start(users), start(users, ZHANG)
    now.moment += 20 * MINUTE
    users.check_session(kept["session"])
    now.moment += 15 * MINUTE
    users.clear_ended_sessions()

    assert [found["_id"] for found in store.sessions.find()] == [kept["session_id"]]
    assert session_events(users) == [{"by": "system", "username": "wang.li",
                                      "session_ids": [idle["session_id"]], "reason": "idle"}]


# Listing and ending a user's sessions
def test_the_user_or_an_admin_lists_and_ends_sessions(users):
    first, second = start(users), start(users, address="10.0.0.9")
    wang = {key: first["identity"][key] for key in ("id", "name", "role", "unit_id")}

    listed = users.list_sessions("wang.li", wang)
    assert [row["session_id"] for row in listed] == [first["session_id"], second["session_id"]]
    assert [row["address"] for row in listed] == ["10.0.0.8", "10.0.0.9"]
    assert "hash" not in repr(listed) and first["session"] not in repr(listed)
    with pytest.raises(NotPermitted):
        users.list_sessions("wang.li", KAICHEN)
    with pytest.raises(NotPermitted):
        users.end_sessions("wang.li", KAICHEN)
    with pytest.raises(NotFound):
        users.end_sessions("wang.li", ADMIN, "0000000000000000")

    assert users.end_sessions("wang.li", wang, second["session_id"]) == {
        "session_ids": [second["session_id"]]}
    assert users.end_sessions("wang.li", ADMIN) == {"session_ids": [first["session_id"]]}
    assert ended_refusal(users, first["session"]) == ENDED
    assert users.list_sessions("wang.li", ADMIN) == []
    assert [(event["by"], event["reason"]) for event in session_events(users)] == [
        ("wang.li", "ended"), (ADMIN["id"], "ended")]


# API tokens: an expiry, and read-only
def test_a_token_expires_after_its_days(users, now):
    token = users.issue_token("wang.li", "一天", ADMIN, days=1)
    assert token["expires_at"] == "2026-11-24T01:00:00.000Z"
    now.moment += dt.timedelta(days=1) - SECOND
    assert users.authenticate_token(token["token"])["id"] == "wang.li"
    now.moment += SECOND

    with pytest.raises(NotPermitted) as caught:
        users.authenticate_token(token["token"])
    assert str(caught.value) == credentials.WRONG_TOKEN


def test_a_token_lives_90_days_by_default_and_365_at_most(users):
    assert users.issue_token("wang.li", "默认", ADMIN)["expires_at"] == "2027-02-21T01:00:00.000Z"
    assert users.issue_token("wang.li", "一年", ADMIN, days=365)["expires_at"] == (
        "2027-11-23T01:00:00.000Z")
    for days in (0, 366, -1, "30", 1.5):
        with pytest.raises(InvalidRequest) as caught:
            users.issue_token("wang.li", "太长", ADMIN, days=days)
        assert "days" in caught.value.errors


def test_a_token_issued_before_expiry_existed_lives_the_default_days(users, store, now):
    token = users.issue_token("wang.li", "旧令牌", ADMIN)
    store.users.update_one({"_id": "wang.li"}, {"$unset": {"tokens.0.expires_at": ""}})
    now.moment += dt.timedelta(days=90)
    with pytest.raises(NotPermitted):
        users.authenticate_token(token["token"])


def test_a_read_only_token_says_so_in_its_identity(users):
    reader = users.issue_token("wang.li", "只读报表", ADMIN, read_only=True)
    writer = users.issue_token("wang.li", "同步", ADMIN)

    assert reader["read_only"] is True
    assert users.authenticate_token(reader["token"])["read_only"] is True
    assert users.authenticate_token(writer["token"])["read_only"] is False
    assert [token["read_only"] for token in users.get_user("wang.li", ADMIN)["tokens"]] == [
        True, False]


# The sign-in slow-down
def test_unknown_and_known_usernames_are_answered_alike_after_the_same_work(users, now,
                                                                            monkeypatch):
    checks: list[str] = []
    real = credentials.password_matches
    monkeypatch.setattr(credentials, "password_matches",
                        lambda stored, password: checks.append(password) or real(stored,
                                                                                 password))

    def answers(username: str) -> list[str]:
        checks.clear()
        said = [refused(users, username, "guess-password", "10.0.0.66") for _ in range(7)]
        assert len(checks) == 5  # a password check each until held, then none
        return said

    known, unknown = answers("wang.li"), answers("nobody")

    assert known == unknown == [WRONG] * 5 + [
        "too many failed sign-ins: try again in 30 s"] * 2
    now.moment += 30 * SECOND
    assert refused(users, "nobody", "guess-password", "10.0.0.66") == WRONG


def test_an_attackers_guesses_do_not_keep_the_owner_out_from_another_address(users, now):
    for _ in range(30):
        refused(users, "wang.li", "guess-password", "203.0.113.9")
    assert refused(users, "wang.li", WANG["password"], "203.0.113.9").startswith(
        "too many failed sign-ins")  # the attacker's address is held, right password or not

    assert start(users, address="10.0.0.8")["identity"]["id"] == "wang.li"  # her desk


def test_many_addresses_guessing_one_username_hold_only_themselves_and_briefly(users, now):
    for attempt in range(40):  # 4 guesses each from 10 addresses: none of them held alone
        refused(users, "wang.li", "guess-password", f"198.51.100.{attempt % 10}")
    held = refused(users, "wang.li", "guess-password", "198.51.100.3")

    assert held.startswith("too many failed sign-ins") and int(held.split()[-2]) <= 120
    assert users.get_user("wang.li", ADMIN)["locked_until"] is not None
    assert start(users, address="10.0.0.8")["identity"]["id"] == "wang.li"
    now.moment += 2 * MINUTE  # the ceiling: after it, a right password gets in anywhere
    assert start(users, address="198.51.100.3")["identity"]["id"] == "wang.li"


def test_one_address_trying_many_usernames_is_held_for_all_of_them(users):
    for attempt in range(20):
        refused(users, f"user{attempt}", "guess-password", "192.0.2.7")
    assert refused(users, "wang.li", WANG["password"], "192.0.2.7").startswith(
        "too many failed sign-ins")
    assert start(users, address="10.0.0.8")["identity"]["id"] == "wang.li"


def test_a_right_password_starts_its_addresss_count_again_and_counts_are_forgotten(users, now,
                                                                                  store):
    for _ in range(4):
        refused(users, "wang.li", "guess-password", "10.0.0.8")
    start(users)
    for _ in range(4):
        refused(users, "wang.li", "guess-password", "10.0.0.8")
    assert refused(users, "wang.li", "guess-password", "10.0.0.8") == WRONG  # 4 + 1, not 9

    now.moment += dt.timedelta(hours=1)
    users.clear_ended_sessions()
    assert store.failures.count_documents({}) == 0
    assert refused(users, "wang.li", "guess-password", "10.0.0.8") == WRONG
