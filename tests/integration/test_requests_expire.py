"""The RPC client of processes outside the services (services/shared/rpc_client.py)
against RabbitMQ: a request its caller was told timed out is not carried out later."""
from __future__ import annotations

import time

import pytest
from integration_support import eventually
from nameko.standalone.rpc import ClusterRpcProxy

from services.intake.service import IntakeService
from services.shared.rpc_client import ServiceProxy, ServicesUnavailable

AGENT = {"id": "a1", "name": "话务员", "role": "agent", "unit_id": None}


def call(external_id: str) -> dict:
    return {"channel": "hotline", "kind": "complaint", "category": "street_light",
            "caller": {"name": "市民", "phone": "13900000001"}, "merge": False,
            "description": "路灯不亮", "external_id": external_id,
            "address": {"district": "杨浦区", "subdistrict": "殷行街道", "estate": "开鲁新村"}}


def test_a_request_that_timed_out_is_not_carried_out_when_the_service_is_back(
        rabbit_config, storage_config, settings, runner_factory, database):
    config = {**settings, **rabbit_config, **storage_config}
    first = runner_factory(config, IntakeService)
    first.start()  # declares intake's durable request queue
    first.stop()   # intake is down; its queue keeps what is sent meanwhile

    client = ServiceProxy(config["AMQP_URI"], timeout=1)
    with pytest.raises(ServicesUnavailable, match="intake did not answer"):
        client.call("intake", "create_ticket", call("told-it-failed"), AGENT)
    # nameko's own proxy, whose requests never expire: sent, nobody waits
    with ClusterRpcProxy(config, timeout=1) as plain:
        plain.intake.create_ticket.call_async(call("nobody-waits"), AGENT)

    again = runner_factory(config, IntakeService)
    again.start()
    tickets = database("intake")["tickets"]
    # the request without expiry proves the queue kept what came while intake was down
    eventually(lambda: tickets.find_one({"external_id": "nobody-waits"}) is not None)
    time.sleep(0.5)  # the expired request was ahead of it in the queue: time to show up
    assert tickets.find_one({"external_id": "told-it-failed"}) is None
    answer = client.call("intake", "create_ticket", call("told-it-failed"), AGENT)
    assert answer["external_id"] == "told-it-failed"
    assert tickets.count_documents({"external_id": "told-it-failed"}) == 1
    client.close()


def test_a_call_told_it_failed_is_not_carried_out_by_a_service_that_hung_with_it(
        rabbit_config, statement_keys, tmp_path):
    """intake as its own process (nameko run), stopped (SIGSTOP) with calls delivered to
    it, then resumed after their callers were told it failed: none of those is carried
    out; every call answered, before and after, is."""
    import os
    import signal
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    deploy = Path(__file__).resolve().parents[2] / "deploy"
    sys.path[:0] = [str(deploy), str(deploy / "rabbitmq")]
    import migrate
    import single_machine

    from services.shared import storage
    from services.shared.statements import vouch

    uris = rabbit_config["BROKER_URIS"]
    data = f"litemongo:{tmp_path / 'data'}"
    env = {**os.environ, **statement_keys, "MONGO_URI": data, "LOG_LEVEL": "INFO",
           "STORE_INIT": "1"}
    intake = single_machine.start_service("intake", env, uris, tmp_path)
    try:
        single_machine.wait_until_answering(uris["console"], {"intake": intake})
        client = ServiceProxy(uris["console"], timeout=2)
        for n in range(3):
            client.call("intake", "create_ticket", call(f"before-{n}"), vouch(AGENT))

        os.kill(intake.pid, signal.SIGSTOP)

        def told_it_failed(n: int) -> bool:
            caller = ServiceProxy(uris["console"], timeout=2)
            try:
                caller.call("intake", "create_ticket", call(f"told-{n}"), vouch(AGENT))
            except ServicesUnavailable:
                return True
            finally:
                caller.close()
            return False

        with ThreadPoolExecutor(6) as pool:
            told = list(pool.map(told_it_failed, range(6)))
        assert all(told)
        os.kill(intake.pid, signal.SIGCONT)
        after = eventually(lambda: client.call("intake", "create_ticket", call("after-0"),
                                               vouch(AGENT)))
        assert after["external_id"] == "after-0"
        client.close()
    finally:
        os.kill(intake.pid, signal.SIGCONT)
        single_machine.stop({"intake": intake})

    tickets = storage.connect(data, migrate.service_database("intake", {"MONGO_URI": data}))
    try:
        held = sorted(ticket["external_id"] for ticket in tickets["tickets"].find())
    finally:
        tickets.client.close()
    assert held == ["after-0", "before-0", "before-1", "before-2"]
    # they reached the hung process, which refused them when it woke (rather than the
    # broker dropping them from its queue)
    log = (tmp_path / "intake.log").read_text(encoding="utf-8")
    assert log.count("intake.create_ticket: the caller stopped waiting") >= 1
