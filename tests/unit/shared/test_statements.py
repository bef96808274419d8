"""Signed statements of who acts: what accounts signs is read back as it was said; a
forged, altered, expired, over-long or revoked one, or a made-up dict, is refused."""
from __future__ import annotations

import base64
import datetime as dt
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.shared import clock, statements
from services.shared.errors import NotPermitted

GRID = {"id": "li", "name": "网格员李琳", "role": "unit_staff", "unit_id": "yinhang-grid-1",
        "district": "杨浦区"}


@pytest.fixture
def keys(tmp_path):
    private, _ = statements.new_key_pair(tmp_path, "k1")
    return statements.Signer(private), statements.Verifier.from_directory(tmp_path / "verify")


def test_what_accounts_signs_is_read_back(keys):
    signer, verifier = keys
    statement = signer.issue(GRID, session="s-1")
    assert verifier.read(statement) == {**GRID, "session": "s-1", "read_only": False}
    assert verifier.read(signer.issue(GRID, session=None, read_only=True))["read_only"]


def test_a_dict_is_not_an_actor(keys):
    with pytest.raises(NotPermitted, match="sign in"):
        keys[1].read(dict(GRID))


def test_a_statement_signed_by_another_key_is_refused(keys, tmp_path):
    _, verifier = keys
    forged = jwt.encode({"iss": "accounts", "sub": "admin", "role": "admin",
                         "iat": int(clock.now().timestamp()),
                         "exp": int(clock.now().timestamp()) + 60},
                        Ed25519PrivateKey.generate(), algorithm="EdDSA",
                        headers={"kid": "k1"})
    with pytest.raises(NotPermitted):
        verifier.read(forged)


def test_an_altered_statement_is_refused(keys):
    signer, verifier = keys
    head, body, signature = signer.issue(GRID, session="s-1").split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["role"] = "admin"
    altered = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(NotPermitted):
        verifier.read(f"{head}.{altered}.{signature}")


def test_unsigned_and_other_algorithms_are_refused(keys):
    _, verifier = keys
    none = jwt.encode({"iss": "accounts", "sub": "admin", "role": "admin"}, key=None,
                      algorithm="none", headers={"kid": "k1"})
    hmac = jwt.encode({"iss": "accounts", "sub": "admin", "role": "admin"}, "k1" * 16,
                      algorithm="HS256", headers={"kid": "k1"})
    for statement in (none, hmac, "", "not.a.statement", "\ud800", "a.\ud800.b"):
        with pytest.raises(NotPermitted):
            verifier.read(statement)


def test_a_statement_lives_five_minutes_at_most(keys, monkeypatch):
    signer, verifier = keys
    real_now = clock.now()
    # issued 5 minutes and 10 seconds ago, asking for an hour: it lived 5 minutes
    monkeypatch.setattr(clock, "now", lambda: real_now - dt.timedelta(minutes=5, seconds=10))
    statement = signer.issue(GRID, session="s-1", lifetime=dt.timedelta(hours=1))
    monkeypatch.undo()
    with pytest.raises(NotPermitted, match="expired"):
        verifier.read(statement)


def test_a_revoked_session_is_refused_at_once(keys):
    signer, verifier = keys
    revoked = statements.Revocations()
    statement = signer.issue(GRID, session="s-1")
    assert verifier.read(statement, revoked)["id"] == "li"
    revoked.end("s-1", clock.now())
    with pytest.raises(NotPermitted, match="ended"):
        verifier.read(statement, revoked)
    assert verifier.read(signer.issue(GRID, session="s-2"), revoked)["session"] == "s-2"


def test_a_users_statements_until_a_change_are_withdrawn_and_later_ones_stand(keys,
                                                                             monkeypatch):
    signer, verifier = keys
    revoked = statements.Revocations()
    before = signer.issue(GRID, session="token:t-1")  # a token's: no console session
    changed = clock.now()  # the change comes after it, never in the same instant before
    revoked.end_user("li", changed)
    with pytest.raises(NotPermitted, match="ended"):
        verifier.read(before, revoked)
    monkeypatch.setattr(clock, "now", lambda: changed + dt.timedelta(seconds=1))
    assert verifier.read(signer.issue(GRID, session="s-9"), revoked)["id"] == "li"


def said(event_type: str, **data) -> dict:
    from services.shared.events import new_event

    return new_event("accounts", event_type, data)


@pytest.mark.parametrize("event, sessions, user", [
    (said("session_ended", username="li", session_ids=["s-1"], reason="logout"), ["s-1"], None),
    (said("session_ended", username="li", session_ids=["s-1"], reason="idle"), ["s-1"], None),
    (said("session_ended", username="li", session_ids=["s-1", "s-2"], reason="deactivated"),
     ["s-1", "s-2"], "li"),
    (said("session_ended", username="li", session_ids=["s-1"], reason="password_changed"),
     ["s-1"], "li"),
    (said("account_changed", username="li", change="token_revoked", token_id="t-1"),
     ["token:t-1"], None),
    (said("account_changed", username="li", change="changed", fields=["role"]), [], "li"),
    # a statement names the district served: one bound anew withdraws the old ones
    (said("account_changed", username="li", change="changed", fields=["district"]), [], "li"),
    (said("account_changed", username="li", change="changed", fields=["active"],
          active=False), [], "li"),
    (said("account_changed", username="li", change="changed", fields=["name"]), [], None),
])
def test_what_each_accounts_event_withdraws(event, sessions, user):
    from services.shared import revocation

    assert revocation.withdrawn(event) == (sessions, user)


def test_a_withdrawal_heard_is_refused_by_this_process(keys, monkeypatch):
    from services.shared import revocation

    signer, verifier = keys
    monkeypatch.setattr(statements, "REVOKED", statements.Revocations())
    hear_ended, _ = revocation.handlers()
    statement = signer.issue(GRID, session="s-1")
    hear_ended(None, said("session_ended", username="li", session_ids=["s-1"],
                          reason="logout"))
    with pytest.raises(NotPermitted, match="ended"):
        verifier.read(statement, statements.REVOKED)


@pytest.mark.parametrize("event, kept", [
    (said("session_ended", username="li", session_ids=["s-1"], reason="logout"),
     {"session_ids": ["s-1"], "username": None}),
    (said("session_ended", username="li", session_ids=["s-1"], reason="deactivated"),
     {"session_ids": ["s-1"], "username": "li"}),
    (said("account_changed", username="li", change="token_revoked", token_id="t-1"),
     {"session_ids": ["token:t-1"], "username": None}),
    (said("account_changed", username="li", change="changed", fields=["unit_id"]),
     {"session_ids": [], "username": "li"}),
    (said("account_changed", username="li", change="changed", fields=["name"]), None),
    (said("account_changed", username="li", change="token_issued", token_id="t-2"), None),
])
def test_accounts_keeps_what_an_event_withdraws_and_when(event, kept):
    from services.shared import revocation

    expected = None if kept is None else {**kept, "at": clock.parse_iso(event["occurred_at"])}
    assert revocation.withdrawal(event) == expected


def recent(*withdrawals: dict) -> dict:
    """accounts' recent_withdrawals answer, as it comes over the wire."""
    return {"since": clock.iso(clock.now() - dt.timedelta(minutes=10)),
            "withdrawals": [{**each, "at": clock.iso(each["at"])} for each in withdrawals]}


def test_withdrawals_caught_up_at_start_are_refused_as_if_heard(keys, monkeypatch):
    from services.shared import revocation

    signer, verifier = keys
    monkeypatch.setattr(statements, "REVOKED", statements.Revocations())
    logged_out = signer.issue(GRID, session="s-1")
    other = signer.issue({**GRID, "id": "zhao"}, session="s-2")
    before_change = signer.issue({**GRID, "id": "wu"}, session="token:t-1")
    changed = clock.now()
    answer = recent({"at": changed, "session_ids": ["s-1"], "username": None},
                    {"at": changed, "session_ids": [], "username": "wu"})
    answer["withdrawals"][0]["said_by"] = "a newer accounts"  # read past what it adds

    assert revocation.refuse_recent(answer) == 2

    for statement in (logged_out, before_change):
        with pytest.raises(NotPermitted, match="ended"):
            verifier.read(statement, statements.REVOKED)
    assert verifier.read(other, statements.REVOKED)["id"] == "zhao"
    monkeypatch.setattr(clock, "now", lambda: changed + dt.timedelta(seconds=1))
    assert verifier.read(signer.issue({**GRID, "id": "wu"}, session="s-3"),
                         statements.REVOKED)["id"] == "wu"


def test_the_catch_up_asks_again_with_a_growing_pause_until_accounts_answers(keys,
                                                                            monkeypatch):
    from services.shared import revocation

    signer, verifier = keys
    monkeypatch.setattr(statements, "REVOKED", statements.Revocations())
    pauses: list[float] = []
    monkeypatch.setattr(revocation.eventlet, "sleep", pauses.append)
    answers = iter([ConnectionError("accounts is not running")] * 7 + [recent(
        {"at": clock.now(), "session_ids": ["s-1"], "username": None})])
    statement = signer.issue(GRID, session="s-1")

    def ask() -> dict:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert revocation.catch_up_with(ask, "dispatch") == 1
    assert pauses == [1, 2, 4, 8, 16, 30, 30]
    with pytest.raises(NotPermitted, match="ended"):
        verifier.read(statement, statements.REVOKED)
