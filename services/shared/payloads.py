"""The ``data`` of every event, one marshmallow schema each: the published contract.

Producers build ``data`` through ``event_data(event_type, **fields)``, which refuses
anything that does not fit, so a malformed event never reaches the outbox. Times are
ISO 8601 UTC text (``clock.iso``).
"""
from __future__ import annotations

import functools
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from services.shared import clock
from services.shared.schemas import (
    CALLBACK_OUTCOMES,
    CATEGORIES,
    CHANNELS,
    KINDS,
    PRIORITIES,
    SYSTEM_CHANNELS,
    URGENCIES,
    AddressSchema,
    BirthDate,
    CallerSchema,
)
from services.shared.states import INTAKE_STATUSES


def _iso(text: str) -> None:
    try:
        clock.parse_iso(text)
    except ValueError as exc:
        raise ValidationError("Not an ISO 8601 time.") from exc


def Time(*, metadata: dict | None = None, **kwargs: Any) -> fields.String:  # noqa: N802
    """ISO 8601 text in UTC (``2026-11-23T02:00:00.000Z``), in events and answers alike."""
    return fields.String(validate=_iso, metadata={"format": "date-time", **(metadata or {})},
                         **kwargs)


class Payload(Schema):
    class Meta:
        ordered = True


# register: the register of vulnerable residents (台账)
LIVING_STATUSES = ("alone", "empty_nest", "with_family")  # 独居, 空巢, 与家人同住


class EmergencyContactSchema(Payload):
    name = fields.String(required=True)
    relation = fields.String(allow_none=True, load_default=None)
    phone = fields.String(required=True)  # E.164


class CheckinPlanSchema(Payload):
    """When the callback workers phone the resident to check on them (e.g. every day at
    10:00 and 15:00, Shanghai time). ``days`` are ISO weekdays, 1 = Monday."""

    days = fields.List(fields.Integer(validate=validate.Range(1, 7)), required=True)
    times = fields.List(fields.String(), required=True)  # "HH:MM"
    paused = fields.Boolean(load_default=False)  # hospital stay, travel: kept, not called
    paused_until = fields.String(allow_none=True, load_default=None)  # ISO date, optional


class ResidentCardSchema(Payload):
    """What the register says of a resident, as other services may use it: the
    card a handler sees, and what intake and callback act on. Never health notes: they
    stay in the register, which records every read of them (register.get_resident)."""

    resident_id = fields.String(required=True)
    name = fields.String(required=True)
    phones = fields.List(fields.String(), required=True)  # E.164
    address = fields.Nested(AddressSchema, required=True)
    # at the precision known: 1927-03-05, 1927-03 or 1927 (services/shared/births.py)
    birth_date = BirthDate(allow_none=True, load_default=None)
    living_status = fields.String(allow_none=True, load_default=None,
                                  validate=validate.OneOf(LIVING_STATUSES))
    groups = fields.List(fields.String(), load_default=list)
    emergency_contacts = fields.List(fields.Nested(EmergencyContactSchema), load_default=list)
    grid_unit_id = fields.String(allow_none=True, load_default=None)
    grid_worker = fields.String(allow_none=True, load_default=None)
    checkin_plan = fields.Nested(CheckinPlanSchema, allow_none=True, load_default=None)
    retired = fields.Boolean(load_default=False)  # kept in the record, no longer served


CARD_FIELDS = tuple(ResidentCardSchema._declared_fields)


def resident_card(card: dict) -> dict:
    """Of a resident's card as a service kept it, the fields ResidentCardSchema has: what
    may go on in a ticket or an event. A copy kept before health notes left the card
    loses them here, so it still fits the schema when said again."""
    return {name: card[name] for name in CARD_FIELDS if name in card}


class CardShownSchema(Payload):
    """A resident's card was shown on a ticket to the envelope's actor (dispatch's ticket
    view): the register records it among the card's views."""

    resident_id = fields.String(required=True)
    ticket_no = fields.String(required=True)
    level = fields.String(required=True, validate=validate.OneOf(("card", "card_summary")))


class RegisterChangedSchema(Payload):
    """A resident was added, changed or retired: ``resident`` is the card as it now is."""

    change = fields.String(required=True, validate=validate.OneOf(("added", "changed", "retired")))
    resident = fields.Nested(ResidentCardSchema, required=True)
    version = fields.Integer(required=True)  # consumers keep the highest version they saw



# intake
class TicketSchema(Payload):
    """A ticket as received: ``ticket_created`` data and ``intake.get_ticket``'s answer."""

    ticket_no = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS + SYSTEM_CHANNELS))
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
    media_url = fields.String(allow_none=True, load_default=None)  # a photo the caller sent
    # received: goes to dispatch; answered: a consultation answered on the spot;
    # praise: a praise call, credited and not handled (dispatch never sees it)
    status = fields.String(required=True, validate=validate.OneOf(INTAKE_STATUSES))
    received_at = Time(required=True)
    calls = fields.Integer(load_default=1)  # calls about this matter, repeats merged in included
    # {ticket_no, unit_id} of a praise call
    praise = fields.Dict(allow_none=True, load_default=None)
    # the caller found in the register (一号专线), or the resident a missed check-in is about:
    # the card the handler sees, emergency contacts in hand
    resident = fields.Nested(ResidentCardSchema, allow_none=True, load_default=None)


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


DEADLINE_NAMES = ("accept", "contact", "resolve")


def OnTime() -> fields.Boolean:  # noqa: N802 - reads as a field type
    """Whether the step met its deadline as it stood then (extensions and pauses counted);
    null where no deadline applied."""
    return fields.Boolean(allow_none=True, load_default=None)


class TicketAcceptedSchema(Payload):
    unit_id = fields.String(required=True)
    on_time = OnTime()


class TicketReturnedSchema(Payload):
    unit_id = fields.String(required=True)  # the unit that sent it back
    reason = fields.String(required=True)


class TicketContactedSchema(Payload):
    unit_id = fields.String(required=True)
    note = fields.String(allow_none=True, load_default=None)
    on_time = OnTime()


class TicketResolvedSchema(Payload):
    unit_id = fields.String(required=True)
    resolution = fields.String(required=True)
    caller = fields.Nested(CallerSchema, required=True)  # whom the callback phones
    on_time = OnTime()
    due_at = Time(allow_none=True, load_default=None)  # the resolve deadline in force
    # all the time the resolve clock stood still (挂起) since the ticket was received,
    # over every dispatch of it: hours to resolve leave it out
    paused_hours = fields.Float(load_default=0.0)


class TicketOverdueSchema(Payload):
    unit_id = fields.String(required=True)
    deadline = fields.String(required=True, validate=validate.OneOf(DEADLINE_NAMES))
    due_at = Time(required=True)


class TicketWarningSchema(Payload):
    """A deadline is near: ``share`` of its window has passed (default 0.8)."""

    unit_id = fields.String(required=True)
    deadline = fields.String(required=True, validate=validate.OneOf(DEADLINE_NAMES))
    due_at = Time(required=True)
    share = fields.Float(required=True)


class TicketUrgedSchema(Payload):
    """A supervisor chased the holding unit (督办)."""

    unit_id = fields.String(required=True)
    note = fields.String(required=True)
    deadline = fields.String(allow_none=True, load_default=None,
                             validate=validate.OneOf(DEADLINE_NAMES))


class ExtensionRequestedSchema(Payload):
    """The holding unit asks for more time (延期申请)."""

    unit_id = fields.String(required=True)
    deadline = fields.String(required=True, validate=validate.OneOf(DEADLINE_NAMES))
    due_at = Time(required=True)  # the deadline as it stands
    until = Time(required=True)   # the deadline asked for
    reason = fields.String(required=True)


class ExtensionDecidedSchema(Payload):
    unit_id = fields.String(required=True)
    deadline = fields.String(required=True, validate=validate.OneOf(DEADLINE_NAMES))
    approved = fields.Boolean(required=True)
    due_at = Time(required=True)  # the deadline after the decision
    until = Time(required=True)   # what was asked for
    note = fields.String(allow_none=True, load_default=None)


class PauseRequestedSchema(Payload):
    """The work waits on the caller (挂起): the unit asks to stop the resolve clock."""

    unit_id = fields.String(required=True)
    reason = fields.String(required=True)
    resume_on = Time(allow_none=True, load_default=None)  # null: until the unit resumes it


class PauseDecidedSchema(Payload):
    unit_id = fields.String(required=True)
    approved = fields.Boolean(required=True)
    note = fields.String(allow_none=True, load_default=None)
    resume_on = Time(allow_none=True, load_default=None)


class TicketResumedSchema(Payload):
    unit_id = fields.String(required=True)
    paused_hours = fields.Float(required=True)  # this pause's length
    due_at = Time(required=True)                # the resolve deadline, moved by the pause
    by = fields.String(required=True, validate=validate.OneOf(("date", "request")))


class AssistSchema(Payload):
    """Joint handling (联勤联动): ``unit_id`` is the assisting unit."""

    unit_id = fields.String(required=True)
    unit_name = fields.String(allow_none=True, load_default=None)  # as a history says it
    lead_unit_id = fields.String(required=True)
    note = fields.String(allow_none=True, load_default=None)


class TicketAssignedSchema(Payload):
    """A person of the holding unit answers for the ticket now (承办人): they took it
    themselves (接单, ``taken``) or were given it (指派) by ``by``. A reassignment to
    another unit, or a return to the centre, leaves it with nobody."""

    unit_id = fields.String(required=True)        # the unit holding it, the assignee's
    assignee = fields.String(required=True)       # the username
    assignee_name = fields.String(required=True)
    previous_assignee = fields.String(allow_none=True, load_default=None)
    by = fields.String(required=True)             # who gave it (the envelope's actor's id)
    by_name = fields.String(allow_none=True, load_default=None)
    taken = fields.Boolean(required=True)         # the assignee took it themselves


class NoteAddedSchema(Payload):
    """An internal note between staff (内部备注) on the ticket: for those who may read the
    ticket, never for the public feed nor the caller."""

    unit_id = fields.String(allow_none=True, load_default=None)  # the lead unit then
    note_id = fields.String(required=True)
    note = fields.String(required=True)


ATTACHMENT_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class AttachmentAddedSchema(Payload):
    """A photo or document was attached to the ticket (现场照片): what it is, never its
    bytes (dispatch keeps them; get_attachment reads them)."""

    unit_id = fields.String(allow_none=True, load_default=None)  # the lead unit then
    attachment_id = fields.String(required=True)
    name = fields.String(required=True)
    content_type = fields.String(required=True, validate=validate.OneOf(ATTACHMENT_TYPES))
    size = fields.Integer(required=True)
    step = fields.String(allow_none=True, load_default=None)  # resolve, or null: on its own


class TicketMergedSchema(Payload):
    """A repeat call (重复件) merged into the open ticket this envelope names."""

    caller = fields.Nested(CallerSchema, required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    description = fields.String(required=True)
    match = fields.String(required=True, validate=validate.OneOf(("same_caller", "same_place")))
    similarity = fields.Float(required=True)  # 0..100
    calls = fields.Integer(required=True)     # calls about this matter so far, the first included
    external_id = fields.String(allow_none=True, load_default=None)


class PraiseReceivedSchema(Payload):
    """A praise call (表扬), credited to a unit: the one named, or the praised ticket's."""

    praised_ticket_no = fields.String(allow_none=True, load_default=None)
    praised_unit_id = fields.String(allow_none=True, load_default=None)
    caller = fields.Nested(CallerSchema, required=True)
    description = fields.String(required=True)


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


# accounts: the accounts of the console's people and programs
ACCOUNT_CHANGES = ("created", "changed", "password_changed", "token_issued", "token_revoked",
                   "locked")


class AccountChangedSchema(Payload):
    """An account of the console changed (who changed it is the envelope's actor; a lock
    after failed sign-ins is the system's). ``role`` and ``unit_id`` are the account's as
    it now is. Never a password, a hash or a token's secret."""

    username = fields.String(required=True)
    change = fields.String(required=True, validate=validate.OneOf(ACCOUNT_CHANGES))
    role = fields.String(required=True)
    unit_id = fields.String(allow_none=True, load_default=None)
    token_id = fields.String(allow_none=True, load_default=None)  # token_issued / token_revoked
    # whether the account may sign in, as it now is (null in events said before this field)
    active = fields.Boolean(allow_none=True, load_default=None)
    # the names of the fields changed (name, role, unit_id, active, password); declared
    # last, since from here on ``fields`` in this class is this field, not marshmallow's
    # (which a schema keeps on each instance: the checker sees the class attribute clash)
    fields = fields.List(fields.String(), required=True)  # type: ignore[assignment]


# Why a console session ended: its user logged out; it was ended by an admin or its user
# (end_sessions); its account was deactivated, its password, role, unit or district
# changed (or it was found from before such a change); it was idle too long, or lived its
# whole lifetime.
SESSION_END_REASONS = ("logout", "ended", "deactivated", "password_changed", "role_changed",
                       "unit_changed", "district_changed", "account_changed", "idle",
                       "expired")


class SessionEndedSchema(Payload):
    """Console sessions of one user ended (who ended them is the envelope's actor; expiry
    is the system's): from now on each is refused. Their ids, never their secrets."""

    username = fields.String(required=True)
    session_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.OneOf(SESSION_END_REASONS))


# callback
class CallbackScheduledSchema(Payload):
    task_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("callback",)))
    attempt = fields.Integer(required=True)  # 1 for the first call
    due_at = Time(required=True)


class CheckinScheduledSchema(Payload):
    """A check-in call on a resident's plan (定时探访电话), due at ``due_at``."""

    task_id = fields.String(required=True)
    resident_id = fields.String(required=True)
    attempt = fields.Integer(required=True)
    due_at = Time(required=True)


class CheckinAnsweredSchema(Payload):
    task_id = fields.String(required=True)
    resident_id = fields.String(required=True)
    attempt = fields.Integer(required=True)
    note = fields.String(allow_none=True, load_default=None)
    worker_id = fields.String(required=True)


class CheckinMissedSchema(Payload):
    """Nobody answered a check-in after the last try: intake opens an urgent welfare check."""

    task_id = fields.String(required=True)
    resident_id = fields.String(required=True)
    attempts = fields.Integer(required=True)
    planned_for = Time(required=True)  # the check-in time on the plan
    resident = fields.Nested(ResidentCardSchema, required=True)


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
    "ticket_warning": TicketWarningSchema,
    "ticket_urged": TicketUrgedSchema,
    "extension_requested": ExtensionRequestedSchema,
    "extension_decided": ExtensionDecidedSchema,
    "pause_requested": PauseRequestedSchema,
    "pause_decided": PauseDecidedSchema,
    "ticket_resumed": TicketResumedSchema,
    "assist_added": AssistSchema,
    "assist_accepted": AssistSchema,
    "assist_reported": AssistSchema,
    "assist_released": AssistSchema,
    "ticket_assigned": TicketAssignedSchema,
    "note_added": NoteAddedSchema,
    "attachment_added": AttachmentAddedSchema,
    "ticket_merged": TicketMergedSchema,
    "praise_received": PraiseReceivedSchema,
    "register_changed": RegisterChangedSchema,
    "card_shown": CardShownSchema,
    "callback_scheduled": CallbackScheduledSchema,
    "callback_completed": CallbackCompletedSchema,
    "checkin_scheduled": CheckinScheduledSchema,
    "checkin_answered": CheckinAnsweredSchema,
    "checkin_missed": CheckinMissedSchema,
    "account_changed": AccountChangedSchema,
    "session_ended": SessionEndedSchema,
}


@functools.cache
def _schema(event_type: str, reading: bool) -> Payload:
    # Built once per event type: building a schema cost more than checking the data.
    if not reading:
        return EVENT_SCHEMAS[event_type]()
    schema = EVENT_SCHEMAS[event_type](unknown=EXCLUDE)
    _tolerant(schema)
    return schema


def _tolerant(schema: Schema) -> None:
    """``schema`` leaving out unknown fields at every depth, not only at the top (a nested
    schema refuses them by default): a field a producer no longer knows (a card's health
    notes, said by a register from before they left it) or not yet, anywhere in ``data``,
    is left out rather than making the whole event unreadable."""
    for field in schema.fields.values():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            inner.unknown = EXCLUDE
            if isinstance(inner.schema, Schema):
                _tolerant(inner.schema)


def event_data(event_type: str, **data) -> dict:
    """``data`` for an event of ``event_type``, checked against its schema.
    A mismatch is a bug in the producer: ValidationError, before anything is written."""
    schema = _schema(event_type, False)
    errors = schema.validate(data)
    if errors:
        raise ValidationError(errors)
    return data


def read_data(event_type: str, data: dict) -> dict:
    """An event's data as a consumer reads it: loaded with the event's schema, fields that
    a newer producer added left out. ValidationError when it does not fit (the consumer
    logs and drops the event: it can never succeed)."""
    return _schema(event_type, True).load(data)
