"""deploy/rabbitmq/permissions.py in a vhost of this test's own: the call-centre user can
call intake.create_ticket, and the broker refuses it anything else; the console signs in
through accounts, which asks dispatch, each part as its own broker user; every service
asks accounts what it withdrew when it starts."""
from __future__ import annotations

import logging
import sys
import uuid
from pathlib import Path

import pytest
from amqp.exceptions import AccessRefused
from integration_support import SERVICES, eventually
from nameko.runners import ServiceRunner
from nameko.standalone.rpc import ClusterRpcProxy

from services.accounts.service import AccountsService
from services.dispatch.service import DispatchService
from services.intake.service import IntakeService
from services.shared.schemas import SYSTEM_ACTOR

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq"))
import permissions  # noqa: E402  deploy/rabbitmq/permissions.py
from integration_support import CALL_CENTRE  # noqa: E402

CALL = {
    "channel": "hotline",
    "caller": {"name": "张阿姨", "phone": "13812345678", "anonymous": False},
    "kind": "help",
    "category": "street_light",
    "description": "小区路灯不亮",
    "address": {"district": "杨浦区", "subdistrict": "殷行街道", "estate": "开鲁新村"},
}


@pytest.fixture
def user_uri(rabbit_config):
    """A user's AMQP URI in this test's vhost, where the run's hotline users have their
    rights (tests/integration/conftest.py)."""
    return lambda user: rabbit_config["BROKER_URIS"][user]


def test_call_centre_may_create_tickets_and_nothing_else(user_uri, storage_config, settings):
    # intake runs as its own broker user: its rights are enough to serve.
    runner = ServiceRunner({**settings, **storage_config,
                            "AMQP_URI": user_uri("intake")})
    runner.add_service(IntakeService)
    runner.start()
    try:
        with ClusterRpcProxy({"AMQP_URI": user_uri("callcentre")}, timeout=10) as rpc:
            ticket = rpc.intake.create_ticket(CALL, CALL_CENTRE)
            assert ticket["ticket_no"].startswith("YP")
            assert rpc.intake.get_ticket(ticket["ticket_no"], SYSTEM_ACTOR)["status"] == "received"

        with pytest.raises(AccessRefused, match="topic 'dispatch.route'"):
            with ClusterRpcProxy({"AMQP_URI": user_uri("callcentre")}, timeout=5) as rpc:
                rpc.dispatch.route({"district": "杨浦区"}, "street_light",
                                   {"id": "cc", "name": "cc", "role": "agent", "unit_id": None})
    finally:
        runner.kill()


def test_call_centre_cannot_listen_in_on_calls(user_uri):
    from kombu import Connection, Exchange, Queue

    with Connection(user_uri("callcentre")) as connection:
        spy = Queue(f"rpc.reply-standalone_rpc_proxy-{uuid.uuid4()}",
                    Exchange(permissions.RPC_EXCHANGE, type="topic", durable=True),
                    routing_key="#", auto_delete=True)
        with pytest.raises(AccessRefused, match="topic"):
            spy(connection.channel()).declare()


def test_the_console_signs_in_through_accounts_which_asks_dispatch(user_uri, storage_config,
                                                                   settings):
    runners = []
    for service in (DispatchService, AccountsService):  # each as its own broker user
        runner = ServiceRunner({**settings, **storage_config,
                                "AMQP_URI": user_uri(service.name)})
        runner.add_service(service)
        runner.start()
        runners.append(runner)
    try:
        with ClusterRpcProxy({"AMQP_URI": user_uri("console")}, timeout=10) as rpc:
            rpc.accounts.create_first_admin({"username": "admin", "name": "系统管理员",
                                             "password": "first-admin-pass"})
            admin = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
            rpc.accounts.create_user({"username": "wang.li", "name": "王丽",
                                      "role": "unit_staff", "unit_id": "kaichen-property",
                                      "password": "kaichen-wang-1"}, admin)
            signed_in = rpc.accounts.authenticate("wang.li", "kaichen-wang-1")
        assert (signed_in["unit_id"], signed_in["unit_name"]) == ("kaichen-property", "凯晨物业")
    finally:
        for runner in runners:
            runner.kill()


def test_every_service_asks_accounts_what_it_withdrew_as_its_own_broker_user(
        rabbit_config, storage_config, settings, runner_factory, caplog):
    """Each part's own rights are enough to call accounts.recent_withdrawals and take the
    answer on its own reply queue (services/shared/revocation.py), accounts' too."""
    caplog.set_level(logging.INFO, logger="services.shared.revocation")
    runner_factory({**settings, **rabbit_config, **storage_config}, *SERVICES).start()

    def caught_up() -> set[str]:
        return {record.getMessage().split()[0] for record in caplog.records
                if " caught up with accounts: " in record.getMessage()}

    eventually(lambda: caught_up() == {service.name for service in SERVICES}, timeout=30)
