"""A request carried out once, however often it comes.

RabbitMQ hands a request to another copy of the service when the one that took it stopped
before acknowledging it (killed with -9, its connection lost). A step whose change was
written but whose answer was not sent would then be taken twice, and a step that is legal
from the state it leads to (an urge, a note) would be said twice.

Every RPC request has an id of its own: the AMQP ``correlation_id`` its caller's proxy
gives each call (nameko: a fresh uuid per call), which a redelivery carries unchanged. The
services' ``rpc`` entrypoint (rpc_guard.Rpc) puts it in the worker's context under
``rpc_guard.REQUEST_ID``, in place of anything a caller sent in a header of that name; a
service reads it through ``RequestId``. A store records ``applied_key(id)`` among the document's
applied events (events.APPLIED: the way consumers apply an event at most once) in the
update that makes the change, so that a redelivered request finds itself there
(``already_applied``) and is answered without being carried out again.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nameko.extensions import DependencyProvider

from services.shared import rpc_guard
from services.shared.events import APPLIED

PREFIX = "request:"  # apart from event ids (uuid hex) in the same applied list


def applied_key(request_id: str) -> str:
    """What a document records in its applied list once it carried out the request."""
    return PREFIX + request_id


def already_applied(document: Mapping[str, Any], request_id: str | None) -> bool:
    """Whether ``document`` records that it carried out request ``request_id`` already."""
    return request_id is not None and applied_key(request_id) in document.get(APPLIED, ())


class RequestId(DependencyProvider):
    """``request_id = RequestId()``, then ``self.request_id`` in a worker: the id of the RPC
    request it serves (a str), the same for every delivery of that request; None in a
    worker an event or a timer started (the context of an RPC travels on with the calls and
    events its worker makes) and for a request that came without an id."""

    def get_dependency(self, worker_ctx: Any) -> str | None:
        if not isinstance(worker_ctx.entrypoint, rpc_guard.Rpc):
            return None
        value = worker_ctx.data.get(rpc_guard.REQUEST_ID)
        return value if isinstance(value, str) and value else None
