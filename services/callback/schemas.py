"""What callers of callback send (contract version 1), and the shape of its config."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.callback import window
from services.shared.schemas import CALLBACK_OUTCOMES, LONG_TEXT, SHORT_TEXT, StrictSchema, Text


class ClaimRequestSchema(StrictSchema):
    worker_id = Text(required=True, validate=SHORT_TEXT)


class CompleteRequestSchema(StrictSchema):
    task_id = Text(required=True, validate=SHORT_TEXT)
    worker_id = Text(required=True, validate=SHORT_TEXT)
    outcome = fields.String(required=True, validate=validate.OneOf(CALLBACK_OUTCOMES))
    note = Text(load_default=None, allow_none=True, validate=LONG_TEXT)


class TaskIdSchema(StrictSchema):
    task_id = Text(required=True, validate=SHORT_TEXT)


class TicketNoSchema(StrictSchema):
    ticket_no = Text(required=True, validate=SHORT_TEXT)


class WindowConfigSchema(StrictSchema):
    # checked as times when the policy is built (window.calling_window)
    start = fields.String(load_default=window.DEFAULT_START)
    end = fields.String(load_default=window.DEFAULT_END)


class CallbackConfigSchema(Schema):
    """The ``CALLBACK`` settings; each has a default, so an empty config works."""

    delay_minutes = fields.Integer(load_default=30, validate=validate.Range(min=0))
    window = fields.Nested(WindowConfigSchema, load_default=lambda: WindowConfigSchema().load({}))
    max_attempts = fields.Integer(load_default=3, validate=validate.Range(min=1))
    retry_minutes = fields.Integer(load_default=60, validate=validate.Range(min=0))
    lease_seconds = fields.Integer(load_default=120, validate=validate.Range(min=1))
