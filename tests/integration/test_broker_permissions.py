"""deploy/rabbitmq/permissions.py in a vhost of this test's own: the call-centre user can
call intake.create_ticket, and the broker refuses it anything else; the console signs in
through accounts, which asks dispatch, each part as its own broker user."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from amqp.exceptions import AccessRefused
from nameko.runners import ServiceRunner
from nameko.standalone.rpc import ClusterRpcProxy

from services.accounts.service import AccountsService
from services.dispatch.service import DispatchService
from services.intake.service import IntakeService
from services.shared.schemas import SYSTEM_ACTOR

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq"))
import permissions  # noqa: E402  deploy/rabbitmq/permissions.py

CALL = {
    "channel": "hotline",
    "caller": {"name": "张阿姨", "phone": "13812345678", "anonymous": False},
    "kind": "help",
    "category": "street_light",
    "description": "小区路灯不亮",
    "address": {"district": "杨浦区", "subdistrict": "殷行街道", "estate": "开鲁新村"},
}


@pytest.fixture
def broker_users(request, rabbit_manager):
    """A fresh vhost with the hotline's users (named with a prefix of this test's own);
    yields a function giving a user's AMQP URI there."""
    api_uri = urlparse(request.config.getoption("RABBIT_API_URI"))
    amqp = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    api = permissions.ManagementApi(f"{api_uri.scheme}://{api_uri.hostname}:{api_uri.port}",
                                    api_uri.username or "guest", api_uri.password or "guest")
    tag = uuid.uuid4().hex[:8]
    vhost = f"hotline_permissions_{tag}"
    rabbit_manager.create_vhost(vhost)
    passwords = {grant.user: f"pw-{tag}-{grant.user}" for grant in permissions.grants()}
    names: list[str] = []
    try:
        names = permissions.apply(api, vhost, passwords, prefix=f"t{tag}-")
        yield lambda user: (f"amqp://t{tag}-{user}:{passwords[user]}@"
                            f"{amqp.hostname}:{amqp.port or 5672}/{vhost}")
    finally:
        permissions.remove(api, names)
        rabbit_manager.delete_vhost(vhost)


def test_call_centre_may_create_tickets_and_nothing_else(broker_users, storage_config, settings):
    # intake runs as its own broker user: its rights are enough to serve.
    runner = ServiceRunner({**settings, **storage_config,
                            "AMQP_URI": broker_users("intake")})
    runner.add_service(IntakeService)
    runner.start()
    try:
        with ClusterRpcProxy({"AMQP_URI": broker_users("callcentre")}, timeout=10) as rpc:
            ticket = rpc.intake.create_ticket(CALL)
            assert ticket["ticket_no"].startswith("YP")
            assert rpc.intake.get_ticket(ticket["ticket_no"], SYSTEM_ACTOR)["status"] == "received"

        with pytest.raises(AccessRefused, match="topic 'dispatch.route'"):
            with ClusterRpcProxy({"AMQP_URI": broker_users("callcentre")}, timeout=5) as rpc:
                rpc.dispatch.route({"district": "杨浦区"}, "street_light",
                                   {"id": "cc", "name": "cc", "role": "agent", "unit_id": None})
    finally:
        runner.kill()


def test_call_centre_cannot_listen_in_on_calls(broker_users):
    from kombu import Connection, Exchange, Queue

    with Connection(broker_users("callcentre")) as connection:
        spy = Queue(f"rpc.reply-standalone_rpc_proxy-{uuid.uuid4()}",
                    Exchange(permissions.RPC_EXCHANGE, type="topic", durable=True),
                    routing_key="#", auto_delete=True)
        with pytest.raises(AccessRefused, match="topic"):
            spy(connection.channel()).declare()


def test_the_console_signs_in_through_accounts_which_asks_dispatch(broker_users, storage_config,
                                                                   settings):
    runners = []
    for service in (DispatchService, AccountsService):  # each as its own broker user
        runner = ServiceRunner({**settings, **storage_config,
                                "AMQP_URI": broker_users(service.name)})
        runner.add_service(service)
        runner.start()
        runners.append(runner)
    try:
        with ClusterRpcProxy({"AMQP_URI": broker_users("console")}, timeout=10) as rpc:
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
