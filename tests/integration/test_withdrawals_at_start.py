"""A service copy that starts after accounts withdrew statements refuses them all the same,
over the real broker with every part its own broker user: it asks accounts at its start
(services/shared/revocation.py). The services here share one process, and with it the
list of what was withdrawn (statements.REVOKED); a restart is played by emptying that list,
as a new process starts with it empty, and starting a fresh copy."""
from __future__ import annotations

import logging

import pytest
from integration_support import eventually
from nameko.standalone.rpc import ClusterRpcProxy

from services.accounts.service import AccountsService
from services.dispatch.service import DispatchService
from services.shared import statements
from services.shared.errors import NotPermitted

PASSWORD = "a-password-of-li-1"
GRID = "yinhang-grid-1"


def grid_worker(rpc, username: str, admin: str) -> None:
    rpc.accounts.create_user({"username": username, "name": f"网格员{username}",
                              "role": "unit_staff", "unit_id": GRID, "password": PASSWORD},
                             admin)


def refused_by_dispatch(rpc, statement: str) -> bool:
    """Whether dispatch refuses the statement as withdrawn (a grid worker's queue)."""
    try:
        rpc.dispatch.queue(GRID, statement)
    except NotPermitted as refusal:
        return "ended" in str(refusal)
    return False


def caught_up(caplog, service: str) -> bool:
    return any(record.getMessage().startswith(f"{service} caught up with accounts: ")
               for record in caplog.records)


def as_a_new_process(monkeypatch, caplog) -> None:
    """What a copy restarted in a new process has heard: nothing yet."""
    monkeypatch.setattr(statements, "REVOKED", statements.Revocations())
    caplog.clear()


def test_a_copy_started_after_a_logout_and_a_deactivation_refuses_their_statements(
        real_statements, rabbit_config, settings, runner_factory, monkeypatch, caplog,
        tmp_path):
    caplog.set_level(logging.INFO, logger="services.shared.revocation")
    # the embedded store of `make run`, which a restarted copy opens again as it was
    config = {**settings, **rabbit_config, "MONGO_URI": f"litemongo:{tmp_path}",
              "STORE_INIT": "1"}
    dispatch, accounts = (runner_factory(config, DispatchService),
                          runner_factory(config, AccountsService))
    dispatch.start()
    accounts.start()
    with ClusterRpcProxy(config, timeout=10) as rpc:
        rpc.accounts.create_first_admin({"username": "admin", "name": "系统管理员",
                                         "password": "a-password-of-admin-1"})
        admin = rpc.accounts.authenticate("admin", "a-password-of-admin-1")["statement"]
        grid_worker(rpc, "li", admin)
        grid_worker(rpc, "zhao", admin)
        started = rpc.accounts.start_session("li", PASSWORD)
        logged_out = started["identity"]["statement"]  # withdrawn with its session
        issued = rpc.accounts.issue_token("zhao", "脚本", admin)
        deactivated = rpc.accounts.authenticate_token(issued["token"])["statement"]  # with zhao
        rpc.accounts.end_session(started["session"])
        rpc.accounts.update_user("zhao", {"active": False}, admin)
        eventually(lambda: refused_by_dispatch(rpc, logged_out)  # the running copy heard
                   and refused_by_dispatch(rpc, deactivated), timeout=5)

        dispatch.stop()
        as_a_new_process(monkeypatch, caplog)
        assert statements.read(logged_out)["id"] == "li"  # what a copy that only listens takes
        runner_factory(config, DispatchService).start()
        eventually(lambda: caught_up(caplog, "dispatch"), timeout=10)
        assert refused_by_dispatch(rpc, logged_out) and refused_by_dispatch(rpc, deactivated)
        assert rpc.dispatch.queue(GRID, admin) == []  # a live statement is taken

        # accounts itself catches up the same way: asking accounts, a copy of its own here
        accounts.stop()
        as_a_new_process(monkeypatch, caplog)
        runner_factory(config, AccountsService).start()
        eventually(lambda: caught_up(caplog, "accounts"), timeout=10)
        with pytest.raises(NotPermitted, match="ended"):
            rpc.accounts.get_user("li", logged_out)
        assert rpc.accounts.get_user("li", admin)["username"] == "li"
