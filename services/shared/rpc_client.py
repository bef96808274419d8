"""A long-lived way to the services for a process outside them (a console worker, a
callback worker, a drill): one nameko RPC proxy, opened on first use and opened again
after the broker goes away (a restarted broker leaves the old proxy's reply queue gone)."""
from __future__ import annotations

import functools
import logging
import threading
from typing import Any

from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy

from services.shared.deadlines import DeadlineServiceProxy
from services.shared.errors import HotlineError, ServicesUnavailable
from services.shared.replies import ClassicStandaloneReplyListener

log = logging.getLogger(__name__)


# A service that answered with one of these lost its store for a moment (pymongo's
# ConnectionFailure family), or another service it asked did not answer: worth trying
# again, as with a service that did not answer.
AWAY = ("AutoReconnect", "ConnectionFailure", "NetworkTimeout",
        "ServerSelectionTimeoutError", "NotPrimaryError", "ServicesUnavailable")


class _ExpiringCluster(ClusterProxy):
    def __init__(self, worker_ctx, reply_listener, expiration: float):
        super().__init__(worker_ctx, reply_listener)
        self._expiration = expiration

    def __getattr__(self, name: str):
        if name not in self._proxies:
            self._proxies[name] = DeadlineServiceProxy(
                self._worker_ctx, name, self._reply_listener, timeout=self._expiration)
        return self._proxies[name]


class ExpiringRpcProxy(ClusterRpcProxy):
    """nameko's ClusterRpcProxy whose requests expire in their queue once the caller has
    stopped waiting, and carry that deadline for the service to check before it starts
    (deadlines.py): a call its caller was told timed out is not carried out later, by a
    service that comes back from a crash to a queue of requests nobody waits for, nor by
    one that hung with them in hand."""

    def __init__(self, config: dict, timeout: float):
        super().__init__(config, timeout=timeout,
                         reply_listener_cls=ClassicStandaloneReplyListener)
        self._proxy = _ExpiringCluster(self._worker_ctx, self._reply_listener, timeout)


class ServiceProxy:
    """``proxy.call("dispatch", "queue", unit_id, actor)``: one connection per process,
    reused by every request (gunicorn's sync workers serve one request at a time; the
    lock keeps it safe under threaded servers too)."""

    def __init__(self, amqp_uri: str, timeout: float):
        self.config = {"AMQP_URI": amqp_uri}
        self.timeout = timeout
        self._cluster: ExpiringRpcProxy | None = None
        self._proxy: Any = None  # nameko's cluster proxy, while open
        self._lock = threading.Lock()

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """The RPC's answer; the documented errors (services.shared.errors) pass through;
        ServicesUnavailable when the service cannot be reached in time."""
        with self._lock:
            try:
                proxy = self._open()
                return getattr(getattr(proxy, service), method)(*args, **kwargs)
            except (HotlineError, ServicesUnavailable):  # a refusal, or "unavailable: why"
                raise
            except RemoteError as exc:
                if exc.exc_type not in AWAY:
                    raise
                log.warning("%s.%s: %s away: %s", service, method, exc.exc_type, exc.value)
                raise ServicesUnavailable(f"{service} cannot reach what it needs") from exc
            except Exception as exc:
                # A timeout, an unknown service, a lost or refused connection, a proxy
                # whose consumer the broker dropped: a fresh connection next time.
                self._close()
                log.warning("%s.%s unavailable: %r", service, method, exc)
                raise ServicesUnavailable(f"{service} did not answer") from exc

    def call_each(self, calls: list[tuple[str, str, tuple]]) -> list[Any]:
        """Several RPCs (``(service, method, args)``) sent at once, then their answers in
        the same order, each the answer or the error it ended with (documented errors as
        they are; ServicesUnavailable for a service that did not answer in time or whose
        store is away): the wait is the slowest one's, not the sum, while each answers."""
        with self._lock:
            try:
                proxy = self._open()
            except Exception as exc:
                self._close()
                log.warning("services unavailable: %r", exc)
                return [ServicesUnavailable("the services did not answer")] * len(calls)
            replies: list[Any] = []
            for service, method, args in calls:
                try:
                    replies.append(getattr(getattr(proxy, service), method).call_async(*args))
                except Exception as exc:  # an unknown service: no queue takes the request
                    replies.append(ServicesUnavailable(f"{service} did not answer: {exc!r}"))
            answers: list[Any] = []
            fresh = False
            for (service, method, _), reply in zip(calls, replies, strict=True):
                if isinstance(reply, Exception):
                    answers.append(reply)
                    continue
                try:
                    answers.append(reply.result())
                except HotlineError as exc:
                    answers.append(exc)
                except RemoteError as exc:
                    answers.append(ServicesUnavailable(f"{service} cannot reach what it needs")
                                   if exc.exc_type in AWAY else exc)
                except Exception as exc:  # a timeout, a lost connection
                    log.warning("%s.%s unavailable: %r", service, method, exc)
                    answers.append(ServicesUnavailable(f"{service} did not answer"))
                    fresh = True
            if fresh:
                self._close()  # as call() does: a fresh connection next time
            return answers

    def of(self, service: str) -> BoundService:
        """``proxy.of("callback").claim(worker_id)``: one service's RPCs, as attributes."""
        return BoundService(self, service)

    def _open(self) -> Any:
        if self._proxy is None:
            cluster = ExpiringRpcProxy(self.config, timeout=self.timeout)
            self._cluster, self._proxy = cluster, cluster.start()
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


class BoundService:
    """One service's RPCs through a ServiceProxy (see ServiceProxy.of)."""

    def __init__(self, proxy: ServiceProxy, service: str):
        self._proxy = proxy
        self._service = service

    def __getattr__(self, method: str) -> Any:
        return functools.partial(self._proxy.call, self._service, method)
