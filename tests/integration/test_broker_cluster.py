"""On a RabbitMQ cluster of three nodes (deploy/broker_cluster.py) in the hotline's vhost
(deploy/rabbitmq/queues.py): the services' queues are quorum queues and the callers'
reply queues classic; a service given the three nodes' addresses starts while the first
is down and goes on when the node it is connected to dies; a message that kills every
consumer that takes it ends in the service's parking queue, in the parking format, and a
request that expired in its queue is dropped, not parked. The cluster is started once
for the module (about 20 s); the intake service runs in this process as its own broker
user."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from integration_support import PartRunners, eventually, health_probe
from kombu import Connection, Exchange, Producer

from services.intake.service import IntakeService
from services.shared import parked
from services.shared.errors import NotFound
from services.shared.parking import dead_letter_name, parking_name
from services.shared.rpc_client import ServiceProxy
from services.shared.schemas import SYSTEM_ACTOR
from services.shared.statements import vouch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))
import permissions  # noqa: E402  deploy/rabbitmq/permissions.py (on the path with deploy/)
import queues  # noqa: E402  deploy/rabbitmq/queues.py
from broker_cluster import BrokerCluster  # noqa: E402

# A consumer that dies (kill -9, as a process the message crashed) once it has the
# message: run again and again, it is the service that cannot get past it.
KILLED_BY_THE_MESSAGE = """
import os, signal, sys
from kombu import Connection
with Connection(sys.argv[1]) as connection:
    channel = connection.channel()
    channel.basic_qos(0, 1, False)
    channel.basic_consume(sys.argv[2], callback=lambda message: os.kill(os.getpid(),
                                                                        signal.SIGKILL))
    try:
        connection.drain_events(timeout=3)
    except TimeoutError:
        sys.exit(0)  # nothing came: the message is gone from the queue
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    nodes = BrokerCluster(tmp_path_factory.mktemp("cluster"))
    nodes.start()
    yield nodes
    nodes.stop()


@pytest.fixture
def hotline(cluster):
    """A fresh quorum vhost on the cluster, the parts' users in it (each URI lists the
    three nodes) and the admin's URI there (to look into queues)."""
    api = permissions.api_of(cluster.api_uri)
    vhost = f"hotline-{uuid.uuid4().hex[:6]}"
    queues.apply(api, vhost)
    api.call("PUT", f"/api/permissions/{api.quote(vhost)}/guest",
             {"configure": ".*", "write": ".*", "read": ".*"})
    users = permissions.RunUsers(api, cluster.amqp_uri, f"c{uuid.uuid4().hex[:6]}-")
    uris = users.grant(vhost)
    admin = ";".join(f"{node}{vhost}" for node in cluster.amqp_uri.split(";"))
    yield {"vhost": vhost, "uris": uris, "admin": admin, "users": users}
    users.remove()


@pytest.fixture
def intake(hotline, settings, storage_config):
    """The intake service on the cluster, answering /live and /ready on a port of its own;
    started by the test (``intake.start()``). ``intake.again()`` is a new process of it, as
    a scheduler would start after the first stopped."""
    config = {**settings, **storage_config, "AMQP_URI": hotline["uris"]["console"],
              "BROKER_URIS": hotline["uris"], "HEALTH_ADDRESS": "127.0.0.1:0"}
    made = []

    class Intake(PartRunners):
        def again(self) -> Intake:
            made.append(Intake(config, IntakeService))
            return made[-1]

    made.append(Intake(config, IntakeService))
    yield made[0]
    for runner in made:
        runner.kill()


def answers(proxy: ServiceProxy) -> bool:
    """Whether intake answers (a ticket not found is an answer); raises
    ServicesUnavailable when it does not."""
    with pytest.raises(NotFound):
        proxy.call("intake", "get_ticket", "SH-00000000-0000", vouch(SYSTEM_ACTOR))
    return True


def queue_kinds(cluster: BrokerCluster, vhost: str) -> dict[str, tuple[str, bool]]:
    """Each queue of ``vhost``: its type and whether it is durable."""
    return {queue["name"]: (queue["type"], queue["durable"])
            for queue in cluster.api(f"/api/queues/{permissions.ManagementApi.quote(vhost)}")}


def depth(admin_uri: str, queue: str) -> int:
    with Connection(admin_uri) as connection:
        return connection.channel().queue_declare(queue, passive=True).message_count


def test_the_services_queues_are_quorum_queues_and_reply_queues_classic(cluster, hotline,
                                                                         intake):
    intake.start()
    proxy = ServiceProxy(hotline["uris"]["console"], 10)
    assert answers(proxy)
    kinds = queue_kinds(cluster, hotline["vhost"])
    assert kinds["rpc-intake"] == ("quorum", True)
    events = [name for name in kinds if name.startswith("evt-") and "--intake." in name]
    # a broadcast handler's queue (one per copy, ending in its uuid) goes with its copy
    broadcast = [name for name in events if re.search(r"-[0-9a-f]{32}$", name)]
    assert broadcast and all(kinds[name][0] == "classic" for name in broadcast)
    assert all(kinds[name] == ("quorum", True) for name in set(events) - set(broadcast))
    for name in (dead_letter_name("intake"), parking_name("intake")):
        assert kinds[name] == ("quorum", True)
    replies = [name for name in kinds if name.startswith("rpc.reply-")]
    # the console's (standalone) and intake's own (it asks accounts at start)
    assert {name.split("-")[1] for name in replies} >= {"standalone_rpc_proxy", "intake"}
    assert all(kinds[name] == ("classic", False) for name in replies)
    proxy.close()


def test_a_service_starts_with_the_first_node_down_and_goes_on_when_its_node_dies(
        cluster, hotline, intake):
    cluster.crash(0)
    try:
        intake.start()  # its first address refuses: it goes on to the next
        proxy = ServiceProxy(hotline["uris"]["console"], 5)
        assert answers(proxy)
        assert health_probe(intake, "/ready") == (200, {"service": "intake", "ready": True,
                                                 "broker": "consuming", "store": "answers"})
    finally:
        cluster.start_node(0)
    user = hotline["users"].prefix + "intake"
    [node] = {connection["node"] for connection in cluster.api("/api/connections")
              if connection["user"] == user and connection["vhost"] == hotline["vhost"]}
    killed = [n for n, each in enumerate(cluster.nodes) if each.node == node][0]
    cluster.crash(killed)
    try:
        # told at most while it reconnects, then answered from another node
        eventually(lambda: answers(proxy), timeout=30, interval=0.5)
        assert eventually(lambda: health_probe(intake, "/ready")[0] == 200 or None, timeout=30)
        assert health_probe(intake, "/live")[0] == 200
    finally:
        cluster.start_node(killed)
        proxy.close()


def test_a_message_that_kills_each_consumer_is_parked_and_an_expired_request_dropped(
        cluster, hotline, intake):
    intake.start()
    intake.stop()  # its queues declared; now nobody but the killer consumes them
    own = hotline["uris"]["intake"]
    with Connection(hotline["admin"], transport_options={"confirm_publish": True}) as broker:
        producer = Producer(broker.channel())
        rpc = Exchange("nameko-rpc", type="topic", durable=True)
        producer.publish({"args": [], "kwargs": {"crash": True}}, exchange=rpc,
                         routing_key="intake.create_ticket", headers={"drill": "killer"})
    kills = 0
    while kills <= queues.DELIVERY_LIMIT + 2:
        done = subprocess.run([sys.executable, "-c", KILLED_BY_THE_MESSAGE, own, "rpc-intake"],
                              timeout=60)
        if done.returncode == 0:
            break
        assert done.returncode == -9
        kills += 1
    # delivered the limit's times more than its first, each to a consumer that died
    assert kills == queues.DELIVERY_LIMIT + 1
    assert depth(hotline["admin"], "rpc-intake") == 0
    assert depth(hotline["admin"], dead_letter_name("intake")) == 1

    # a request nobody took before its caller stopped waiting
    with Connection(hotline["admin"], transport_options={"confirm_publish": True}) as broker:
        Producer(broker.channel()).publish(
            {"args": [], "kwargs": {}}, exchange=rpc, routing_key="intake.get_ticket",
            expiration=0.2, headers={"drill": "expired"})
    time.sleep(1)
    assert eventually(lambda: depth(hotline["admin"], dead_letter_name("intake")) == 2
                      or None, timeout=10)

    intake = intake.again()
    intake.start()  # it takes its dead letters: parks one, drops the other
    eventually(lambda: depth(hotline["admin"], dead_letter_name("intake")) == 0 or None,
               timeout=20)
    count, found = parked.browse(hotline["uris"]["operator"], "intake", 10)
    assert count == 1
    [message] = found
    assert message.headers["drill"] == "killer"
    assert message.parked("queue") == "rpc-intake"
    assert message.parked("exchange") == "nameko-rpc"
    assert message.parked("routing-key") == "intake.create_ticket"
    assert message.parked("by") == "intake"
    assert "each consumer that took it died" in message.parked("reason")
    assert json.loads(message.body) == {"args": [], "kwargs": {"crash": True}}
