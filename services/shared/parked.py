"""What lies in the parking queues, for the operator (``hotline-admin parked``): how many
each holds, each message's reason and origin, replaying one on the exchange it came
through, dropping one. Connected as the operator's broker user, which may read, take and
put back the messages of every ``parked-<service>`` and publish to the ``<service>.events``
exchanges, nothing else (deploy/rabbitmq/permissions.py).

Reading leaves the queue as it was: messages are taken unacknowledged and given back (in
their order) when the channel closes. A replayed message is acknowledged on the parking
queue only once the broker has confirmed it on its exchange (publisher confirms,
mandatory: a message no queue would take stays parked), so none is lost; a crash in
between leaves it both replayed and parked, and replaying it again does no harm, as
consumers apply an event at most once by its id.
"""
from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from amqp.exceptions import NotFound
from kombu import Connection
from nameko.amqp.publish import Publisher, UndeliverableMessage

from services.shared.parking import HEADER, SERVICES, UNKNOWN_CONTENT, parking_name

RPC_EXCHANGE = "nameko-rpc"


@dataclass
class Parked:
    """One parked message as the operator sees it."""

    tag: int
    body: bytes
    content_type: str | None
    content_encoding: str | None
    headers: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, message: Any) -> Parked:
        body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
        return cls(message.delivery_info["delivery_tag"], body,
                   message.properties.get("content_type"),
                   message.properties.get("content_encoding"), dict(message.headers or {}))

    def parked(self, name: str) -> Any:
        """An ``x-parked-`` header of it ("" when absent)."""
        return self.headers.get(HEADER + name, "")

    @property
    def envelope(self) -> dict:
        """Its body read as a JSON object ({} when it is none)."""
        try:
            body = json.loads(self.body)
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    @property
    def event_id(self) -> str | None:
        value = self.envelope.get("event_id")
        return value if isinstance(value, str) else None

    @property
    def event_type(self) -> str | None:
        value = self.envelope.get("event_type")
        return value if isinstance(value, str) else None

    def not_replayable(self) -> str | None:
        """Why it cannot be replayed, or None: only what came through an events exchange
        goes back (an RPC request's caller stopped waiting long ago)."""
        exchange = self.parked("exchange")
        if exchange == RPC_EXCHANGE:
            return "an RPC request: its caller no longer waits; drop it"
        if not str(exchange).endswith(".events"):
            return f"came through {exchange or 'no exchange'!r}, not an events exchange"
        return None

    def replay_headers(self) -> dict[str, Any]:
        """Its headers as it came, without what parking added."""
        return {name: value for name, value in self.headers.items()
                if not name.startswith(HEADER)}


def counts(amqp_uri: str, services: tuple[str, ...] = SERVICES) -> dict[str, int | None]:
    """How many messages each service's parking queue holds; None for a queue not declared
    yet (the service never parked anything)."""
    found: dict[str, int | None] = {}
    with Connection(amqp_uri, connect_timeout=10) as connection:
        for service in services:
            channel = connection.channel()  # a passive declare of a missing queue closes it
            try:
                found[service] = channel.queue_declare(parking_name(service),
                                                       passive=True).message_count
            except NotFound:
                found[service] = None
            else:
                channel.close()
    return found


class Lot:
    """One service's parking queue on an open channel: ``take`` gets its messages
    unacknowledged, ``remove`` acknowledges one (gone), and every other one taken goes
    back to the queue, in its place, when the channel closes."""

    def __init__(self, connection: Connection, service: str) -> None:
        self.queue = parking_name(service)
        self.channel = connection.channel()
        try:
            self.count = self.channel.queue_declare(self.queue, passive=True).message_count
        except NotFound:
            self.count = 0
            self.channel = connection.channel()

    def take(self, limit: int | None = None) -> Iterator[Parked]:
        """The messages of the queue, oldest first: at most ``limit``, and no more than it
        held when opened (those parked since are left for another time)."""
        wanted = self.count if limit is None else min(limit, self.count)
        for _ in range(wanted):
            message = self.channel.basic_get(self.queue, no_ack=False)
            if message is None:
                return
            yield Parked.of(message)

    def remove(self, parked: Parked) -> None:
        self.channel.basic_ack(parked.tag)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.channel.close()


@contextlib.contextmanager
def lot(amqp_uri: str, service: str) -> Iterator[Lot]:
    """``service``'s parking queue, as the operator's broker user of ``amqp_uri``."""
    with Connection(amqp_uri, connect_timeout=10) as connection:
        opened = Lot(connection, service)
        try:
            yield opened
        finally:
            opened.close()


def browse(amqp_uri: str, service: str, limit: int) -> tuple[int, list[Parked]]:
    """How many messages the queue holds, and the first ``limit`` of them, left there."""
    with lot(amqp_uri, service) as opened:
        return opened.count, list(opened.take(limit))


@dataclass
class Outcome:
    """What a replay or a drop did: the messages acted on, those matched but left (and
    why), how many matched (0: the one asked for with ``--id`` was not there), and the
    error that stopped a replay (the message it was at stays parked)."""

    done: list[Parked] = field(default_factory=list)
    left: list[tuple[Parked, str]] = field(default_factory=list)
    matched: int = 0
    error: str | None = None


def _chosen(parked: Parked, event_id: str | None) -> bool:
    return event_id is None or parked.event_id == event_id


def replay(amqp_uri: str, service: str, event_id: str | None = None) -> Outcome:
    """Put the parked messages of ``service`` (all, or those of event ``event_id``) back on
    the exchange each came through, under the routing key it had, with its own body,
    content type and headers (less those parking added); each is removed from the
    parking queue once the broker confirmed it. One the broker did not take stays parked,
    and the replay stops there (``Outcome.error`` says why)."""
    outcome = Outcome()
    publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True, retry=False)
    with lot(amqp_uri, service) as opened:
        for parked in opened.take():
            if not _chosen(parked, event_id):
                continue
            outcome.matched += 1
            why_not = parked.not_replayable()
            if why_not is not None:
                outcome.left.append((parked, why_not))
                continue
            try:
                publisher.publish(parked.body, exchange=parked.parked("exchange"),
                                  routing_key=parked.parked("routing-key"),
                                  headers=parked.replay_headers(),
                                  content_type=parked.content_type or UNKNOWN_CONTENT,
                                  content_encoding=parked.content_encoding or "binary")
            except UndeliverableMessage:
                outcome.error = (f"no queue takes {parked.parked('routing-key')!r} on "
                                 f"{parked.parked('exchange')!r}; it stays parked")
                break
            except Exception as error:  # refused, or the broker went away: it stays parked
                outcome.error = f"{type(error).__name__}: {error}; it stays parked"
                break
            opened.remove(parked)
            outcome.done.append(parked)
    return outcome


def drop(amqp_uri: str, service: str, event_id: str | None = None) -> Outcome:
    """Remove the parked messages of ``service`` (all, or those of event ``event_id``)."""
    outcome = Outcome()
    with lot(amqp_uri, service) as opened:
        for parked in opened.take():
            if _chosen(parked, event_id):
                outcome.matched += 1
                opened.remove(parked)
                outcome.done.append(parked)
    return outcome
