"""What accounts withdrew, kept for the service copies that start later: every logout,
ended session, revoked token and changed account is answered by ``recent_withdrawals``
for 10 minutes, kept before any copy could hear of it, never a secret. Through the
entrypoints (worker_factory, a real store on mongomock), with the clock the tests move."""
import datetime as dt

import pytest
from accounts_support import ADMIN, FIRST, START, WANG, ZHANG

from services.shared import clock

SECOND, MINUTE = dt.timedelta(seconds=1), dt.timedelta(minutes=1)


@pytest.fixture
def users(service, now):
    """Three accounts, made a minute before the stories begin (making an account says its
    role, unit and password changed from nothing: kept as a withdrawal of the user too)."""
    now.moment -= MINUTE
    service.create_first_admin(FIRST)
    service.create_user(WANG, ADMIN)
    service.create_user(ZHANG, ADMIN)
    now.moment += MINUTE
    return service


def start(service, who: dict = WANG) -> dict:
    return service.start_session(who["username"], who["password"], "10.0.0.8")


def withdrawn_since_start(service) -> list[dict]:
    return [kept for kept in service.recent_withdrawals()["withdrawals"]
            if kept["at"] >= clock.iso(START)]


def test_every_withdrawal_is_answered_to_a_copy_that_starts_and_nothing_else(users, now):
    logged_out, ended = start(users), start(users)
    users.end_session(logged_out["session"])
    now.moment += SECOND
    token = users.issue_token("wang.li", "脚本", ADMIN)
    users.revoke_token("wang.li", token["token_id"], ADMIN)
    users.update_user("wang.li", {"name": "王丽丽"}, ADMIN)  # withdraws nothing
    now.moment += SECOND
    users.update_user("wang.li", {"unit_id": "grid-1"}, ADMIN)

    answer = users.recent_withdrawals()

    assert answer["since"] == clock.iso(START + 2 * SECOND - 10 * MINUTE)
    since_start = [kept for kept in answer["withdrawals"] if kept["at"] >= clock.iso(START)]
    assert since_start[:2] == [
        {"at": clock.iso(START), "session_ids": [logged_out["session_id"]], "username": None},
        {"at": clock.iso(START + SECOND), "session_ids": [f"token:{token['token_id']}"],
         "username": None}]
    # the unit changed (account_changed), and so the session ended (session_ended): one
    # change said twice, at one moment, answered in either order
    changed = clock.iso(START + 2 * SECOND)
    assert sorted(since_start[2:], key=lambda kept: kept["session_ids"]) == [
        {"at": changed, "session_ids": [], "username": "wang.li"},
        {"at": changed, "session_ids": [ended["session_id"]], "username": "wang.li"}]
    for secret in (logged_out["session"], ended["session"], token["token"]):
        assert secret not in repr(answer) and secret not in repr(
            list(users.store.withdrawals.find()))


def test_a_withdrawal_is_kept_before_any_copy_hears_of_it_and_kept_once(users, now):
    users.publisher.side_effect = ConnectionError("broker away")
    users.update_user("zhang.min", {"active": False}, ADMIN)
    kept = [{"at": clock.iso(START), "session_ids": [], "username": "zhang.min"}]
    assert withdrawn_since_start(users) == kept  # though not yet said

    users.publisher.side_effect = None
    users.publisher.reset_mock()
    now.moment += 3 * SECOND
    users.publish_outbox()  # said now, by the sweep: kept again, as the same one
    assert [call.args[1]["data"]["fields"] for call in users.publisher.call_args_list] == [
        ["active"]]
    assert withdrawn_since_start(users) == kept


def test_withdrawals_are_answered_for_10_minutes_and_then_cleared_away(users, store, now):
    users.end_session(start(users)["session"])
    now.moment += 9 * MINUTE
    zhang = start(users, ZHANG)
    users.end_session(zhang["session"])
    users.clear_ended_sessions()
    assert len(withdrawn_since_start(users)) == 2

    now.moment += 2 * MINUTE  # the first is 11 minutes old: no statement it names lives
    assert users.recent_withdrawals()["withdrawals"] == [
        {"at": clock.iso(START + 9 * MINUTE), "session_ids": [zhang["session_id"]],
         "username": None}]
    users.clear_ended_sessions()
    assert [kept["session_ids"] for kept in store.withdrawals.find()] == [
        [zhang["session_id"]]]
