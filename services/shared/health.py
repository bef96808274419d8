"""A service's health, for a scheduler to probe (Kubernetes' httpGet probes, compose's
healthcheck): with ``HEALTH_ADDRESS`` set (``host:port``, e.g. ``0.0.0.0:8080``), each
service process answers HTTP on it:

- ``GET /live``: 200 while the process's loop answers at all. A scheduler restarts a
  process that stops answering (its loop hung), not one whose broker or store is away:
  restarting would not bring those back.
- ``GET /ready``: 200 when this process consumes its queues on a live broker connection
  and its store answers a read within ``READY_SECONDS``; 503 otherwise, saying which is
  not. A copy that is not ready takes no traffic a scheduler routes (none here: the
  services are reached through the broker), and a rolling update waits for it before
  stopping the next copy.

Each answer is a small JSON object: the service, and for /ready each check's word. It
says nothing of tickets or people. Without ``HEALTH_ADDRESS`` (the tests, `make run`'s
single machine) no port is opened.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

import eventlet
import eventlet.wsgi
from nameko.extensions import DependencyProvider

from services.shared import store_marker
from services.shared.parking import ParkingQueueConsumer
from services.shared.storage import storages_of

log = logging.getLogger(__name__)

ADDRESS_CONFIG_KEY = "HEALTH_ADDRESS"
READY_SECONDS = 3.0  # a store slower than this to read is not ready
MAX_PROBES = 8  # probes answered at once
SOCKET_SECONDS = 5.0  # a probe's request read in this time, or its connection closed


def address_of(setting: str) -> tuple[str, int]:
    """``host:port`` (an IPv4 address or a name) as a pair; ValueError for anything else."""
    host, _, port = setting.rpartition(":")
    if not host or ":" in host or not port.isdigit():
        raise ValueError(f"{ADDRESS_CONFIG_KEY} is host:port, not {setting!r}")
    return host, int(port)


def readiness(consuming: bool, store_error: str | None) -> tuple[bool, dict[str, str]]:
    """Whether a process is ready, and each check's word."""
    checks = {"broker": "consuming" if consuming else "not connected",
              "store": "answers" if store_error is None else store_error}
    return consuming and store_error is None, checks


def answer(status: str, body: dict, start_response: Callable) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data))), ("Cache-Control", "no-store")])
    return [data]


class HealthProbes(DependencyProvider):
    """``health = HealthProbes()`` on a service: its /live and /ready (see the module's
    notes) on ``HEALTH_ADDRESS``, served from a green thread of the container's."""

    def __init__(self) -> None:
        self.socket: Any = None
        self.server: Any = None  # the green thread serving the probes
        self.address: tuple[str, int] | None = None  # where it listens, once started

    def start(self) -> None:
        setting = str(self.container.config.get(ADDRESS_CONFIG_KEY) or "").strip()
        if not setting:
            return
        # not shared: a second process given the same address fails to start, rather than
        # answering for the first
        self.socket = eventlet.listen(address_of(setting), reuse_port=False)
        self.address = self.socket.getsockname()[:2]
        self.server = self.container.spawn_managed_thread(self._serve, identifier="health")
        log.info("%s answers /live and /ready on %s:%s", self.container.service_name,
                 *self.address)

    def _serve(self) -> None:
        # An error of the probes' server (out of file descriptors, a peer gone) is logged
        # and the server started again: in a managed thread it would stop the service.
        # One request a connection, read within SOCKET_SECONDS: idle connections cannot
        # hold the few greenlets the probes have.
        while self.socket is not None:
            try:
                eventlet.wsgi.server(self.socket, self.application, log_output=False,
                                     max_size=MAX_PROBES, keepalive=False,
                                     socket_timeout=SOCKET_SECONDS)
                return
            except OSError as error:
                if self.socket is None:
                    return
                log.warning("the health probes' server: %s; serving again", error)
                eventlet.sleep(1)

    def stop(self) -> None:
        socket, self.socket = self.socket, None
        if self.server is not None:
            self.server.kill()
            self.server = None
        if socket is not None:
            socket.close()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> None:
        return None  # nothing for a worker: the probes are the scheduler's

    # ------------------------------------------------------------ answers
    def application(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        service = self.container.service_name
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return answer("405 Method Not Allowed", {"service": service}, start_response)
        if path == "/live":
            return answer("200 OK", {"service": service, "live": True}, start_response)
        if path == "/ready":
            ready, checks = readiness(self.consuming(), self.store_error())
            return answer("200 OK" if ready else "503 Service Unavailable",
                          {"service": service, "ready": ready, **checks}, start_response)
        return answer("404 Not Found", {"service": service}, start_response)

    def consuming(self) -> bool:
        """Whether the container's queue consumer has a live connection to the broker."""
        consumers = [found for found in self.container.shared_extensions.values()
                     if isinstance(found, ParkingQueueConsumer)]
        return bool(consumers) and all(consumer.consuming() for consumer in consumers)

    def store_error(self) -> str | None:
        """None when the service's store answers a read in time; else why not, in words."""
        for storage in storages_of(self.container):
            try:
                with eventlet.Timeout(READY_SECONDS):
                    storage.database[store_marker.MARKER].find_one(
                        {"_id": store_marker.MARKER}, {"_id": 1})
            except eventlet.Timeout:
                return f"no answer in {READY_SECONDS:g} s"
            except Exception as error:  # the store away, its disk full: not ready
                # the kind of error only: its text may name hosts; the log has it whole
                log.warning("not ready: the store: %s: %s", type(error).__name__, error)
                return f"error: {type(error).__name__}"
        return None
