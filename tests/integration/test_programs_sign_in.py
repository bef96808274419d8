"""The programs that call the services act under accounts of their own: the call centre's
software takes calls and reads the calls it took, a callback worker claims and completes
tasks and nothing else; each signs in with its API token, over its own broker user, and
what it did is recorded under its account's name. Neither can be anyone else."""
from __future__ import annotations

import pytest
from amqp.exceptions import AccessRefused
from integration_support import eventually
from nameko.standalone.rpc import ClusterRpcProxy
from test_ticket_life import lamp, recorded, work_to_resolved

from services.callback.dialers import ScriptedDialer
from services.callback.worker import CallbackWorker
from services.shared import signed_in, statements
from services.shared.errors import NotPermitted

ADMIN = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
AGENT = {"id": "a-1", "name": "话务员小周", "role": "agent", "unit_id": None}
SUPERVISOR = {"id": "wang", "name": "督办员老王", "role": "supervisor", "unit_id": None}


def program_token(config: dict, account: dict) -> str:
    """An admin makes the program's account (no password) and issues it a token."""
    admin = statements.vouch(ADMIN)  # as accounts signs an admin's session
    with ClusterRpcProxy({"AMQP_URI": config["BROKER_URIS"]["console"]}, timeout=10) as rpc:
        rpc.accounts.create_user(account, admin)
        return rpc.accounts.issue_token(account["username"], "对接", admin)["token"]


def test_the_call_centre_takes_calls_under_its_own_account_and_nothing_more(
        system, real_statements):
    token = program_token(system, {"username": "call-centre", "name": "话务系统",
                                   "role": "call_centre"})
    with ClusterRpcProxy({"AMQP_URI": system["BROKER_URIS"]["callcentre"]}, timeout=10) as rpc:
        # nobody vouches for these: refused, nothing made
        for unvouched in (None, {"id": "admin", "name": "x", "role": "admin", "unit_id": None}):
            with pytest.raises(NotPermitted):
                rpc.intake.create_ticket(lamp(), unvouched)

        statement = signed_in.by_token(rpc.accounts, token)()
        ticket = rpc.intake.create_ticket(lamp(external_id="cc-0001"), statement)
        # the call it took, in full
        assert rpc.intake.get_ticket(ticket["ticket_no"], statement)["caller"]["phone"] == \
            "+8613800000002"

    with ClusterRpcProxy(system, timeout=10) as rpc:  # the console's user
        number = ticket["ticket_no"]
        # its state too, where its broker user could reach; but no call it did not take
        assert eventually(lambda: rpc.dispatch.get_status(number, statement))["ticket_no"] \
            == number
        agents = rpc.intake.create_ticket(lamp(external_id="agent-0001", merge=False),
                                          statements.vouch(AGENT))["ticket_no"]
        for read in (rpc.intake.get_ticket, rpc.dispatch.get_status, rpc.ledger.timeline):
            with pytest.raises(NotPermitted):
                read(agents, statement)
        created = eventually(lambda: rpc.ledger.timeline(number, statements.vouch(SUPERVISOR)))[0]
        assert (created["actor"]["id"], created["actor"]["name"], created["actor"]["role"]) \
            == ("call-centre", "话务系统", "call_centre")
        assert rpc.ledger.tickets(statements.vouch(SUPERVISOR), ticket_nos=[number])

    # its broker user may ask accounts to check its token, and nothing else of accounts
    with pytest.raises(AccessRefused, match="accounts.create_user"):
        with ClusterRpcProxy({"AMQP_URI": system["BROKER_URIS"]["callcentre"]},
                             timeout=5) as rpc:
            rpc.accounts.create_user({"username": "mole", "name": "x", "role": "admin",
                                      "password": "mole-pass-12"}, statements.vouch(ADMIN))


def test_a_callback_worker_calls_back_under_its_own_account(system):
    token = program_token(system, {"username": "dialer", "name": "自动回访外呼",
                                   "role": "callback_worker"})
    with ClusterRpcProxy(system, timeout=10) as rpc:
        number = rpc.intake.create_ticket(lamp(external_id="cc-0002"), AGENT)["ticket_no"]
        work_to_resolved(rpc, number)
        # a person of the centre may not take the workers' part
        with pytest.raises(NotPermitted, match="may not claim"):
            rpc.callback.claim("w1", {"id": "d-1", "name": "派单员老陈", "role": "dispatcher",
                                      "unit_id": "centre"})

    with ClusterRpcProxy({"AMQP_URI": system["BROKER_URIS"]["callback-worker"]},
                         timeout=10) as rpc:
        me = signed_in.by_token(rpc.accounts, token)
        worker = CallbackWorker(rpc.callback, ScriptedDialer({"default": "satisfied"}),
                                "w1", me)
        eventually(worker.work_once)

    with ClusterRpcProxy(system, timeout=10) as rpc:
        recorded(rpc, number, "callback_completed", "ticket_closed")
        completed = [entry for entry in rpc.ledger.timeline(number, statements.vouch(SUPERVISOR))
                     if entry["event_type"] == "callback_completed"][0]
        assert (completed["actor"]["id"], completed["actor"]["name"]) == ("dialer", "自动回访外呼")
        assert completed["data"]["worker_id"] == "dialer/w1"
