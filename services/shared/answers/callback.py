"""callback's answers: a task as a worker claims it, a completed attempt, a task with its
attempts (``get_task``, ``tasks_for_ticket``) and a resident's check-ins (``checkins_for``).
Phones are in full: workers dial them, and the console shows check-ins only to those who
may read the resident's card.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.shared.payloads import Time
from services.shared.states import CHECKIN_RESULTS, TASK_KINDS, TASK_STATUSES

OUTCOME = {"description": "satisfied, basically_satisfied, unsatisfied, unreachable; "
                          "answered for a check-in"}


class TaskNamesSchema(Schema):
    """Which task, of what kind, and whom it is about: a callback names its ticket, a
    check-in its resident."""

    task_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(TASK_KINDS))
    ticket_no = fields.String(allow_none=True)
    resident_id = fields.String(allow_none=True)


class ClaimedTaskSchema(TaskNamesSchema):
    """``claim``'s answer: what a worker needs to place the call, held until
    ``lease_until``."""

    planned_for = Time(allow_none=True, metadata={"description": "a check-in's time on the "
                                                                 "resident's plan"})
    phone = fields.String(allow_none=True)
    caller_name = fields.String(allow_none=True, metadata={"description": "for a check-in, "
                                                                          "the resident's"})
    attempt = fields.Integer(required=True, metadata={"description": "1 for the first call"})
    due_at = Time(required=True)
    lease_until = Time(required=True)
    fence = fields.Integer(required=True, metadata={
        "description": "this claim's number: give it back with complete, so that a report "
                       "after the task was claimed again is refused"})


class AttemptSchema(Schema):
    """One call placed, as its worker reported it."""

    attempt = fields.Integer(required=True)
    worker_id = fields.String(required=True)
    outcome = fields.String(required=True, metadata=OUTCOME)
    note = fields.String(allow_none=True)
    final = fields.Boolean(required=True, metadata={"description": "false: nobody answered, "
                                                                   "another try is planned"})
    completed_at = Time(required=True)
    next_due_at = Time(allow_none=True)


class CompletionSchema(TaskNamesSchema):
    """``complete``'s answer: the attempt as recorded, and what happens next."""

    attempt = fields.Integer(required=True)
    outcome = fields.String(required=True, metadata=OUTCOME)
    note = fields.String(allow_none=True)
    final = fields.Boolean(required=True)
    worker_id = fields.String(required=True)
    completed_at = Time(required=True)
    next_attempt = fields.Integer(allow_none=True)
    next_due_at = Time(allow_none=True)


class TaskSchema(TaskNamesSchema):
    """A task with every attempt so far."""

    planned_for = Time(allow_none=True)
    unit_id = fields.String(allow_none=True, metadata={"description": "whose resolution is "
                                                                      "called back"})
    phone = fields.String(allow_none=True)
    caller_name = fields.String(allow_none=True)
    attempt = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(TASK_STATUSES))
    due_at = Time(allow_none=True)
    claimed_by = fields.String(allow_none=True)
    lease_until = Time(allow_none=True)
    outcome = fields.String(allow_none=True, metadata=OUTCOME)
    note = fields.String(allow_none=True, metadata={"description": "a cancelled check-in's: "
                                                                   "why"})
    created_at = Time(required=True)
    completed_at = Time(allow_none=True)
    attempts = fields.List(fields.Nested(AttemptSchema), required=True)


class CheckinSchema(TaskSchema):
    """A check-in call to a resident, as their card lists it."""

    result = fields.String(allow_none=True, validate=validate.OneOf(CHECKIN_RESULTS),
                           metadata={"description": "null while still to be called"})
