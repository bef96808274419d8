"""dispatch's answers about tickets: a ticket's state (``get_status`` and every step), a
unit's queue, a dry run of routing and the supervisor's list. The directory it answers is
``services/shared/directory.py``'s.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from services.shared.payloads import (
    ATTACHMENT_TYPES,
    DEADLINE_NAMES,
    DeadlinesSchema,
    ResidentCardSchema,
    Time,
)
from services.shared.schemas import (
    CATEGORIES,
    KINDS,
    PRIORITIES,
    URGENCIES,
    ActorSchema,
    AddressSchema,
    CallerSchema,
)
from services.shared.states import (
    ACTIONS,
    ASSIST_STATUSES,
    EVIDENCE_ACTIONS,
    QUEUE_ROLES,
    REQUEST_STATUSES,
    STATES,
)


def Deadline(**kwargs: Any) -> fields.String:  # noqa: N802 - reads as a field type
    """accept, contact or resolve."""
    return fields.String(validate=validate.OneOf(DEADLINE_NAMES), **kwargs)


def Actor(**kwargs: Any) -> fields.Nested:  # noqa: N802 - reads as a field type
    """Who did it: {id, name, role, unit_id}."""
    return fields.Nested(ActorSchema, **kwargs)


# What hangs on a ticket
class DeadlineDueSchema(Schema):
    """A deadline said near (``warned``) or missed (``overdue``), as it stood then."""

    deadline = Deadline(required=True)
    due_at = Time(required=True)


class RequestSchema(Schema):
    """A unit's request to a supervisor, and the decision on it."""

    reason = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(REQUEST_STATUSES))
    unit_id = fields.String(allow_none=True)
    requested_at = Time(required=True)
    requested_by = Actor(required=True)
    decided_at = Time(allow_none=True)
    decided_by = Actor(allow_none=True)
    note = fields.String(allow_none=True, metadata={"description": "the decision's"})


class ExtensionRequestSchema(RequestSchema):
    """A unit's request for more time (延期) and what became of it."""

    deadline = Deadline(required=True)
    due_at = Time(required=True, metadata={"description": "the deadline when asked"})
    until = Time(required=True, metadata={"description": "the deadline asked for"})


class PauseRequestSchema(RequestSchema):
    """A unit's request to stop the resolve clock (挂起), and the pause it became."""

    resume_on = Time(allow_none=True, metadata={"description": "null: until resumed"})
    since = Time(allow_none=True, metadata={"description": "when the clock stopped"})
    ended_at = Time(allow_none=True)
    hours = fields.Float(allow_none=True, metadata={"description": "how long it held"})
    ended_by = fields.String(allow_none=True, validate=validate.OneOf(("date", "request")))


class UrgeSchema(Schema):
    """A supervisor chasing the holding unit (督办) about the deadline it owed next."""

    at = Time(required=True)
    by = Actor(required=True)
    unit_id = fields.String(allow_none=True)
    note = fields.String(required=True)
    deadline = Deadline(allow_none=True)


class AssistingUnitSchema(Schema):
    """A unit assisting the lead (联勤联动) and how far its part has come."""

    unit_id = fields.String(required=True)
    unit_name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ASSIST_STATUSES))
    note = fields.String(allow_none=True)
    added_at = Time(required=True)
    added_by = Actor(required=True)
    accepted_at = Time(allow_none=True)
    report = fields.String(allow_none=True)
    reported_at = Time(allow_none=True)
    released_at = Time(allow_none=True)


class AssigneeSchema(Schema):
    """The person of the holding unit who answers for the ticket (承办人)."""

    username = fields.String(required=True)
    name = fields.String(required=True)
    at = Time(required=True, metadata={"description": "since when"})
    by = Actor(required=True, metadata={"description": "who gave it: the assignee themself "
                                                       "(接单), a colleague or the centre"})


# A ticket
class TicketViewSchema(Schema):
    """A ticket's state now, as dispatch keeps it. ``caller_in_full`` false: the caller's
    phone and room (and the resident card's phones and room) are masked (138****5678),
    and a console masks everything else it shows of them alike."""

    ticket_no = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    unit_id = fields.String(allow_none=True, metadata={"description": "the lead unit"})
    unit_name = fields.String(allow_none=True)
    routed = fields.Boolean(required=True)
    route = fields.String(allow_none=True, metadata={"description": "the place whose rule "
                                                                    "routed it"})
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    calls = fields.Integer(required=True, metadata={"description": "calls about it, repeats "
                                                                   "merged in"})
    caller_in_full = fields.Boolean(required=True)
    caller = fields.Nested(CallerSchema, required=True)
    address = fields.Nested(AddressSchema, required=True)
    resident = fields.Nested(ResidentCardSchema, allow_none=True, metadata={
        "description": "the register's card of the resident it is about (一号专线, a missed "
                       "check-in)"})
    description = fields.String(required=True)
    deadlines = fields.Nested(DeadlinesSchema, allow_none=True,
                              metadata={"description": "in force: extensions and pauses "
                                                       "moved them"})
    met = fields.List(Deadline(), required=True)
    warned = fields.List(fields.Nested(DeadlineDueSchema), required=True)
    overdue = fields.List(fields.Nested(DeadlineDueSchema), required=True)
    paused = fields.Boolean(required=True)
    paused_hours = fields.Float(required=True)
    extensions = fields.List(fields.Nested(ExtensionRequestSchema), required=True)
    pauses = fields.List(fields.Nested(PauseRequestSchema), required=True)
    urges = fields.List(fields.Nested(UrgeSchema), required=True)
    assists = fields.List(fields.Nested(AssistingUnitSchema), required=True)
    assignee = fields.Nested(AssigneeSchema, allow_none=True, metadata={
        "description": "the person of the holding unit answering for it (承办人); null: "
                       "nobody yet, or the ticket went to another unit"})
    reopen_count = fields.Integer(required=True)
    outcome = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    last_note = fields.String(allow_none=True, metadata={
        "description": "the latest word of people on it: a return's reason, the note of a "
                       "contact or a reassignment"})
    callback_note = fields.String(allow_none=True, metadata={
        "description": "the last callback's note, as its dialer said it (kept apart from "
                       "last_note)"})
    received_at = Time(required=True)
    dispatched_at = Time(allow_none=True)
    updated_at = Time(required=True)
    version = fields.Integer(required=True)


class NoteSchema(Schema):
    """An internal note between staff (内部备注): never published, never told the caller."""

    note_id = fields.String(required=True)
    at = Time(required=True)
    by = Actor(required=True)
    text = fields.String(required=True)


class AttachmentSchema(Schema):
    """A photo or document attached to the ticket; its bytes are read with
    get_attachment (the thumbnail of an image with ``thumbnail`` true)."""

    attachment_id = fields.String(required=True)
    name = fields.String(required=True)
    content_type = fields.String(required=True, validate=validate.OneOf(ATTACHMENT_TYPES))
    size = fields.Integer(required=True, metadata={"description": "bytes, as kept"})
    width = fields.Integer(allow_none=True, metadata={"description": "pixels, an image's"})
    height = fields.Integer(allow_none=True)
    thumbnail = fields.Boolean(required=True, metadata={"description": "a thumbnail is kept"})
    at = Time(required=True)
    by = Actor(required=True)
    step = fields.String(allow_none=True, metadata={"description": "the step it came with "
                                                                   "(resolve), or null"})
    state = fields.String(required=True, validate=validate.OneOf(STATES),
                          metadata={"description": "the ticket's state when attached"})


class TicketStatusSchema(TicketViewSchema):
    """``get_status``'s answer, and every step's: the ticket, and the steps the asker may
    take on it now (dispatch's rules decide, as when the step is taken), with its internal
    notes and attachments."""

    actions = fields.List(fields.String(validate=validate.OneOf(ACTIONS)), required=True,
                          metadata={"description": "step names (the RPCs of those names), "
                                                   "in the order a console offers them"})
    evidence_actions = fields.List(
        fields.String(validate=validate.OneOf(EVIDENCE_ACTIONS)), load_default=list,
        metadata={"description": "add_note, attach: those the asker may take now"})
    notes = fields.List(fields.Nested(NoteSchema), load_default=list)
    attachments = fields.List(fields.Nested(AttachmentSchema), load_default=list)
    photos_required = fields.Integer(load_default=0, metadata={
        "description": "photos of the site its category needs at resolve (policy)"})


class AttachmentFileSchema(Schema):
    """``get_attachment``'s answer: a file's name, type, size and bytes (base64)."""

    name = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    content = fields.String(required=True, metadata={"description": "base64"})


class QueueResidentSchema(Schema):
    """The resident a queued ticket is about: who, and no more (their card is shown, and
    its view recorded, on the ticket itself)."""

    resident_id = fields.String(required=True)
    name = fields.String(required=True)


class QueueRowSchema(Schema):
    """A ticket in a unit's queue: what a queue lists of it (get_status has the rest: the
    caller, the steps, the requests, the record), and how the unit handles it. A
    queue's rows are the most read answer of all; each carries only what a list shows
    (300 open tickets: 440 KB as get_status's view, 21 ms a call over RPC at 300,000
    stored tickets; this row, 18 ms), and no caller's name or phone."""

    ticket_no = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    unit_id = fields.String(allow_none=True, metadata={"description": "the lead unit"})
    unit_name = fields.String(allow_none=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    calls = fields.Integer(required=True)
    address = fields.Nested(AddressSchema, required=True, metadata={
        "description": "its room masked unless the reader may see the caller in full"})
    resident = fields.Nested(QueueResidentSchema, allow_none=True)
    description = fields.String(required=True)
    deadlines = fields.Nested(DeadlinesSchema, allow_none=True)
    met = fields.List(Deadline(), required=True)
    warned = fields.List(fields.Nested(DeadlineDueSchema), required=True)
    overdue = fields.List(fields.Nested(DeadlineDueSchema), required=True)
    paused = fields.Boolean(required=True)
    urges = fields.List(fields.Nested(UrgeSchema), required=True)
    assignee = fields.Nested(AssigneeSchema, allow_none=True)
    last_note = fields.String(allow_none=True)
    received_at = Time(required=True)
    updated_at = Time(required=True)
    version = fields.Integer(required=True)
    role = fields.String(required=True, validate=validate.OneOf(QUEUE_ROLES), metadata={
        "description": "lead: the unit holds it; assist: it assists and owes its part"})


class RouteSchema(Schema):
    """Where a ticket would go (``route``): the unit, and the place whose rule matched."""

    unit_id = fields.String(required=True)
    unit_name = fields.String(required=True)
    routed = fields.Boolean(required=True, metadata={"description": "false: no rule matched, "
                                                                    "it waits at the centre"})
    route = fields.String(allow_none=True)


# The supervisor's list (督办)
class OwedSchema(Schema):
    """Who owes which step by when, on one ticket."""

    ticket_no = fields.String(required=True)
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    deadline = Deadline(required=True)
    due_at = Time(required=True)
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))


class OverdueSchema(OwedSchema):
    hours_late = fields.Float(required=True)


class WarningSchema(OwedSchema):
    hours_left = fields.Float(required=True)


class WaitingRequestSchema(OwedSchema):
    reason = fields.String(required=True)
    requested_at = Time(required=True)
    requested_by = Actor(required=True)


class WaitingExtensionSchema(WaitingRequestSchema):
    until = Time(required=True)


class WaitingPauseSchema(WaitingRequestSchema):
    resume_on = Time(allow_none=True)


class SupervisionSchema(Schema):
    """``supervision``'s answer: running deadlines passed (latest first) and near (least
    time left first), and the requests waiting for a decision (oldest first); high
    priority before normal in each."""

    overdue = fields.List(fields.Nested(OverdueSchema), required=True)
    warning = fields.List(fields.Nested(WarningSchema), required=True)
    extensions = fields.List(fields.Nested(WaitingExtensionSchema), required=True)
    pauses = fields.List(fields.Nested(WaitingPauseSchema), required=True)
