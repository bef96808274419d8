"""What callers of callback send (contract version 1), and the shape of its config."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.callback import window
from services.shared.schemas import CALLBACK_OUTCOMES, LONG_TEXT, SHORT_TEXT, StrictSchema, Text

# Someone picked up a check-in call: a worker may say just that (a rating also counts).
ANSWERED = "answered"
COMPLETE_OUTCOMES = (*CALLBACK_OUTCOMES, ANSWERED)
CHECKIN_HISTORY_MAX = 500


class ClaimRequestSchema(StrictSchema):
    worker_id = Text(required=True, validate=SHORT_TEXT)


class CompleteRequestSchema(StrictSchema):
    task_id = Text(required=True, validate=SHORT_TEXT)
    worker_id = Text(required=True, validate=SHORT_TEXT)
    outcome = fields.String(required=True, validate=validate.OneOf(COMPLETE_OUTCOMES))
    note = Text(load_default=None, allow_none=True, validate=LONG_TEXT)
    # the claim this report answers (claim's ``fence``); none: judged by the holder alone
    fence = fields.Integer(load_default=None, allow_none=True, strict=True,
                           validate=validate.Range(min=0))


class TaskIdSchema(StrictSchema):
    task_id = Text(required=True, validate=SHORT_TEXT)


class TicketNoSchema(StrictSchema):
    ticket_no = Text(required=True, validate=SHORT_TEXT)


class CheckinsForSchema(StrictSchema):
    resident_id = Text(required=True, validate=SHORT_TEXT)
    limit = fields.Integer(load_default=60, strict=True,
                           validate=validate.Range(min=1, max=CHECKIN_HISTORY_MAX))


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


class CheckinConfigSchema(Schema):
    """The ``CHECKINS`` settings; each has a default, so an empty config works. The calling
    window and the lease are CALLBACK's: check-ins are calls like callbacks."""

    plan_horizon_hours = fields.Float(load_default=24.0,
                                      validate=validate.Range(min=0, min_inclusive=False))
    replan_minutes = fields.Integer(load_default=60, validate=validate.Range(min=1))
    catch_up_minutes = fields.Integer(load_default=30, validate=validate.Range(min=0))
    max_attempts = fields.Integer(load_default=3, validate=validate.Range(min=1))
    retry_minutes = fields.Integer(load_default=10, validate=validate.Range(min=0))
