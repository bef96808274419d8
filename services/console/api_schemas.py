"""What the JSON API takes and gives (marshmallow; flask-smorest writes them into
/api/openapi.json). Requests the services define already (a new ticket, a new user, the
changes to one, the directory) use the services' own schemas; the rest are here.

Times are ISO 8601 text in UTC (``2026-11-23T02:00:00.000Z``), as the services give them.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from services.dispatch.accounts import PEOPLE_ROLES
from services.dispatch.steps import STATES
from services.ledger.indicators import GROUPS, INTERVALS
from services.shared import clock
from services.shared.payloads import DEADLINE_NAMES as DEADLINES
from services.shared.payloads import DeadlinesSchema, TicketSchema
from services.shared.schemas import (
    CATEGORIES, KINDS, LONG_TEXT, PRIORITIES, SHORT_TEXT, URGENCIES, AddressSchema,
    CallerSchema, StrictSchema, Text,
)

UNIT_ID = validate.Length(min=1, max=64)


def Time(**kwargs) -> fields.String:  # noqa: N802 - reads as a field type
    """A time the services gave, passed on as they wrote it (ISO 8601, UTC)."""
    return fields.String(metadata={"format": "date-time"}, **kwargs)


class IsoTime(fields.String):
    """A time a caller sends: ISO 8601 with a zone (``2026-11-25T10:00:00+08:00``; without
    one it is UTC), passed on to the services as UTC text."""

    def __init__(self, metadata: dict | None = None, **kwargs):
        super().__init__(metadata={"format": "date-time", **(metadata or {})}, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return clock.iso(clock.parse_iso(text.strip()))
        except (ValueError, OverflowError) as exc:
            raise ValidationError("Not an ISO 8601 time.") from exc


class Day(fields.String):
    """A Shanghai calendar day (``2026-11-23``), or a time at 00:00 Shanghai."""

    def __init__(self, metadata: dict | None = None, **kwargs):
        super().__init__(metadata={"format": "date", "example": "2026-11-23", **(metadata or {})},
                         **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            clock.local(clock.parse_iso(text))  # the ledger says whether it is a whole day
        except (ValueError, OverflowError) as exc:
            raise ValidationError("Not a date (2026-11-23) or an ISO 8601 time.") from exc
        return text


# Who is calling
class IdentitySchema(Schema):
    """The person an API token was issued to; every action is recorded as theirs."""

    id = fields.String(required=True)
    username = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(PEOPLE_ROLES))
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)


# Tickets
class CreatedTicketSchema(TicketSchema):
    """The ticket a call made, or the open ticket it was merged into (``merged``)."""

    merged = fields.Boolean(required=True)


class MissedDeadlineSchema(Schema):
    deadline = fields.String(required=True, validate=validate.OneOf(DEADLINES))
    due_at = Time(required=True)


class TicketStatusSchema(Schema):
    """A ticket's state now, as dispatch keeps it. ``caller_in_full`` false: the caller's
    phone and room are masked (138****5678), as everything else shown about them."""

    ticket_no = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    routed = fields.Boolean()
    route = fields.String(allow_none=True)
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    kind = fields.String(validate=validate.OneOf(KINDS))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    urgency = fields.String(validate=validate.OneOf(URGENCIES))
    calls = fields.Integer(metadata={"description": "calls about it, repeats merged in"})
    caller_in_full = fields.Boolean(required=True)
    caller = fields.Nested(CallerSchema)
    address = fields.Nested(AddressSchema)
    description = fields.String()
    deadlines = fields.Nested(DeadlinesSchema, allow_none=True)
    met = fields.List(fields.String())
    warned = fields.List(fields.Raw())
    overdue = fields.List(fields.Nested(MissedDeadlineSchema))
    paused = fields.Boolean()
    paused_hours = fields.Float()
    extensions = fields.List(fields.Dict(), metadata={"description": "extension requests"})
    pauses = fields.List(fields.Dict(), metadata={"description": "pause requests"})
    urges = fields.List(fields.Dict(),
                        metadata={"description": "{at, by, unit_id, note, deadline}"})
    assists = fields.List(fields.Dict(), metadata={"description": "assisting units (联勤联动)"})
    reopen_count = fields.Integer()
    outcome = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    last_note = fields.String(allow_none=True)
    received_at = Time(allow_none=True)
    dispatched_at = Time(allow_none=True)
    updated_at = Time(allow_none=True)
    version = fields.Integer()


class QueueItemSchema(TicketStatusSchema):
    role = fields.String(required=True, validate=validate.OneOf(("lead", "assist")))


class TimelineEntrySchema(Schema):
    """One recorded step; ``data`` masked alike when ``caller_in_full`` is false."""

    seq = fields.Integer(allow_none=True)
    event_id = fields.String(required=True)
    ticket_no = fields.String(allow_none=True)
    event_type = fields.String(required=True)
    source = fields.String(required=True)
    occurred_at = Time(required=True)
    recorded_at = Time(allow_none=True)
    actor = fields.Dict(allow_none=True)
    data = fields.Dict()
    summary = fields.String(metadata={"description": "the step in a Chinese sentence"})


class TicketFileSchema(Schema):
    """Everything about one ticket: as received, its state now (null until dispatch has
    it, and for praise calls, which are not handled), and its timeline."""

    ticket = fields.Nested(TicketSchema, required=True)
    status = fields.Nested(TicketStatusSchema, allow_none=True, required=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema), required=True)
    caller_in_full = fields.Boolean(required=True)


class QueueQuerySchema(Schema):
    state = fields.List(fields.String(validate=validate.OneOf(STATES)),
                        metadata={"description": "only these states (repeat to name several)"})


# Steps on a ticket
def Note(**kwargs) -> Text:  # noqa: N802 - reads as a field type
    return Text(validate=LONG_TEXT, **kwargs)


class ReturnBody(StrictSchema):
    reason = Note(required=True)


class ContactBody(StrictSchema):
    note = Note(load_default=None, allow_none=True)


class ResolveBody(StrictSchema):
    resolution = Note(required=True)


class UnitBody(ContactBody):
    unit_id = Text(required=True, validate=UNIT_ID)


class UrgeBody(StrictSchema):
    note = Note(required=True)


class ExtensionBody(StrictSchema):
    until = IsoTime(required=True)
    reason = Note(required=True)
    deadline = fields.String(load_default="resolve", validate=validate.OneOf(DEADLINES))


class DecisionBody(ContactBody):
    approve = fields.Boolean(required=True, truthy={True}, falsy={False})


class PauseBody(StrictSchema):
    reason = Note(required=True)
    resume_on = IsoTime(load_default=None, allow_none=True)


class ReportBody(StrictSchema):
    report = Note(required=True)


# Supervision and indicators
class SupervisionItemSchema(Schema):
    ticket_no = fields.String(required=True)
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    deadline = fields.String(validate=validate.OneOf(DEADLINES))
    due_at = Time(allow_none=True)
    priority = fields.String()
    category = fields.String()
    hours_late = fields.Float()
    hours_left = fields.Float()
    reason = fields.String()
    requested_at = Time()
    requested_by = fields.Dict()
    until = Time()
    resume_on = Time(allow_none=True)


class SupervisionSchema(Schema):
    overdue = fields.List(fields.Nested(SupervisionItemSchema), required=True)
    warning = fields.List(fields.Nested(SupervisionItemSchema), required=True)
    extensions = fields.List(fields.Nested(SupervisionItemSchema), required=True)
    pauses = fields.List(fields.Nested(SupervisionItemSchema), required=True)


class IndicatorsQuerySchema(Schema):
    start = Day(required=True)
    end = Day(required=True, metadata={"description": "excluded"})
    group_by = fields.List(fields.String(validate=validate.OneOf(GROUPS)),
                           metadata={"description": "repeat to group by several"})
    interval = fields.String(validate=validate.OneOf(INTERVALS))


class PeriodSchema(Schema):
    start = Time()
    end = Time()
    first_day = fields.String()
    last_day = fields.String()


class IndicatorsSchema(Schema):
    """The figures (services/ledger/indicators.py defines each): ``rows`` per group,
    ``totals``, per ``units``, and tickets ``by_state``."""

    period = fields.Nested(PeriodSchema)
    group_by = fields.List(fields.String())
    interval = fields.String(allow_none=True)
    rows = fields.List(fields.Dict())
    totals = fields.Dict()
    units = fields.Dict()
    by_state = fields.Dict()


# Accounts
class TokenViewSchema(Schema):
    token_id = fields.String(required=True)
    name = fields.String(required=True)
    created_at = Time()
    last_used_at = Time(allow_none=True)


class UserProfileSchema(IdentitySchema):
    active = fields.Boolean()
    created_at = Time()
    updated_at = Time()
    last_login_at = Time(allow_none=True)
    locked_until = Time(allow_none=True)
    tokens = fields.List(fields.Nested(TokenViewSchema))


class TokenRequestSchema(StrictSchema):
    name = Text(required=True, validate=SHORT_TEXT,
                metadata={"description": "what the token is for, e.g. 工单同步脚本"})


class IssuedTokenSchema(TokenViewSchema):
    token = fields.String(required=True, metadata={"description": "shown this once only"})
