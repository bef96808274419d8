"""The console's way to the services: one long-lived nameko RPC proxy per worker process,
opened on first use and opened again after the broker goes away."""
from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from nameko.exceptions import RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

log = logging.getLogger(__name__)


class ServicesUnavailable(Exception):
    """A service did not answer (down, slow or unreachable): a clear page or a 503."""


# What a broken connection or a silent service looks like from here.
UNAVAILABLE = (UnknownService, RpcTimeout, socket.error, ConnectionError, OSError)


class ServiceProxy:
    """``proxy.call("dispatch", "queue", unit_id, actor)``: one connection per process,
    reused by every request (gunicorn's sync workers serve one request at a time; the
    lock keeps it safe under threaded servers too)."""

    def __init__(self, amqp_uri: str, timeout: float):
        self.config = {"AMQP_URI": amqp_uri}
        self.timeout = timeout
        self._cluster = None
        self._proxy = None
        self._lock = threading.Lock()

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """The RPC's answer; the documented errors (services.shared.errors) pass through;
        ServicesUnavailable when the service cannot be reached in time."""
        with self._lock:
            try:
                proxy = self._open()
                return getattr(getattr(proxy, service), method)(*args, **kwargs)
            except UNAVAILABLE as exc:
                self._close()  # a fresh connection next time
                log.warning("%s.%s unavailable: %r", service, method, exc)
                raise ServicesUnavailable(f"{service} did not answer") from exc

    def _open(self):
        if self._proxy is None:
            self._cluster = ClusterRpcProxy(self.config, timeout=self.timeout)
            self._proxy = self._cluster.start()
        return self._proxy

    def _close(self) -> None:
        cluster, self._cluster, self._proxy = self._cluster, None, None
        if cluster is not None:
            try:
                cluster.stop()
            except Exception:  # already broken; nothing more to release
                log.debug("closing a broken RPC proxy", exc_info=True)

    def close(self) -> None:
        with self._lock:
            self._close()
