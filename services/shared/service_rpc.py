"""How one service asks another inside a request: nameko's RpcProxy, bounded in time.

nameko's own proxy waits for ever, so a service that asked a stopped one would hold its
worker (and its caller) until the other came back, and then do the work nobody waits for.
Here a request expires in the other's queue after ``SERVICE_RPC_TIMEOUT`` seconds (default
10), carries that deadline for the other to check before it starts (deadlines.py), and the
asker stops waiting then, with ServicesUnavailable, which the console shows as
a 503 (rpc_client); so does an answer that the other's store, or a service it asked, is
away.
"""
from __future__ import annotations

from typing import Any

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy

from services.shared.deadlines import DeadlineServiceProxy
from services.shared.replies import ClassicReplyListener
from services.shared.rpc_client import AWAY, ServicesUnavailable

DEFAULT_TIMEOUT = 10.0  # seconds


def timeout_of(config: dict) -> float:
    """How long a service waits for another's answer: ``SERVICE_RPC_TIMEOUT`` (seconds)."""
    return float(config.get("SERVICE_RPC_TIMEOUT") or DEFAULT_TIMEOUT)


class ServiceRpc(RpcProxy):
    """``ledger = ServiceRpc("ledger")``, then ``self.ledger.timeline(ticket_no, actor)`` in a
    worker: the answer, the documented errors as they were raised, or ServicesUnavailable
    after ``timeout`` seconds without one, or when the other service's store (or a service
    it asked) is away."""

    rpc_reply_listener = ClassicReplyListener()

    def __init__(self, target_service: str):
        super().__init__(target_service)
        self.timeout = DEFAULT_TIMEOUT

    def setup(self) -> None:
        # SERVICE_RPC_TIMEOUT (seconds) bounds the wait; the request expires in the other's
        # queue, and is refused where it was delivered, as the asker stops waiting
        self.timeout = timeout_of(self.container.config)
        super().setup()

    def get_dependency(self, worker_ctx: Any) -> BoundedService:
        proxy = DeadlineServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                                     timeout=self.timeout, **self.options)
        return BoundedService(proxy, self.target_service, self.timeout)


class BoundedService:
    def __init__(self, proxy: Any, service: str, timeout: float):
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                reply = getattr(self._proxy, method).call_async(*args, **kwargs)
            except UnknownService as exc:  # not running anywhere: no queue takes the request
                raise ServicesUnavailable(f"{self._service} is not running") from exc
            with eventlet.Timeout(self._timeout, False):
                try:
                    return reply.result()
                except RemoteError as exc:
                    # the other lost its store, or what it asked: away too, not a fault here
                    if exc.exc_type not in AWAY:
                        raise
                    raise ServicesUnavailable(f"{self._service}.{method}: {exc.exc_type}"
                                              ) from exc
            raise ServicesUnavailable(f"{self._service}.{method} did not answer in "
                                      f"{self._timeout:g} s")
        return call
