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
