"""Parking: an event message a service will never apply (its envelope is malformed, it
claims a source other than the exchange it came through, its data does not fit) is moved,
whole, to the service's durable parking queue instead of being dropped, so that a person
can see what came and why it was refused (a later `hotline-admin parked` reads, replays
and drops them).

The parking queue of a service is ``parked-<service>``, reached through the direct
exchange of the same name (RabbitMQ keeps queues and exchanges apart), both declared by
the service when it first parks. The parked message is the body as it came, with the
headers it came with and these added:

- ``x-parked-reason``: why it was not applied, in words;
- ``x-parked-exchange`` and ``x-parked-routing-key``: where it came through;
- ``x-parked-queue``: the queue it was taken from (the handler's);
- ``x-parked-by``: the service; ``x-parked-at``: when (ISO 8601 UTC).

The message is acknowledged on its own queue only once the broker has confirmed the
parked copy; if parking fails it goes back on its queue and comes again.
"""
from __future__ import annotations

import logging
from typing import Any

from kombu import Exchange, Queue
from kombu.message import Message
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.extensions import SharedExtension

from services.shared import clock

log = logging.getLogger(__name__)

HEADER = "x-parked-"


def parking_name(service: str) -> str:
    """The parking queue of ``service`` (and the exchange that leads to it)."""
    return f"parked-{service}"


def parking_queue(service: str) -> Queue:
    """The durable parking queue of ``service``, bound to its own direct exchange."""
    name = parking_name(service)
    return Queue(name, Exchange(name, type="direct", durable=True), routing_key=name,
                 durable=True)


def parking_headers(message: Message, reason: str, service: str, queue: str) -> dict[str, Any]:
    """The message's own headers and what the parked copy says of its refusal."""
    delivery = message.delivery_info or {}
    return {
        **(message.headers or {}),
        HEADER + "reason": reason,
        HEADER + "exchange": delivery.get("exchange", ""),
        HEADER + "routing-key": delivery.get("routing_key", ""),
        HEADER + "queue": queue,
        HEADER + "by": service,
        HEADER + "at": clock.iso(clock.now()),
    }


class ParkingLot(SharedExtension):
    """One per service container, shared by its event handlers: ``park`` moves a message
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

    def park(self, body: Any, message: Message, reason: str, queue: str) -> None:
        """Put ``body`` (as it came in ``message`` from ``queue``) on the parking queue with
        ``reason``; raises when the broker did not take it."""
        headers = parking_headers(message, reason, self.service, queue)
        self.publisher.publish(body, headers=headers, exchange=self.queue.exchange,
                               routing_key=self.queue.routing_key)
        log.warning("parked a message from %s (routing key %s) in %s: %s",
                    headers[HEADER + "exchange"] or "the default exchange",
                    headers[HEADER + "routing-key"], self.queue.name, reason)
