"""Every RPC request carries the moment its caller stops waiting, and the service that
receives it refuses to start work past that moment: a call its caller was told failed is
never carried out later.

The broker already drops a request that waits in a queue past its expiration, but a
request handed to a consumer that then hangs (a process stopped, a machine paging) sits
in that process until it wakes, and nameko would run it then. So the callers here
(rpc_client for processes outside the services, service_rpc between services) write a
deadline into a header of each request, and the services' ``rpc`` entrypoint (this
module's, used in place of nameko's) reads it before it starts a worker: a request past
its deadline is acknowledged, logged and dropped, with no answer, since nobody waits for
one.

The deadline is set ``MARGIN`` before the caller stops waiting, so that a step started
just in time also ends before the caller gives up. It is wall-clock time, the only time
two processes share: machines running the services keep their clocks in step (NTP), and
a clock off by more than the margin makes requests expire early or late by as much.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from nameko.rpc import MethodProxy
from nameko.rpc import ServiceProxy as NamekoServiceProxy

from services.shared import exhaustion, rpc_guard
from services.shared.errors import ServicesUnavailable

log = logging.getLogger(__name__)

HEADER = "x-hotline-deadline"  # seconds since the epoch, a float
MAX_MARGIN = 1.0  # seconds; at most a fifth of the time the caller waits


def deadline_for(timeout: float, now: float | None = None) -> float:
    """When a request sent now, whose caller waits ``timeout`` seconds, must have started."""
    now = time.time() if now is None else now
    return now + timeout - min(MAX_MARGIN, timeout / 5)


def overdue_by(headers: dict | None, now: float | None = None) -> float | None:
    """How many seconds past its deadline a request with these headers is; None if it has
    none or is still in time."""
    deadline = (headers or {}).get(HEADER)
    if not isinstance(deadline, (int, float)):
        return None
    late = (time.time() if now is None else now) - deadline
    return late if late > 0 else None


class DeadlineRpc(rpc_guard.Rpc):
    """nameko's rpc entrypoint that first checks the request's deadline: one past it is
    acknowledged and logged, and no worker starts. A request that fails because a resource
    ran out (exhaustion.py) is answered ServicesUnavailable, saying which."""

    def handle_result(self, message: Any, worker_ctx: Any, result: Any,
                      exc_info: Any) -> Any:
        if exc_info is not None:
            ran_out = exhaustion.reason(exc_info[1])
            if ran_out is not None:
                service = self.container.service_name
                unavailable = ServicesUnavailable(f"{service}: {ran_out}")
                log.warning("%s.%s answered unavailable: %s (%r)", service,
                            self.method_name, ran_out, exc_info[1])
                exc_info = (ServicesUnavailable, unavailable, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)

    def handle_message(self, body: Any, message: Any) -> None:
        late = overdue_by(message.headers)
        if late is not None:
            log.warning("%s.%s: the caller stopped waiting %.1f s ago; not carried out",
                        self.container.service_name, self.method_name, late)
            self.rpc_consumer.ack_message(message)
            return
        super().handle_message(body, message)


rpc = DeadlineRpc.decorator


class DeadlineMethodProxy(MethodProxy):
    """nameko's method proxy whose requests carry a deadline ``timeout`` seconds on."""

    def __init__(self, worker_ctx: Any, service_name: str, method_name: str,
                 reply_listener: Any, *, timeout: float, **options: Any):
        self.timeout = timeout
        super().__init__(worker_ctx, service_name, method_name, reply_listener, **options)

    def get_message_headers(self, worker_ctx: Any) -> dict:
        return {**super().get_message_headers(worker_ctx), HEADER: deadline_for(self.timeout)}


class DeadlineServiceProxy(NamekoServiceProxy):
    """nameko's service proxy whose requests carry deadlines, and expire in the queue as
    their caller stops waiting (``timeout`` seconds)."""

    def __init__(self, worker_ctx: Any, service_name: str, reply_listener: Any, *,
                 timeout: float, **options: Any):
        super().__init__(worker_ctx, service_name, reply_listener,
                         expiration=timeout, **options)
        self.timeout = timeout

    def __getattr__(self, name: str) -> DeadlineMethodProxy:
        return DeadlineMethodProxy(self.worker_ctx, self.service_name, name,
                                   self.reply_listener, timeout=self.timeout, **self.options)
