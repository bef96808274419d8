"""Parking: a message a service will never apply or answer is moved, whole, to the
service's durable parking queue instead of being dropped or tried for ever, so that a
person can see what came and why it was refused (``hotline-admin parked`` lists, shows,
replays and drops them: services/shared/parked.py). Parked are:

- an event that is no event to apply (its envelope is malformed, it claims a source other
  than the exchange it came through, its data does not fit: events.examine);
- an event whose handler failed ``EVENT_ATTEMPTS`` times of its own fault
  (services/shared/retries.py);
- a message on an event or RPC queue whose body cannot be decoded at all (not JSON, a
  content type the services do not take): ``ParkingQueueConsumer``;
- an RPC request that is no request (no ``args`` and ``kwargs``, no one to answer):
  services/shared/rpc_guard.py.

The parking queue of a service is ``parked-<service>``, reached through the direct
exchange of the same name (RabbitMQ keeps queues and exchanges apart), both declared by
the service when it first parks. The parked message is the body as it came, byte for
byte with its content type, with the headers it came with and these added:

- ``x-parked-reason``: why it was not applied, in words;
- ``x-parked-exchange`` and ``x-parked-routing-key``: where it came through;
- ``x-parked-queue``: the queue it was taken from (the handler's);
- ``x-parked-by``: the service; ``x-parked-at``: when (ISO 8601 UTC);
- ``x-parked-attempts``: how often its handler failed (a failing handler's only).

The message is acknowledged on its own queue only once the broker has confirmed the
parked copy; if parking fails it goes back on its queue and comes again.
"""
from __future__ import annotations

import functools
import logging
from typing import Any

import eventlet
from amqp.exceptions import NotFound
from kombu import Connection, Exchange, Queue
from kombu.message import Message
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.extensions import SharedExtension
from nameko.messaging import QueueConsumer

from services.shared import clock

log = logging.getLogger(__name__)

HEADER = "x-parked-"
# Every service parks what it will not apply or answer, each in its own queue.
SERVICES = ("intake", "dispatch", "callback", "ledger", "register", "accounts")
REPARK_PAUSE_SECONDS = 0.5  # before a message that could not be parked comes again
# What a parked copy of a body that came without a content type is published as.
UNKNOWN_CONTENT = "application/octet-stream"


def parking_name(service: str) -> str:
    """The parking queue of ``service`` (and the exchange that leads to it)."""
    return f"parked-{service}"


def parking_queue(service: str) -> Queue:
    """The durable parking queue of ``service``, bound to its own direct exchange."""
    name = parking_name(service)
    return Queue(name, Exchange(name, type="direct", durable=True), routing_key=name,
                 durable=True)


def parking_headers(message: Message, reason: str, service: str, queue: str,
                    **more: Any) -> dict[str, Any]:
    """The message's own headers and what the parked copy says of its refusal (``more``:
    further ``x-parked-`` headers, by name without the prefix)."""
    delivery = message.delivery_info or {}
    return {
        **(message.headers or {}),
        HEADER + "reason": reason,
        HEADER + "exchange": delivery.get("exchange", ""),
        HEADER + "routing-key": delivery.get("routing_key", ""),
        HEADER + "queue": queue,
        HEADER + "by": service,
        HEADER + "at": clock.iso(clock.now()),
        **{HEADER + name.replace("_", "-"): value for name, value in more.items()},
    }


class ParkingLot(SharedExtension):
    """One per service container, shared by its entrypoints: ``park`` moves a message
    to the service's parking queue (publisher-confirmed, mandatory: a copy the broker
    could not queue raises, and the message is then not acknowledged)."""

    def setup(self) -> None:
        config = self.container.config
        self.service = self.container.service_name
        self.queue = parking_queue(self.service)
        self.publisher = Publisher(config[AMQP_URI_CONFIG_KEY], use_confirms=True, mandatory=True,
                                   ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                   login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
                                   declare=[self.queue])

    def park(self, message: Message, reason: str, queue: str, **more: Any) -> None:
        """Put ``message`` (as it came from ``queue``: its body's bytes and content type)
        on the parking queue with ``reason`` (and ``more`` x-parked- headers); raises when
        the broker did not take it."""
        headers = parking_headers(message, reason, self.service, queue, **more)
        self.publisher.publish(message.body, headers=headers, exchange=self.queue.exchange,
                               routing_key=self.queue.routing_key,
                               content_type=message.content_type or UNKNOWN_CONTENT,
                               content_encoding=message.content_encoding or "binary")
        log.warning("parked a message from %s (routing key %s) in %s: %s",
                    headers[HEADER + "exchange"] or "the default exchange",
                    headers[HEADER + "routing-key"], self.queue.name, reason)

    def park_or_requeue(self, message: Message, reason: str, queue: str,
                        consumer: QueueConsumer, **more: Any) -> bool:
        """Park ``message`` and acknowledge it on its own queue; if the broker did not take
        the parked copy, put it back on its queue after a short pause (it comes again).
        Whether it was parked."""
        try:
            self.park(message, reason, queue, **more)
        except Exception:
            log.exception("could not park a message of %s (%s); it will come again",
                          queue, reason)
            eventlet.sleep(REPARK_PAUSE_SECONDS)
            consumer.requeue_message(message)
            return False
        consumer.ack_message(message)
        return True


def undecodable_words(error: Exception) -> str:
    """Why a body that could not be decoded is parked, in words."""
    return f"the body cannot be decoded: {type(error).__name__}: {error}"


class ParkingQueueConsumer(QueueConsumer):
    """nameko's queue consumer (one per service container, shared by its event handlers
    and its RPCs) that parks a message whose body it cannot decode (not JSON, a content
    type not accepted), where kombu would log it and drop it."""

    parking = ParkingLot()

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = functools.partial(self.undecodable, provider)
        return consumers

    def undecodable(self, provider: Any, message: Message, error: Exception) -> None:
        # Called in the consuming thread: park from a thread of its own, as nameko hands
        # every message to its entrypoint.
        self.container.spawn_managed_thread(
            functools.partial(self.parking.park_or_requeue, message, undecodable_words(error),
                              provider.queue.name, self),
            identifier=f"park[{provider.queue.name}]")


DEPTH_CONNECT_SECONDS = 5


def depth(config: dict, service: str) -> int:
    """How many messages lie in ``service``'s parking queue, asked with the broker user of
    ``config`` (the service's own, which may declare that queue) on a connection of its
    own (a pooled one outlives a broker restart dead, and every count after it failed);
    0 when nothing was ever parked there (the queue is not declared yet)."""
    with Connection(config[AMQP_URI_CONFIG_KEY], ssl=config.get(AMQP_SSL_CONFIG_KEY),
                    login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
                    connect_timeout=DEPTH_CONNECT_SECONDS) as connection:
        channel = connection.channel()
        try:
            count = channel.queue_declare(parking_name(service), passive=True).message_count
        except NotFound:  # the broker closed the channel
            return 0
        channel.close()
        return count
