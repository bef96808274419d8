"""The one event envelope, and the name of every event each service says.

Every event on the bus is a JSON object of this shape::

    {"event_id": "…", "event_type": "ticket_created", "schema_version": 1,
     "source": "intake", "occurred_at": "2026-11-23T02:00:00.000Z",
     "caused_by": "<event_id>" | null, "ticket_no": "YP20261123-0001",
     "actor": {…} | null, "data": {…}}

``event_id`` is unique per event: consumers apply an event at most once by it.
nameko publishes each on the exchange ``<source>.events`` with ``event_type`` as the
routing key, persistent and confirmed.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import eventlet
from kombu.message import Message
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from nameko.events import BROADCAST, EventHandler

from services.shared import clock, retries
from services.shared.parking import ParkingLot, ParkingQueueConsumer
from services.shared.payloads import read_data
from services.shared.schemas import ActorSchema

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
ATTEMPTS_CONFIG_KEY = "EVENT_ATTEMPTS"  # how often a handler may fail before its event is parked
CAUSAL_STEP = dt.timedelta(milliseconds=1)

# The event a handler is applying, per worker (green thread under eventlet).
_handling = threading.local()

# What each service says. The ledger records all of them.
INTAKE_EVENTS = ("ticket_created", "ticket_answered", "ticket_merged", "praise_received")
DISPATCH_EVENTS = (
    "ticket_dispatched", "ticket_accepted", "ticket_returned", "ticket_contacted",
    "ticket_resolved", "ticket_overdue", "ticket_closed", "ticket_reopened",
    # supervision
    "ticket_warning", "ticket_urged", "extension_requested", "extension_decided",
    "pause_requested", "pause_decided", "ticket_resumed",
    # joint handling (联勤联动)
    "assist_added", "assist_accepted", "assist_reported", "assist_released",
    # a person of the holding unit answers for it (承办人)
    "ticket_assigned",
    # the ticket's record: internal notes (never published) and attachments (no bytes)
    "note_added", "attachment_added",
    # a resident's card shown on a ticket: the register keeps who looked (no ticket_no in
    # the envelope: the ledger chains it by resident, not into the ticket's timeline)
    "card_shown",
)
CALLBACK_EVENTS = ("callback_scheduled", "callback_completed",
                   "checkin_scheduled", "checkin_answered", "checkin_missed")
REGISTER_EVENTS = ("register_changed",)
ACCOUNTS_EVENTS = ("account_changed", "session_ended")  # accounts of the console (no ticket)
EVENTS_BY_SOURCE = {
    "intake": INTAKE_EVENTS,
    "dispatch": DISPATCH_EVENTS,
    "callback": CALLBACK_EVENTS,
    "register": REGISTER_EVENTS,
    "accounts": ACCOUNTS_EVENTS,
}
"""What the ledger records: every event of every other service (the ledger says none)."""


# Consumers remember the ids of the events they applied, in the document they changed,
# so that a redelivered event finds itself there and changes nothing.
APPLIED = "applied_events"
APPLIED_KEPT = 200


def unapplied(event_id: str) -> dict:
    """Filter clause: the document has not yet applied this event."""
    return {APPLIED: {"$ne": event_id}}


def applied(event_id: str) -> dict:
    """``$push`` clause recording that the document applied this event."""
    return {APPLIED: {"$each": [event_id], "$slice": -APPLIED_KEPT}}


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # newer producers may add envelope fields

    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    schema_version = fields.Integer(required=True)
    source = fields.String(required=True)
    occurred_at = fields.String(required=True, validate=lambda text: bool(clock.parse_iso(text)))
    caused_by = fields.String(allow_none=True, load_default=None)
    ticket_no = fields.String(allow_none=True, load_default=None)
    # The version the change this event reports brought its ticket to, at its source
    # (dispatch's tickets); null where the source keeps no version. See at_version.
    ticket_version = fields.Integer(allow_none=True, load_default=None, strict=True,
                                    validate=validate.Range(min=1))
    actor = fields.Nested(ActorSchema, allow_none=True, load_default=None)
    data = fields.Dict(required=True)


# Every event a service hears is read with it: built once (a schema keeps no state
# between loads, and building one costs more than a load).
_ENVELOPE_SCHEMA = EnvelopeSchema()


class BadEvent(Exception):
    """An event a handler will never apply; its text says why. A consumer parks it
    (services/shared/parking.py)."""


class Examined(dict):
    """An envelope the handler's entrypoint has already examined (see ``examine``): the
    handler applies it as it is, without reading it again."""


def new_event(
    source: str,
    event_type: str,
    data: dict,
    *,
    ticket_no: str | None = None,
    actor: dict | None = None,
    cause: dict | None = None,
) -> dict:
    """A new envelope, JSON-ready, to be written to an outbox and published from there.

    Said while a handler applies another event (its cause), or given ``cause`` (the
    envelope, or its ``event_id`` and ``occurred_at``: an event it follows from that is
    not being handled, as a callback's outcome follows its scheduling), it names that
    event in ``caused_by`` and is stamped at least a millisecond after it: a timeline
    then keeps cause before effect, even when two machines' clocks disagree.
    """
    occurred_at = clock.now()
    if cause is None:
        cause = getattr(_handling, "event", None)
    if cause is not None:
        occurred_at = max(occurred_at, clock.parse_iso(cause["occurred_at"]) + CAUSAL_STEP)
    return {
        "event_id": uuid.uuid4().hex,
        "event_type": event_type,
        "schema_version": SCHEMA_VERSION,
        "source": source,
        "occurred_at": clock.iso(occurred_at),
        "caused_by": cause["event_id"] if cause is not None else None,
        "ticket_no": ticket_no,
        "ticket_version": None,  # stamped by a source that versions its tickets (at_version)
        "actor": actor,
        "data": data,
    }


def as_cause(event: dict) -> dict:
    """What a later event needs of ``event`` to name it as its cause (new_event's
    ``cause``), to be kept until then."""
    return {"event_id": event["event_id"], "occurred_at": event["occurred_at"]}


def at_version(event: dict, version: int) -> dict:
    """``event`` stamped with the version its change brought the ticket to at its source:
    a reader orders that source's events of the ticket by it, whatever their clocks said
    (the ledger's history, record.causal_order)."""
    return {**event, "ticket_version": version}


@contextlib.contextmanager
def handling(event: dict) -> Iterator[None]:
    """While applying ``event``, the events said are its effects (see new_event)."""
    previous = getattr(_handling, "event", None)
    _handling.event = event
    try:
        yield
    finally:
        _handling.event = previous


def read_event(payload: Any) -> dict:
    """The envelope, validated; BadEvent if it is not one."""
    try:
        if not isinstance(payload, dict):
            raise ValidationError("not an object")
        return _ENVELOPE_SCHEMA.load(payload)
    except (ValidationError, ValueError) as exc:
        raise BadEvent(f"malformed envelope: {exc}") from None


def exchange_of(source: str) -> str:
    """The exchange ``source``'s events come through (nameko's ``<service>.events``)."""
    return f"{source}.events"


def examine(payload: Any, source: str, event_type: str, *, as_said: bool = False,
            exchange: str | None = None) -> dict:
    """The event as a handler of ``source``'s ``event_type`` applies it: the envelope read,
    its ``data`` read with the event's schema unless ``as_said``. BadEvent, saying why,
    when it is not one to apply: a malformed envelope; one that came through another
    exchange than ``<source>.events`` (``exchange``, when known), or that claims another
    source or type than the exchange and routing key it came through (only ``source``
    may publish to ``<source>.events``, so a claim of another source is forged); data that
    does not fit."""
    event = read_event(payload)
    expected = exchange_of(source)
    if exchange is not None and exchange != expected:
        raise BadEvent(f"came through exchange {exchange!r}, not {expected!r}")
    if event["source"] != source:
        raise BadEvent(f"source {event['source']!r} does not match exchange {expected!r}")
    if event["event_type"] != event_type:
        raise BadEvent(f"event_type {event['event_type']!r} does not match routing key "
                       f"{event_type!r}")
    if not as_said:
        try:
            event = {**event, "data": read_data(event_type, event["data"])}
        except ValidationError as exc:
            raise BadEvent(f"data does not fit {event_type}: {exc.messages}") from None
    return event


class EnvelopeHandler(EventHandler):
    """nameko's event handler that examines each message before a worker sees it: a
    message that is not an event to apply (``examine``) is parked with the reason
    (parking.ParkingLot) and nothing of it is applied; the others reach the handler
    already examined. A message whose body cannot be decoded is parked too
    (parking.ParkingQueueConsumer).

    An event whose handler fails comes again after a pause, and is parked once it has
    failed ``EVENT_ATTEMPTS`` times (config, default 5) of its own fault; failures because
    its store or another service is away are not counted (services/shared/retries.py).
    The tries are counted in the process: a restarted service starts counting again.
    The pause is spent outside the worker pool, so the service's other messages and RPCs
    go on meanwhile; the message stays unacknowledged (held by this copy: should it die,
    the broker gives it to another) and is tried again here."""

    queue_consumer = ParkingQueueConsumer()
    parking = ParkingLot()

    def __init__(self, source_service: str, event_type: str, *, as_said: bool = False,
                 **kwargs: Any) -> None:
        self.as_said = as_said
        self.attempts = retries.DEFAULT_ATTEMPTS
        self.tries = retries.Memory()
        self.stopping = False
        super().__init__(source_service, event_type, **kwargs)

    def setup(self) -> None:
        self.attempts = max(1, int(self.container.config.get(ATTEMPTS_CONFIG_KEY)
                                   or retries.DEFAULT_ATTEMPTS))
        super().setup()

    def stop(self) -> None:
        self.stopping = True  # a held event is not tried again here: it returns to its queue
        super().stop()

    def handle_message(self, body: Any, message: Message) -> None:
        try:
            event = examine(body, self.source_service, self.event_type, as_said=self.as_said,
                            exchange=(message.delivery_info or {}).get("exchange"))
        except BadEvent as refusal:
            self.parking.park_or_requeue(message, str(refusal), self.queue.name,
                                         self.queue_consumer)
            return
        super().handle_message(Examined(event), message)

    def handle_result(self, message: Message, worker_ctx: Any, result: Any = None,
                      exc_info: Any = None) -> tuple[Any, Any]:
        """Acknowledge an applied event; park one that failed its last attempt; try any
        other failed one again after its pause (retries.after_failure)."""
        key = _event_id(worker_ctx)
        if exc_info is None:
            self.tries.forget(key)
            self.queue_consumer.ack_message(message)
            return result, exc_info
        error, away = exc_info[1], retries.is_away(exc_info[1])
        tries, pause = retries.after_failure(self.tries.get(key), away, self.attempts)
        if pause is None:
            self.tries.forget(key)
            self.parking.park_or_requeue(message, retries.failure_words(error, tries),
                                         self.queue.name, self.queue_consumer,
                                         attempts=tries.failed)
            return result, exc_info
        self.tries.put(key, tries)
        log.warning("%s %s failed (%s): %s: %s; it comes again in %g s", self.event_type, key,
                    "not counted: something it needs is away" if away
                    else f"attempt {tries.failed} of {self.attempts}",
                    type(error).__name__, error, pause)
        self.container.spawn_managed_thread(
            functools.partial(self._again, message, pause, retries.give_back(tries)),
            identifier=f"again[{self.queue.name}]")
        return result, exc_info

    def _again(self, message: Message, pause: float, give_back: bool = False) -> None:
        # Tried again here, the message held all along: given back to the broker it would
        # count as a delivery that failed, and a quorum queue dead-letters a message past
        # its delivery limit (deploy/rabbitmq/queues.py), a limit meant for consumers that
        # die holding it, not for a store that is away. Given back now and then all the
        # same (retries.give_back), before the broker's consumer timeout closes the channel.
        eventlet.sleep(pause)
        if self.stopping or not channel_alive(message):
            # stopping, it returns to the queue as the connection closes; on a channel that
            # died, the broker has given it to a consumer again already
            return
        if give_back:
            self.queue_consumer.requeue_message(message)
            return
        self.handle_message(message.payload, message)


def channel_alive(message: Message) -> bool:
    """Whether the channel ``message`` came on is still open (its acknowledgement would
    count)."""
    channel = getattr(message, "channel", None)
    return bool(channel is not None and getattr(channel, "is_open", False)
                and getattr(channel, "connection", None) is not None)


def _event_id(worker_ctx: Any) -> str:
    """The id of the event a worker applied (its examined envelope's)."""
    args: tuple = getattr(worker_ctx, "args", None) or ({},)
    return str(args[0].get("event_id") if isinstance(args[0], dict) else None)


def on_event(source: str, event_type: str, *, as_said: bool = False, broadcast: bool = False,
             handler_class: type[EnvelopeHandler] = EnvelopeHandler):
    """Declare a nameko handler of one event type. The method receives the validated
    envelope, its ``data`` read with the event's schema (payloads.read_data: fields a newer
    producer added are left out), or, with ``as_said``, the data as it was said (the ledger
    records it so).

    A message that is no event to apply (``examine``: malformed, forged source, data that
    does not fit) is parked in the service's parking queue with the reason and logged at
    WARNING (EnvelopeHandler); called directly (unit tests), the method logs and ignores
    it. An exception while applying a good one has it tried again after a
    pause (1, 2, 4… s), so a storage outage delays events instead of losing them; handlers
    must therefore be idempotent on ``event_id``. An event that fails ``EVENT_ATTEMPTS``
    times (default 5) of its own fault is parked with the last error, so one bad event
    never holds up the others; failures because the store or another service is away are
    not counted (services/shared/retries.py).

    With ``broadcast``, every running copy of the service hears each event (a queue of its
    own, gone with it): for what each process keeps in memory, such as ended sessions.

    ``handler_class``: an EnvelopeHandler that brings more along (revocation.py's catches
    up at start).
    """
    def decorator(method):
        @functools.wraps(method)
        def handler(self, payload):
            if isinstance(payload, Examined):
                event = dict(payload)
            else:
                try:
                    event = examine(payload, source, event_type, as_said=as_said)
                except BadEvent as refusal:
                    log.error("ignored a %s.%s event: %s", source, event_type, refusal)
                    return None
            with handling(event):
                return method(self, event)

        delivery: dict[str, Any] = ({"handler_type": BROADCAST, "reliable_delivery": False}
                                    if broadcast else {})
        return handler_class.decorator(source, event_type, as_said=as_said,
                                       requeue_on_error=True, **delivery)(handler)

    return decorator
