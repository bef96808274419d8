"""nameko's RPC entrypoint, with requests that are no requests parked instead of stopping
the service. Every service declares its RPCs with ``rpc`` from services/shared/deadlines.py,
whose entrypoint builds on this one's (it also checks each request's deadline).

nameko answers a request whose body has no ``args`` and ``kwargs`` with MalformedRequest,
but a request with no ``reply_to`` (nobody to answer), or whose body came without a
content type, makes its answer raise in the consuming thread, which stops the whole
service; the message, never acknowledged, comes back to the restarted service and stops
it again. Here such a request is parked in the service's parking queue with the reason
(services/shared/parking.py), and its caller, when it named a reply queue, still gets
MalformedRequest. A body that cannot be decoded at all (not JSON) is parked too
(parking.ParkingQueueConsumer), where kombu would log and drop it. A request with the
wrong arguments for its method is answered, not parked: InvalidRequest, the one error of
the contract for a request that breaks it, also when the number or names of its
arguments are wrong (nameko would answer its own IncorrectSignature).

Each worker's context carries the id of the request it serves (``REQUEST_ID``, read by
redelivery.RequestId), the message's ``correlation_id``, never what a caller sent in its
headers.
"""
from __future__ import annotations

import inspect
import logging
import sys
from typing import Any

import kombu.serialization
import kombu.utils.json
from kombu.message import Message
from nameko import rpc as nameko_rpc
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import (
    IncorrectSignature,
    MalformedRequest,
    UnserializableValueError,
    serialize,
)
from nameko.messaging import QueueConsumer

from services.shared.errors import InvalidRequest
from services.shared.parking import ParkingLot, ParkingQueueConsumer

log = logging.getLogger(__name__)

REQUEST_ID = "request_id"  # the key of the request's id in a worker's context


def request_id_of(properties: dict) -> str | None:
    """The id of the request these AMQP properties came with (its ``correlation_id``: one
    per call, the same on every delivery of it); None without one."""
    value = properties.get("correlation_id")
    return value if isinstance(value, str) and value else None


def unreadable_request(body: Any, properties: dict) -> str | None:
    """Why a message on an RPC queue cannot be read as a request, in words; None when it
    can (its arguments are then the method's to judge)."""
    if not properties.get("reply_to"):
        return "not a request: no reply_to (nobody to answer)"
    if not isinstance(body, dict):
        return "not a request: the body is not an object"
    if "args" not in body or "kwargs" not in body:
        return "not a request: no args or kwargs"
    if not isinstance(body["args"], list):
        return "not a request: args is not a list"
    if not isinstance(body["kwargs"], dict):
        return "not a request: kwargs is not an object"
    return None


def answerable(message: Message) -> bool:
    """Whether a caller can be answered: it named a reply queue, and its request came in a
    content type nameko answers in."""
    properties = message.properties or {}
    return bool(properties.get("reply_to")) and \
        properties.get("content_type") in kombu.serialization.registry.type_to_name


class GuardedRpcConsumer(nameko_rpc.RpcConsumer):
    """nameko's RPC consumer (one per service container) that parks what cannot be read
    as a request (``unreadable_request``) before any entrypoint sees it."""

    queue_consumer: QueueConsumer = ParkingQueueConsumer()
    parking = ParkingLot()

    def handle_message(self, body: Any, message: Message) -> None:
        problem = unreadable_request(body, message.properties or {})
        if problem is None:
            super().handle_message(body, message)
            return
        if self.parking.park_or_requeue(message, problem, self.queue.name, self.queue_consumer):
            self._refuse(message, problem)

    def handle_result(self, message: Message, result: Any, exc_info: Any) -> Any:
        """nameko's answer to a request (through this module's Responder), then the
        request acknowledged. An answer the broker would not take (the caller's reply
        queue gone with its node, the node draining: nacked, or the connection lost) is
        logged, not raised: raised, it would stop the whole service (nameko's way with an
        error in a worker) over an answer its caller is told of by its timeout anyway."""
        try:
            result, exc_info = self._responder(message).send_response(result, exc_info)
        except Exception as error:
            log.warning("%s: the answer to %s was not delivered (%s: %s); its caller is "
                        "told by its timeout", self.queue.name,
                        (message.properties or {}).get("reply_to"), type(error).__name__,
                        error)
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def _refuse(self, message: Message, problem: str) -> None:
        """Answer MalformedRequest to a caller that waits for an answer (the request is
        already acknowledged: a lost answer only makes the caller time out)."""
        if not answerable(message):
            return
        try:
            self._responder(message).send_response(
                None, (MalformedRequest, MalformedRequest(problem), None))
        except Exception:
            log.exception("could not answer a parked request of %s", self.queue.name)

    def _responder(self, message: Message) -> Responder:
        config = self.container.config
        return Responder(
            config[AMQP_URI_CONFIG_KEY], nameko_rpc.get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))


class EncodedList(list):
    """A list answer whose items' JSON is at hand already (``texts``, kept with each item
    by whoever made it: ``encoded``): the Responder joins those rather than encoding the
    list again (a unit's queue of 300 rows: a quarter of dispatch's time). To anything
    else it is the list of its items."""

    def __init__(self, items: list, texts: list[str]) -> None:
        super().__init__(items)
        self.texts = texts


def encoded(item: Any) -> str:
    """An item's JSON as an answer carries it (kombu's json, the RPC serializer)."""
    return kombu.utils.json.dumps(item)


class Responder(nameko_rpc.Responder):
    """nameko's answer to a request, serialized once. nameko serializes the result to
    check that it can be, then its publisher serializes the whole answer again: a unit's
    queue of 300 tickets took 2.5 ms each time. Here the answer is serialized once, in
    the request's content type (an EncodedList's items not at all, in JSON), and
    published as it is; a result that cannot be is answered UnserializableValueError, as
    nameko answers it."""

    def send_response(self, result: Any, exc_info: Any) -> tuple[Any, Any]:
        error = None if exc_info is None else serialize(exc_info[1])
        serializer = kombu.serialization.registry.type_to_name[
            self.message.properties["content_type"]]
        try:
            if error is None and isinstance(result, EncodedList) and serializer == "json":
                content_type, encoding = "application/json", "utf-8"
                body = f'{{"result": [{", ".join(result.texts)}], "error": null}}'
            else:
                content_type, encoding, body = kombu.serialization.dumps(
                    {"result": result, "error": error}, serializer)
        except Exception:
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))  # it serializes: text
            result = None
            content_type, encoding, body = kombu.serialization.dumps(
                {"result": None, "error": error}, serializer)
        self.publisher_cls(self.amqp_uri, ssl=self.ssl, login_method=self.login_method).publish(
            body, content_type=content_type, content_encoding=encoding,
            exchange=self.exchange, routing_key=self.message.properties["reply_to"],
            correlation_id=self.message.properties.get("correlation_id"))
        return result, exc_info


class Rpc(nameko_rpc.Rpc):
    """nameko's RPC entrypoint through GuardedRpcConsumer, whose workers know the id of
    the request they serve (redelivery.RequestId)."""

    rpc_consumer = GuardedRpcConsumer()

    def check_signature(self, args: Any, kwargs: Any) -> None:
        """InvalidRequest for arguments the method cannot take, saying what it takes."""
        try:
            super().check_signature(args, kwargs)
        except IncorrectSignature:
            given = f"{len(args)} given" + (f" and {', '.join(map(str, kwargs))}"
                                            if kwargs else "")
            raise InvalidRequest({"_request": [
                f"Wrong arguments for {self.method_name}{self._parameters()}: {given}."]}
            ) from None

    def _parameters(self) -> str:
        """The method's parameters as a caller passes them: ``(ticket_no, actor, note=None)``."""
        method = getattr(self.container.service_cls, self.method_name)
        parameters = list(inspect.signature(method).parameters.values())[1:]  # after self
        return str(inspect.Signature(
            [parameter.replace(annotation=inspect.Parameter.empty) for parameter in parameters]))

    def unpack_message_headers(self, message: Message) -> dict:
        context = super().unpack_message_headers(message)
        # the id a redelivery carries too; a header of that name (a caller's, or the
        # context of the call that made this one) is no request's id here
        context.pop(REQUEST_ID, None)
        request_id = request_id_of(message.properties or {})
        if request_id is not None:  # nameko warns of a None it would pass on
            context[REQUEST_ID] = request_id
        return context
