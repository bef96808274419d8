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
  services/shared/rpc_guard.py;
- a message that killed whoever took it: on a cluster, a quorum queue counts the deliveries
  never acknowledged (each consumer died or lost its connection holding it) and past its
  delivery limit dead-letters the message to the service's ``dead-<service>`` queue
  (deploy/rabbitmq/queues.py), from which the service parks it here (``DeadLetters``). An
  RPC request that expired in its queue is dead-lettered there too and is dropped: its
  caller was told the call failed, and nobody waits for it.

The parking queue of a service is ``parked-<service>``, reached through the direct
exchange of the same name (RabbitMQ keeps queues and exchanges apart), both declared by
the service when it first parks. The parked message is the body as it came, byte for
byte with its content type, with the headers it came with and these added:

- ``x-parked-reason``: why it was not applied, in words;
- ``x-parked-exchange`` and ``x-parked-routing-key``: where it came through;
- ``x-parked-queue``: the queue it was taken from (the handler's);
- ``x-parked-by``: the service; ``x-parked-at``: when (ISO 8601 UTC);
- ``x-parked-attempts``: how often its handler failed (a failing handler's only).

A dead letter is parked with the exchange, routing key and queue it was dead-lettered
from (the broker's ``x-death`` header, kept among its headers).

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
from services.shared.broker_address import without_passwords

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
    return lot_queue(parking_name(service))


def lot_queue(name: str) -> Queue:
    """A durable queue bound to the direct exchange of the same name under its name."""
    return Queue(name, Exchange(name, type="direct", durable=True), routing_key=name,
                 durable=True)


def dead_letter_name(service: str) -> str:
    """The queue (and exchange) where the broker dead-letters ``service``'s messages."""
    return f"dead-{service}"


def dead_letter_queue(service: str) -> Queue:
    """The durable queue where the broker dead-letters ``service``'s messages."""
    return lot_queue(dead_letter_name(service))


def parking_headers(message: Message, reason: str, service: str, queue: str,
                    came_through: tuple[str, str] | None = None, **more: Any
                    ) -> dict[str, Any]:
    """The message's own headers and what the parked copy says of its refusal: where it
    came through (``came_through``: exchange and routing key, if not its delivery's) and
    ``more`` further ``x-parked-`` headers, by name without the prefix."""
    delivery = message.delivery_info or {}
    exchange, routing_key = came_through or (delivery.get("exchange", ""),
                                             delivery.get("routing_key", ""))
    return {
        **(message.headers or {}),
        HEADER + "reason": reason,
        HEADER + "exchange": exchange,
        HEADER + "routing-key": routing_key,
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

    def park(self, message: Message, reason: str, queue: str,
             came_through: tuple[str, str] | None = None, **more: Any) -> None:
        """Put ``message`` (as it came from ``queue``: its body's bytes and content type)
        on the parking queue with ``reason`` (and where it ``came_through``, and ``more``
        x-parked- headers: parking_headers); raises when the broker did not take it."""
        headers = parking_headers(message, reason, self.service, queue, came_through, **more)
        self.publisher.publish(message.body, headers=headers, exchange=self.queue.exchange,
                               routing_key=self.queue.routing_key,
                               content_type=message.content_type or UNKNOWN_CONTENT,
                               content_encoding=message.content_encoding or "binary")
        log.warning("parked a message from %s (routing key %s) in %s: %s",
                    headers[HEADER + "exchange"] or "the default exchange",
                    headers[HEADER + "routing-key"], self.queue.name, reason)

    def park_or_requeue(self, message: Message, reason: str, queue: str,
                        consumer: QueueConsumer, came_through: tuple[str, str] | None = None,
                        **more: Any) -> bool:
        """Park ``message`` and acknowledge it on its own queue; if the broker did not take
        the parked copy, put it back on its queue after a short pause (it comes again).
        Whether it was parked."""
        try:
            self.park(message, reason, queue, came_through, **more)
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


def dead_letter_words(death: dict) -> str | None:
    """Why the broker dead-lettered a message (its first ``x-death`` entry), in words; None
    for an RPC request that expired (its caller was told; nobody waits for it)."""
    reason = death.get("reason", "")
    if reason == "expired":
        return None
    if reason == "delivery_limit":
        return ("delivered as often as the broker's delivery limit allows and never "
                "acknowledged: each consumer that took it died or lost its connection "
                "holding it")
    return f"dead-lettered by the broker: {reason or 'no reason given'}"


class DeadLetters:
    """What the broker dead-lettered of one service (deploy/rabbitmq/queues.py), taken from
    its ``dead-<service>`` queue by the service's queue consumer like its other queues:
    parked with the broker's reason and the queue it came from, or dropped if it is an
    expired RPC request."""

    def __init__(self, consumer: ParkingQueueConsumer) -> None:
        self.consumer = consumer
        self.queue = dead_letter_queue(consumer.container.service_name)

    def handle_message(self, body: Any, message: Message) -> None:
        """Called in a thread of its own (nameko's QueueConsumer spawns one a message)."""
        deaths = (message.headers or {}).get("x-death") or [{}]
        death = deaths[0] if isinstance(deaths[0], dict) else {}
        words = dead_letter_words(death)
        queue = str(death.get("queue", self.queue.name))
        if words is None:
            log.info("dropped a request that expired in %s: its caller was told", queue)
            self.consumer.ack_message(message)
            return
        keys = death.get("routing-keys") or [""]
        self.consumer.parking.park_or_requeue(message, words, queue, self.consumer,
                                              (str(death.get("exchange", "")), str(keys[0])))


class ParkingQueueConsumer(QueueConsumer):
    """nameko's queue consumer (one per service container, shared by its event handlers
    and its RPCs) that parks a message whose body it cannot decode (not JSON, a content
    type not accepted), where kombu would log it and drop it, and takes the service's
    dead letters (DeadLetters) while any of its other queues is consumed."""

    parking = ParkingLot()
    _consuming_on: Any = None  # the connection its consumers were last set up on
    _consumed_before = False  # whether its consumers were ever set up

    def setup(self) -> None:
        super().setup()
        self.dead_letters = DeadLetters(self)
        self.register_provider(self.dead_letters)

    def on_consume_ready(self, connection: Any, channel: Any, consumers: Any,
                         **kwargs: Any) -> None:
        self._consuming_on = connection
        self._consumed_before = True
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def on_connection_error(self, exc: Exception, interval: float) -> None:
        # nameko's own message masks the first address's password only: a cluster's
        # list (a;b;c) would write the others' to the log
        self._consuming_on = None
        log.warning("cannot reach the broker at %s (%s); trying again in %s s",
                    without_passwords(self.amqp_uri), exc, interval)

    def consuming(self) -> bool:
        """Whether its consumers are set up on a connection that is still alive (a
        service's readiness: services/shared/health.py)."""
        connection = self._consuming_on
        try:
            return connection is not None and bool(connection.connected)
        except Exception:  # a connection torn down under us
            return False

    def unregister_provider(self, provider: Any) -> None:
        super().unregister_provider(provider)
        # the last other one gone: the dead letters stop with it (a consumer stopped
        # before it started has said it is done already)
        if self._consumers_ready.ready() and self._providers == {self.dead_letters}:
            super().unregister_provider(self.dead_letters)

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        """Called at every connection: the consumers of every queue, each parking what it
        cannot decode; connected again, the reply queues are new (replies.py)."""
        if self._consumed_before:
            for provider in self._providers:
                if hasattr(provider, "fresh_queue"):
                    provider.fresh_queue()
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
