"""A RabbitMQ node of a fault drill's own: the same rabbitmq-server that `make broker`
installs, on free ports, its data in a directory of the drill's, so the drill can crash
and restart it without touching the broker that `make run` and the tests share.

    with PrivateBroker(directory) as broker:
        broker.amqp_uri    # pyamqp://guest:guest@127.0.0.1:<port>/ (the admin's)
        broker.api_uri     # http://guest:guest@127.0.0.1:<port> (its management API,
                           # to make the parts' users: deploy/rabbitmq/permissions.py)
        broker.crash()     # kill -9 the node
        broker.start()     # start it again on the same data: durable queues and
                           # persistent messages come back
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

SERVER_PATHS = ("/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/sbin/rabbitmq-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def server_program() -> str:
    """rabbitmq-server itself (Debian's /usr/sbin wrapper switches to the rabbitmq user,
    which could not write the drill's directory)."""
    for path in SERVER_PATHS:
        if os.access(path, os.X_OK):
            return path
    found = shutil.which("rabbitmq-server")
    if found:
        return found
    raise SystemExit("faults: rabbitmq-server is not installed (make broker installs it)")


class PrivateBroker:
    """One node. ``node`` names it (a made-up name by default); ``home`` is a directory
    whose .erlang.cookie it shares with the nodes it is clustered with and with the
    command-line tools (broker_cluster.py)."""

    def __init__(self, directory: Path, start_seconds: float = 90, node: str | None = None,
                 home: Path | None = None):
        self.directory = directory
        self.start_seconds = start_seconds
        self.port = free_port()
        self.api_port = free_port()
        self.node = node or f"hotline-drill-{uuid.uuid4().hex[:6]}@localhost"
        self.process: subprocess.Popen | None = None
        self.launched = 0.0
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.api_port}\n")
        # the management API (on a free port of its own) makes the parts' broker users
        (directory / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (directory / "rabbitmq-env.conf").write_text("")     # not the system's NODENAME
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_CONF_ENV_FILE": str(directory / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(directory / "log"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }
        if home is not None:
            self.env["HOME"] = str(home)

    @property
    def amqp_uri(self) -> str:
        return f"pyamqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def api_uri(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.api_port}"

    def start(self) -> float:
        """Start the node; returns the seconds until it took connections."""
        started = time.monotonic()
        self.launch()
        self.wait_until_answering()
        return time.monotonic() - started

    def launch(self) -> None:
        """Start the node's program, without waiting for it."""
        log = open(self.directory / "server.out", "ab")
        self.process = subprocess.Popen([server_program()], env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.launched = time.monotonic()

    def wait_until_answering(self) -> None:
        """Until the node takes connections and its management API answers."""
        assert self.process is not None, "launch() first"
        while not (answers(self.port) and answers(self.api_port)):
            if self.process.poll() is not None:
                raise SystemExit(f"faults: the drill's RabbitMQ stopped at start; see "
                                 f"{self.directory / 'server.out'}")
            if time.monotonic() - self.launched > self.start_seconds:
                raise SystemExit(f"faults: the drill's RabbitMQ did not answer in "
                                 f"{self.start_seconds:.0f} s")
            time.sleep(0.2)

    def crash(self) -> None:
        """kill -9 every process of the node (beam and its helpers), as a power cut would."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        while answers(self.port):
            time.sleep(0.1)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.crash()
        self.process = None

    def __enter__(self) -> PrivateBroker:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
