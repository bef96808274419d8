"""The ``data`` of every event, one marshmallow schema each: the published contract.

Producers build ``data`` through ``event_data(event_type, **fields)``, which refuses
anything that does not fit, so a malformed event never reaches the outbox. Times are
ISO 8601 UTC text (``clock.iso``).
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from services.shared import clock
from services.shared.schemas import (
    CALLBACK_OUTCOMES, CATEGORIES, CHANNELS, KINDS, PRIORITIES, URGENCIES, AddressSchema,
    CallerSchema,
)


def _iso(text: str) -> None:
    try:
        clock.parse_iso(text)
    except ValueError as exc:
        raise ValidationError("Not an ISO 8601 time.") from exc


def Time(**kwargs) -> fields.String:  # noqa: N802 - reads as a field type
    return fields.String(validate=_iso, **kwargs)


class Payload(Schema):
    class Meta:
        ordered = True


# intake
class TicketSchema(Payload):
    """A ticket as received: ``ticket_created`` data and ``intake.get_ticket``'s answer."""

    ticket_no = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    caller = fields.Nested(CallerSchema, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    description = fields.String(required=True)
    address = fields.Nested(AddressSchema, required=True)
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    priority_reasons = fields.List(fields.String(), required=True)
    answer = fields.String(allow_none=True, load_default=None)
    external_id = fields.String(allow_none=True, load_default=None)
    status = fields.String(required=True, validate=validate.OneOf(("received", "answered")))
    received_at = Time(required=True)


class TicketAnsweredSchema(Payload):
    answer = fields.String(required=True)


# dispatch
class DeadlinesSchema(Payload):
    accept_by = Time(required=True)
    contact_by = Time(required=True)
    resolve_by = Time(required=True)


class TicketDispatchedSchema(Payload):
    unit_id = fields.String(required=True)
    unit_name = fields.String(required=True)
    routed = fields.Boolean(required=True)  # false: no rule matched, it waits at the centre
    route = fields.String(allow_none=True, load_default=None)  # the place whose rule matched
    reason = fields.String(required=True, validate=validate.OneOf(("routed", "reassigned")))
    previous_unit_id = fields.String(allow_none=True, load_default=None)
    note = fields.String(allow_none=True, load_default=None)  # the centre's word on a reassignment
    category = fields.String(required=True)
    priority = fields.String(required=True)
    deadlines = fields.Nested(DeadlinesSchema, required=True)


class TicketAcceptedSchema(Payload):
    unit_id = fields.String(required=True)


class TicketReturnedSchema(Payload):
    unit_id = fields.String(required=True)  # the unit that sent it back
    reason = fields.String(required=True)


class TicketContactedSchema(Payload):
    unit_id = fields.String(required=True)
    note = fields.String(allow_none=True, load_default=None)


class TicketResolvedSchema(Payload):
    unit_id = fields.String(required=True)
    resolution = fields.String(required=True)
    caller = fields.Nested(CallerSchema, required=True)  # whom the callback phones


class TicketOverdueSchema(Payload):
    unit_id = fields.String(required=True)
    deadline = fields.String(required=True, validate=validate.OneOf(("accept", "contact", "resolve")))
    due_at = Time(required=True)


class TicketClosedSchema(Payload):
    unit_id = fields.String(allow_none=True, load_default=None)
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(("satisfied", "basically_satisfied", "unreachable", "answered")),
    )
    note = fields.String(allow_none=True, load_default=None)


class TicketReopenedSchema(Payload):
    unit_id = fields.String(required=True)
    reopen_count = fields.Integer(required=True)
    note = fields.String(allow_none=True, load_default=None)
    deadlines = fields.Nested(DeadlinesSchema, required=True)


# callback
class CallbackScheduledSchema(Payload):
    task_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("callback",)))
    attempt = fields.Integer(required=True)  # 1 for the first call
    due_at = Time(required=True)


class CallbackCompletedSchema(Payload):
    task_id = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(CALLBACK_OUTCOMES))
    note = fields.String(allow_none=True, load_default=None)
    attempt = fields.Integer(required=True)
    final = fields.Boolean(required=True)  # false: unreachable, another try is scheduled
    worker_id = fields.String(required=True)


EVENT_SCHEMAS: dict[str, type[Payload]] = {
    "ticket_created": TicketSchema,
    "ticket_answered": TicketAnsweredSchema,
    "ticket_dispatched": TicketDispatchedSchema,
    "ticket_accepted": TicketAcceptedSchema,
    "ticket_returned": TicketReturnedSchema,
    "ticket_contacted": TicketContactedSchema,
    "ticket_resolved": TicketResolvedSchema,
    "ticket_overdue": TicketOverdueSchema,
    "ticket_closed": TicketClosedSchema,
    "ticket_reopened": TicketReopenedSchema,
    "callback_scheduled": CallbackScheduledSchema,
    "callback_completed": CallbackCompletedSchema,
}


def event_data(event_type: str, **data) -> dict:
    """``data`` for an event of ``event_type``, checked against its schema.
    A mismatch is a bug in the producer: ValidationError, before anything is written."""
    schema = EVENT_SCHEMAS[event_type]()
    errors = schema.validate(data)
    if errors:
        raise ValidationError(errors)
    return data
