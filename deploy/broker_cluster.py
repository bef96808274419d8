"""A RabbitMQ cluster of three nodes on this machine: Debian's rabbitmq-server, three node
names, free ports each, the data in a directory of the caller's (private_broker.py makes
each node). The tests of the cluster and the cluster drill (``faults.py --cluster``) run
on it; nothing here touches the broker `make run` and the other tests share.

    with BrokerCluster(directory) as cluster:
        cluster.amqp_uri      # the three nodes' AMQP URIs joined with ';' (kombu's
                              # failover list: a client goes on to the next node)
        cluster.api_uri       # a running node's management API (guest's)
        cluster.crash(0)      # kill -9 a node, as a power cut would
        cluster.start_node(0) # start it again on its data: it rejoins the cluster
        cluster.roll()        # restart every node in turn, each only once its quorum
                              # queues can lose it (RabbitMQ's rolling upgrade steps)

The nodes share an Erlang cookie (a HOME of the cluster's own); nodes 2 and 3 join node
1 once all three run (``rabbitmqctl join_cluster``: deterministic, where peer discovery
on three nodes started at once may form two clusters).
"""
from __future__ import annotations

import secrets
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from private_broker import PrivateBroker, answers, server_program

SIZE = 3
CTL_SECONDS = 120  # a rabbitmqctl or rabbitmq-upgrade command that takes longer has failed


class BrokerCluster:
    def __init__(self, directory: Path, size: int = SIZE):
        self.directory = directory
        self.home = directory / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20))
        cookie.chmod(0o400)
        tag = uuid.uuid4().hex[:6]
        self.nodes = [PrivateBroker(directory / f"node{n}", node=f"hotline-{tag}-{n}@localhost",
                                    home=self.home) for n in range(1, size + 1)]

    # ------------------------------------------------------------ addresses
    @property
    def amqp_uri(self) -> str:
        """Every node's URI (guest's), joined with ';': kombu's failover list."""
        return ";".join(node.amqp_uri for node in self.nodes)

    @property
    def api_uri(self) -> str:
        """The management API of the first node that answers (any node's serves the
        whole cluster)."""
        for node in self.nodes:
            if node.process is not None and answers(node.api_port):
                return node.api_uri
        raise RuntimeError("no node of the cluster answers")

    # ------------------------------------------------------------ life
    def start(self) -> float:
        """Start every node (at once), then join the others to the first; returns the
        seconds until the cluster ran whole."""
        started = time.monotonic()
        try:
            for node in self.nodes:
                node.launch()
            for node in self.nodes:
                node.wait_until_answering()
            for node in self.nodes[1:]:
                self.ctl(node, "stop_app")
                self.ctl(node, "join_cluster", self.nodes[0].node)
                self.ctl(node, "start_app")
            self.wait_until_whole()
        except BaseException:
            self.stop()  # no node left running after a start that failed
            raise
        return time.monotonic() - started

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def crash(self, index: int) -> None:
        """kill -9 node ``index``."""
        self.nodes[index].crash()

    def start_node(self, index: int) -> float:
        """Start node ``index`` again; the seconds until the cluster ran whole."""
        started = time.monotonic()
        node = self.nodes[index]
        node.launch()
        node.wait_until_answering()
        self.wait_until_whole()
        return time.monotonic() - started

    def restart_node(self, index: int) -> float:
        """Stop node ``index`` as an operator would for an upgrade, and start it again:
        first wait until every quorum queue keeps a majority without it
        (``rabbitmq-upgrade await_online_quorum_plus_one``), then ``drain`` it (its
        queues' leaders move to other nodes, its clients are disconnected and go on to
        another node), stop it, start it, and wait until it is back in the cluster. The
        seconds it took."""
        started = time.monotonic()
        node = self.nodes[index]
        self.upgrade(node, "await_online_quorum_plus_one", "-t", str(CTL_SECONDS))
        self.upgrade(node, "drain")
        node.stop()
        node.launch()
        node.wait_until_answering()
        self.upgrade(node, "revive")
        self.wait_until_whole()
        return time.monotonic() - started

    def roll(self) -> list[float]:
        """A rolling restart: every node in turn (restart_node); each one's seconds."""
        return [round(self.restart_node(index), 1) for index in range(len(self.nodes))]

    def wait_until_whole(self, seconds: float = CTL_SECONDS) -> None:
        """Every node running in one cluster, as the management API reports it."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                running = {node["name"] for node in self.api("/api/nodes")
                           if node.get("running")}
                if running >= {node.node for node in self.nodes}:
                    return
            except (OSError, RuntimeError, ValueError):
                pass  # a node still starting
            if time.monotonic() > deadline:
                raise SystemExit(f"broker cluster: not whole after {seconds} s; see "
                                 f"{self.directory}/node*/server.out")
            time.sleep(0.5)

    def api(self, path: str) -> Any:
        """GET ``path`` of the management API of a running node, as JSON."""
        from permissions import api_of  # deploy/rabbitmq/permissions.py

        return api_of(self.api_uri).get(path)

    # ------------------------------------------------------------ tools
    def ctl(self, node: PrivateBroker, *command: str) -> str:
        return self._tool("rabbitmqctl", node, *command)

    def upgrade(self, node: PrivateBroker, *command: str) -> str:
        return self._tool("rabbitmq-upgrade", node, *command)

    def _tool(self, tool: str, node: PrivateBroker, *command: str) -> str:
        program = Path(server_program()).with_name(tool)
        done = subprocess.run([str(program), "-n", node.node, *command], env=node.env,
                              capture_output=True, text=True, timeout=CTL_SECONDS)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(command)} on {node.node}: "
                               f"{(done.stderr or done.stdout).strip()[-400:]}")
        return done.stdout

    def __enter__(self) -> BrokerCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":  # a look at one: start it, print its addresses, wait for ^C
    import sys
    import tempfile

    place = Path(tempfile.mkdtemp(prefix="hotline-cluster-"))
    with BrokerCluster(place) as cluster:
        print(f"cluster whole; AMQP {cluster.amqp_uri}\nAPI {cluster.api_uri}", flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            sys.exit(0)

