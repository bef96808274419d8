"""A service asking another inside a request (services/shared/service_rpc.py), against
RabbitMQ: when the other is not running, or its queue is there but nobody serves it, the
caller is told the services are unavailable, by the asking service, in its bounded time."""
from __future__ import annotations

import pytest

from services.ledger.service import LedgerService
from services.register.service import RegisterService
from services.shared.rpc_client import ServiceProxy, ServicesUnavailable

ADMIN = {"id": "admin-1", "name": "管理员", "role": "admin", "unit_id": None}
RESIDENT = {"name": "周奶奶", "phones": ["13800000009"], "grid_unit_id": "yinhang-grid-1",
            "address": {"district": "杨浦区", "subdistrict": "殷行街道", "estate": "开鲁新村"}}
# the register answers, saying the ledger is away (the client's own time-out would say
# "register did not answer"): not running, or not answering in time
TOLD_BY_THE_REGISTER = r"^ledger(\.[a-z_]+)? (is not running|did not answer in 1 s)$"


def test_the_register_says_the_ledger_is_away_rather_than_waiting_for_it(
        rabbit_config, storage_config, settings, runner_factory):
    config = {**settings, **rabbit_config, **storage_config, "SERVICE_RPC_TIMEOUT": 1}
    runner_factory(config, RegisterService).start()
    client = ServiceProxy(config["AMQP_URI"], timeout=10)
    resident_id = client.call("register", "add_resident", RESIDENT, ADMIN)["resident_id"]

    # the ledger has never run: no queue takes the request
    with pytest.raises(ServicesUnavailable, match=TOLD_BY_THE_REGISTER):
        client.call("register", "tickets_of_resident", resident_id, ADMIN)

    ledger = runner_factory(config, LedgerService)
    ledger.start()  # declares the ledger's durable request queue
    ledger.stop()   # which now keeps requests nobody serves
    with pytest.raises(ServicesUnavailable, match=TOLD_BY_THE_REGISTER):
        client.call("register", "tickets_of_resident", resident_id, ADMIN)

    runner_factory(config, LedgerService).start()  # back: the same call is answered
    assert client.call("register", "tickets_of_resident", resident_id, ADMIN) == []
    client.close()
