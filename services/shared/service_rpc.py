"""How one service asks another inside a request: nameko's RpcProxy, bounded in time.

nameko's own proxy waits for ever, so a service that asked a stopped one would hold its
worker (and its caller) until the other came back, and then do the work nobody waits for.
Here a request expires in the other's queue after ``timeout`` seconds and the asker stops
waiting then, with ServicesUnavailable, which the console shows as a 503 (rpc_client).
"""
from __future__ import annotations

from typing import Any

import eventlet
from nameko.rpc import RpcProxy

from services.shared.rpc_client import ServicesUnavailable

DEFAULT_TIMEOUT = 10.0  # seconds


class ServiceRpc(RpcProxy):
    """``ledger = ServiceRpc("ledger")``, then ``self.ledger.timeline(ticket_no)`` in a
    worker: the answer, the documented errors as they were raised, or ServicesUnavailable
    after ``timeout`` seconds without one."""

    def __init__(self, target_service: str, timeout: float = DEFAULT_TIMEOUT):
        # kombu takes a message's expiration in seconds
        super().__init__(target_service, expiration=timeout)
        self.timeout = timeout

    def get_dependency(self, worker_ctx: Any) -> BoundedService:
        return BoundedService(super().get_dependency(worker_ctx), self.target_service,
                              self.timeout)


class BoundedService:
    def __init__(self, proxy: Any, service: str, timeout: float):
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            reply = getattr(self._proxy, method).call_async(*args, **kwargs)
            with eventlet.Timeout(self._timeout, False):
                return reply.result()
            raise ServicesUnavailable(f"{self._service}.{method} did not answer in "
                                      f"{self._timeout:g} s")
        return call
