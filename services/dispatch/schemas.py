"""What a caller of dispatch sends: the arguments of every RPC (contract version 1). The
directory it takes and gives is the shared contract's (services/shared/directory.py)."""
from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from services.dispatch.policy import DEADLINES, to_millis
from services.shared import clock
from services.shared.evidence import MAX_FILE_BYTES, MAX_FILES
from services.shared.schemas import (
    CATEGORIES,
    LONG_TEXT,
    UNIT_ID,
    AddressSchema,
    Decision,
    StrictSchema,
    Text,
)
from services.shared.states import STATES

TICKET_NO = validate.Length(min=1, max=40)


# RPC arguments
class Moment(fields.AwareDateTime):
    """An ISO 8601 time (``2025-10-09T02:00:00Z``, or with an offset such as ``+08:00``; a
    naive one is UTC), loaded as an aware UTC datetime to the millisecond, as stored."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=clock.UTC, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs):
        return to_millis(clock.as_utc(super()._deserialize(value, attr, data, **kwargs)))


class TicketArgs(StrictSchema):
    ticket_no = Text(required=True, validate=TICKET_NO)


class ReturnArgs(TicketArgs):
    reason = Text(required=True, validate=LONG_TEXT)


class ContactArgs(TicketArgs):
    note = Text(load_default=None, validate=LONG_TEXT)


# A file as it travels over RPC: base64 text of at most MAX_FILE_BYTES bytes
BASE64_MAX = (MAX_FILE_BYTES + 2) // 3 * 4


class FileArg(StrictSchema):
    """A file sent to be attached: its name and its bytes, base64."""

    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    content = fields.String(required=True, validate=validate.Length(min=1))


FILES = validate.Length(max=MAX_FILES)


class ResolveArgs(TicketArgs):
    resolution = Text(required=True, validate=LONG_TEXT)
    attachments = fields.List(fields.Nested(FileArg), load_default=list, validate=FILES)


class NoteArgs(TicketArgs):
    note = Text(required=True, validate=LONG_TEXT)


class AttachArgs(TicketArgs):
    files = fields.List(fields.Nested(FileArg), required=True,
                        validate=validate.Length(min=1, max=MAX_FILES))


class AttachmentArgs(TicketArgs):
    attachment_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    thumbnail = fields.Boolean(load_default=False)


class ReassignArgs(TicketArgs):
    unit_id = Text(required=True, validate=UNIT_ID)
    note = Text(load_default=None, validate=LONG_TEXT)


class UrgeArgs(TicketArgs):
    note = Text(required=True, validate=LONG_TEXT)


class ExtensionArgs(TicketArgs):
    until = Moment(required=True)
    reason = Text(required=True, validate=LONG_TEXT)
    deadline = fields.String(load_default="resolve", validate=validate.OneOf(DEADLINES))


class DecisionArgs(TicketArgs):
    approve = Decision(required=True)
    note = Text(load_default=None, validate=LONG_TEXT)


class PauseArgs(TicketArgs):
    reason = Text(required=True, validate=LONG_TEXT)
    resume_on = Moment(load_default=None, allow_none=True)


class AssistArgs(ReassignArgs):
    """A unit asked to assist, or released: ``unit_id``, with an optional note."""


class AssignArgs(TicketArgs):
    """Whom the ticket is given to (承办人): a username of the holding unit's staff."""

    username = Text(required=True, validate=validate.Length(min=1, max=64))


class ReportArgs(TicketArgs):
    report = Text(required=True, validate=LONG_TEXT)


class UnitArgs(StrictSchema):
    unit_id = Text(required=True, validate=UNIT_ID)


class QueueArgs(UnitArgs):
    states = fields.List(fields.String(validate=validate.OneOf(STATES)), load_default=None,
                         allow_none=True, validate=validate.Length(min=1))


class RouteArgs(StrictSchema):
    address = fields.Nested(AddressSchema, required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
