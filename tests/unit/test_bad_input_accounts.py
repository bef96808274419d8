"""Generated bad input at every accounts RPC: only documented errors, nothing stored, no
event sent, and accounts still serves a valid call afterwards (bad_input.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "accounts"))
from accounts_support import (  # noqa: E402
    ADMIN,
    CHEAP,
    DISPATCHER,
    FIRST,
    KAICHEN,
    START,
    SUPERVISOR,
    UNITS,
    WANG,
    Dispatch,
)
from bad_input import Served, assert_refused, rpc_tests, worker  # noqa: E402

from services.accounts import credentials  # noqa: E402
from services.accounts.service import AccountsService  # noqa: E402
from services.accounts.store import AccountStore  # noqa: E402
from services.shared import clock  # noqa: E402

ACTORS = st.sampled_from([ADMIN, DISPATCHER, SUPERVISOR, KAICHEN])
VALID = {
    "parked_count": {"actor": ACTORS},
    "authenticate": {"username": "wang.li", "password": st.sampled_from(["kaichen-wang-1", "x"]),
                     "address": "10.0.0.1"},
    "start_session": {"username": "wang.li", "password": st.sampled_from(["kaichen-wang-1",
                                                                          "x"]),
                      "address": "10.0.0.1"},
    "check_session": {"session": "no-such-session-secret"},
    "end_session": {"session": "no-such-session-secret"},
    "list_sessions": {"username": "wang.li", "actor": ACTORS},
    "end_sessions": {"username": "wang.li", "actor": ACTORS, "session_id": None},
    "authenticate_token": {"token": "htk_0123456789abcdef.secret"},
    "create_first_admin": {"user": {"username": "admin2", "name": "管理员",
                                    "password": "admin-pass-2"}},
    "create_user": {"user": {**WANG, "username": "li.na"}, "actor": ACTORS},
    "update_user": {"username": "wang.li", "changes": {"name": "王丽丽"}, "actor": ACTORS},
    "list_users": {"actor": ACTORS},
    "get_user": {"username": "wang.li", "actor": ACTORS},
    "change_password": {"username": "wang.li", "old_password": "kaichen-wang-1",
                        "new_password": "kaichen-wang-2", "actor": ACTORS},
    "issue_token": {"username": "wang.li", "name": "呼叫中心集成", "actor": ACTORS,
                    "days": st.sampled_from([1, 90, 365]), "read_only": st.booleans()},
    "revoke_token": {"username": "wang.li", "token_id": "0123456789abcdef", "actor": ACTORS},
    "recent_withdrawals": {},
    "colleagues": {"unit_id": st.sampled_from(["kaichen", "grid-1", "centre", "nowhere"]),
                   "actor": ACTORS},
    "save_view": {"actor": ACTORS, "name": st.sampled_from(["已结案路灯", "本周"]),
                  "filters": st.sampled_from([{}, {"state": "closed", "words": "路灯"}])},
    "views": {"actor": ACTORS},
    "delete_view": {"actor": ACTORS, "view_id": "0123456789abcdef"},
}
# A wrong password is counted by the sign-in slow-down (and a count that starts holding the
# username is said) even though the call is refused.
RECORD_REFUSALS = ("authenticate", "start_session", "change_password")


@pytest.fixture
def served(database, monkeypatch) -> Served:
    monkeypatch.setattr(clock, "now", lambda: START)
    monkeypatch.setattr(credentials, "HASHER", CHEAP)
    service, db = worker(AccountsService, AccountStore, database, directory=Dispatch(UNITS))
    service.create_first_admin(FIRST)
    service.create_user(WANG, ADMIN)
    return Served(service, [db], None, lambda: service.get_user("wang.li", ADMIN))


test_every_rpc_is_tried, test_bad_input_gets_a_documented_error_and_changes_nothing = \
    rpc_tests(AccountsService, lambda _: VALID, refusals_recorded=RECORD_REFUSALS)


# Found by the generated input: a lone surrogate in a password made argon2 raise
# UnicodeEncodeError. It is now InvalidRequest.
@pytest.mark.parametrize("step", [
    lambda service: service.authenticate("wang.li", "\ud800"),
    lambda service: service.authenticate_token("htk_\ud800"),
    lambda service: service.change_password("wang.li", "kaichen-wang-1", "new-pass-\ud800",
                                            ADMIN),
])
def test_a_lone_surrogate_is_refused_as_invalid(served, step):
    assert_refused(served.service, served.databases, lambda: step(served.service))
