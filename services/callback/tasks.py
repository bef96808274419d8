"""Callback tasks: the rules of scheduling, claiming and completing a call back.

A ticket resolved → one task, due after a delay inside the calling window. A worker
claims a due task and holds it under a lease; a lease that runs out frees the task
for anyone. Completing an attempt is final, or, when nobody answered and tries are
left, schedules the next attempt. A caller with no phone number cannot be called:
the task is closed at once as unreachable, so the ticket can close.

Claiming, leases and attempts are the same for check-ins (checkins.py), which are
tasks of another kind: this module holds what the two kinds share.

Plain functions, no broker and no database; every rule takes ``now`` (the service
passes clock.now()). The service class does the I/O.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from marshmallow import ValidationError

from services.callback.schemas import CallbackConfigSchema
from services.callback.window import CallingWindow, calling_window, next_call_time
from services.shared import clock, redelivery
from services.shared.errors import IllegalTransition, InvalidRequest, NotPermitted
from services.shared.events import as_cause, new_event
from services.shared.payloads import event_data
from services.shared.schemas import CALLBACK_OUTCOMES, SYSTEM_ACTOR
from services.shared.states import (
    CALLBACK_TASK,
    TASK_CANCELLED,
    TASK_CLAIMED,
    TASK_DONE,
    TASK_DUE,
)

SOURCE = "callback"
# The contract's names (services/shared/states.py), as this module has always called them
KIND = CALLBACK_TASK
DUE, CLAIMED, DONE, CANCELLED = TASK_DUE, TASK_CLAIMED, TASK_DONE, TASK_CANCELLED
FINISHED = (DONE, CANCELLED)
UNREACHABLE = "unreachable"
NO_PHONE_NOTE = "no phone number"


@dataclass(frozen=True)
class Policy:
    """The configured rules of calling back (key ``CALLBACK``)."""

    delay: dt.timedelta  # after resolution, before the first call
    window: CallingWindow  # daytime hours in which calls are placed
    max_attempts: int  # tries before "unreachable" is final
    retry: dt.timedelta  # wait after nobody answered
    lease: dt.timedelta  # how long a claimed task is a worker's alone


def policy_from(settings: dict | None) -> Policy:
    """The policy from the ``CALLBACK`` config, defaults filled in; ValueError if malformed."""
    try:
        loaded = CallbackConfigSchema().load(settings or {})
    except ValidationError as exc:
        raise ValueError(f"bad CALLBACK config: {exc.messages}") from None
    return Policy(
        delay=dt.timedelta(minutes=loaded["delay_minutes"]),
        window=calling_window(loaded["window"]),
        max_attempts=loaded["max_attempts"],
        retry=dt.timedelta(minutes=loaded["retry_minutes"]),
        lease=dt.timedelta(seconds=loaded["lease_seconds"]),
    )


# Moved on by one at each claim: a report must name the claim it answers (the fence token
# of a lease held across processes).
FENCE = "fence"


def check_fence(task: dict, fence: int | None) -> None:
    """NotPermitted when ``fence`` names an earlier claim than the task's last: the lease
    of whoever reports ran out and the task was claimed again (by anyone, even a process
    of the same name). A report naming no claim is judged by its holder alone."""
    if fence is not None and fence != task.get(FENCE, 0):
        raise NotPermitted(f"{task['kind']} task {task['_id']} was claimed again since "
                           f"(claim {task.get(FENCE, 0)}, yours {fence}): your report is not "
                           f"recorded")


def holder(actor: dict, worker_id: str) -> str:
    """Who holds a claimed task: the worker process ``worker_id`` of the callback worker's
    account (its statement's id), so that a worker of another account, calling itself by
    the same name, can neither complete nor repeat it."""
    return f"{actor['id']}/{worker_id}"


# Scheduling

def new_task(kind: str, now: dt.datetime, **fields) -> dict:
    """A task of ``kind`` at its first attempt, due, held by nobody; ``fields`` say whom to
    call and when (``ticket_no``, ``unit_id``, ``phone``, ``caller_name``, ``due_at``…)."""
    task_id = uuid.uuid4().hex
    return {
        "_id": task_id, "kind": kind, "ticket_no": None, "unit_id": None,
        "resident_id": None, "planned_for": None,
        # unique: a kind that has no event of its own to be made from names the task
        "source_event_id": f"{kind}:{task_id}",
        "attempt": 1, "status": DUE, "due_at": None,
        "claimed_by": None, "claimed_at": None, "lease_until": None, CLAIM_REQUEST: None,
        "outcome": None, "note": None, "created_at": now, "completed_at": None,
        "attempts": [],
        **fields,
    }


def schedule(event: dict, resolved: dict, policy: Policy,
             now: dt.datetime) -> tuple[dict, list[dict]]:
    """The task for a ``ticket_resolved`` envelope (``resolved`` is its validated data),
    and the events that say so. Due ``delay`` after the resolution, inside the window."""
    caller = resolved["caller"]
    task = new_task(
        KIND, now,
        ticket_no=event["ticket_no"],
        unit_id=resolved["unit_id"],
        phone=caller.get("phone"),
        caller_name=caller.get("name"),
        source_event_id=event["event_id"],  # one task per resolution, redelivered or not
        due_at=next_call_time(clock.parse_iso(event["occurred_at"]) + policy.delay,
                              policy.window),
    )
    if not task["phone"]:
        # Nobody to phone: close it now rather than leave the ticket waiting for a call.
        record = _record(1, SYSTEM_ACTOR["id"], UNREACHABLE, NO_PHONE_NOTE, True, now, None)
        task.update(status=DONE, due_at=None, outcome=UNREACHABLE, note=NO_PHONE_NOTE,
                    completed_at=now, attempts=[record])
        said = [_completed_event(task, record, SYSTEM_ACTOR)]
    else:
        said = [_scheduled_event(task, 1, task["due_at"])]
    task[LAST_SAID] = as_cause(said[-1])
    return task, said


# Claiming

# The RPC request of the task's latest claim (redelivery.applied_key; None for a claim
# that came without an id): set by every claim, so that it names the claim that stands.
CLAIM_REQUEST = "claim_request"


def claimable(now: dt.datetime) -> dict:
    """Which tasks a worker may claim at ``now``, as a store filter: due ones whose time
    has come, and claimed ones whose lease ran out (the worker died or hung up on us)."""
    return {"$or": [
        {"status": DUE, "due_at": {"$lte": now}},
        {"status": CLAIMED, "lease_until": {"$lte": now}},
    ]}


def claim(worker_id: str, policy: Policy, now: dt.datetime,
          request_id: str | None = None) -> dict:
    """The changes that hand a task to ``worker_id`` under a lease, for the claim request
    ``request_id``."""
    return {"status": CLAIMED, "claimed_by": worker_id, "claimed_at": now,
            "lease_until": now + policy.lease,
            CLAIM_REQUEST: redelivery.applied_key(request_id) if request_id is not None
            else None}


def claimed_under(request_id: str, worker_id: str) -> dict:
    """Which task the claim request ``request_id`` handed to ``worker_id``, as a store
    filter, provided that claim still stands: the task is still claimed by that holder,
    and by no claim since (each sets CLAIM_REQUEST), so its fence is still that claim's.
    A lease run out with nobody claiming since still stands, as complete has it."""
    return {CLAIM_REQUEST: redelivery.applied_key(request_id), "status": CLAIMED,
            "claimed_by": worker_id}


# Completing

@dataclass(frozen=True)
class Completion:
    """One attempt completed: the task must still be ``expected``; ``changes`` are set,
    ``record`` joins its attempts and ``events`` its outbox, in one write."""

    expected: dict
    changes: dict
    record: dict
    events: list[dict]


def repeated(task: dict, worker_id: str, outcome: str) -> dict | None:
    """The attempt record a repeated ``complete`` gets back: the same worker reporting
    the same outcome again because it lost our reply. None if this is not a repeat."""
    if not task["attempts"]:
        return None
    last = task["attempts"][-1]
    holds_it_again = task["status"] == CLAIMED and task["claimed_by"] == worker_id
    if last["worker_id"] == worker_id and last["outcome"] == outcome and not holds_it_again:
        return last
    return None


def check_held(task: dict, worker_id: str) -> None:
    """IllegalTransition on a done or cancelled task; NotPermitted unless ``worker_id``
    holds it (a worker whose lease ran out still holds it until someone else claims it)."""
    if task["status"] in FINISHED:
        raise IllegalTransition(f"{task['kind']} task {task['_id']} is already {task['status']}")
    if task["status"] != CLAIMED or task["claimed_by"] != worker_id:
        raise NotPermitted(f"{task['kind']} task {task['_id']} is not held by {worker_id}")


@dataclass(frozen=True)
class Attempt:
    """An attempt completed, before its kind says what happened: final, or the next try
    due at ``next_due``."""

    record: dict
    changes: dict
    expected: dict
    final: bool
    next_due: dt.datetime | None


def attempt_completed(task: dict, worker_id: str, outcome: str, note: str | None, *,
                      max_attempts: int, retry: dt.timedelta, window: CallingWindow,
                      now: dt.datetime) -> Attempt:
    """Complete the current attempt of a task ``worker_id`` holds (check_held): final
    unless nobody answered and tries are left; then the next attempt is due ``retry``
    later, inside the window."""
    check_held(task, worker_id)
    attempt = task["attempt"]
    final = outcome != UNREACHABLE or attempt >= max_attempts
    released = {"claimed_by": None, "claimed_at": None, "lease_until": None}
    expected = {"status": CLAIMED, "claimed_by": worker_id, "attempt": attempt}
    if final:
        record = _record(attempt, worker_id, outcome, note, True, now, None)
        changes = {**released, "status": DONE, "outcome": outcome, "note": note,
                   "completed_at": now}
        return Attempt(record, changes, expected, True, None)
    next_due = next_call_time(now + retry, window)
    record = _record(attempt, worker_id, outcome, note, False, now, next_due)
    changes = {**released, "status": DUE, "attempt": attempt + 1, "due_at": next_due}
    return Attempt(record, changes, expected, False, next_due)


def complete(task: dict, worker_id: str, outcome: str, note: str | None, policy: Policy,
             now: dt.datetime, actor: dict) -> Completion:
    """Complete the current attempt of a callback with ``outcome`` (a rating or
    unreachable) as ``actor``, the worker's account, ``worker_id`` holding it (holder);
    see attempt_completed. InvalidRequest for a check-in's "answered"."""
    if outcome not in CALLBACK_OUTCOMES:
        raise InvalidRequest({"outcome": [f"A callback is rated or unreachable, not {outcome}."]})
    done = attempt_completed(task, worker_id, outcome, note, max_attempts=policy.max_attempts,
                             retry=policy.retry, window=policy.window, now=now)
    events = [_completed_event(task, done.record, actor)]
    if not done.final and done.next_due is not None:
        events.append(_scheduled_event(task, task["attempt"] + 1, done.next_due,
                                       after=events[0]))
    changes = {**done.changes, LAST_SAID: as_cause(events[-1])}
    return Completion(done.expected, changes, done.record, events)


def _record(attempt: int, worker_id: str, outcome: str, note: str | None, final: bool,
            completed_at: dt.datetime, next_due_at: dt.datetime | None) -> dict:
    return {"attempt": attempt, "worker_id": worker_id, "outcome": outcome, "note": note,
            "final": final, "completed_at": completed_at, "next_due_at": next_due_at}


# Events

# A task keeps the last event it said, so that the next names it as its cause: the call's
# outcome after its scheduling, the next try after the outcome, whatever the clocks say.
LAST_SAID = "last_said"


def _scheduled_event(task: dict, attempt: int, due_at: dt.datetime,
                     after: dict | None = None) -> dict:
    data = event_data("callback_scheduled", task_id=task["_id"], kind=task["kind"],
                      attempt=attempt, due_at=clock.iso(due_at))
    return new_event(SOURCE, "callback_scheduled", data, ticket_no=task["ticket_no"],
                     actor=SYSTEM_ACTOR, cause=after)


def _completed_event(task: dict, record: dict, actor: dict) -> dict:
    data = event_data("callback_completed", task_id=task["_id"], outcome=record["outcome"],
                      note=record["note"], attempt=record["attempt"], final=record["final"],
                      worker_id=record["worker_id"])
    return new_event(SOURCE, "callback_completed", data, ticket_no=task["ticket_no"],
                     actor=actor, cause=task.get(LAST_SAID))


# What callers see (JSON-ready, times as ISO text)

def as_claim(task: dict) -> dict:
    """What a worker needs to place the call: a callback names its ticket, a check-in
    its resident (``resident_id``, ``caller_name`` the resident's name, ``planned_for``)."""
    return {"task_id": task["_id"], "kind": task["kind"], "ticket_no": task["ticket_no"],
            "resident_id": task.get("resident_id"),
            "planned_for": clock.iso(task.get("planned_for")),
            "phone": task["phone"], "caller_name": task["caller_name"],
            "attempt": task["attempt"], "due_at": clock.iso(task["due_at"]),
            "lease_until": clock.iso(task["lease_until"]), "fence": task.get(FENCE, 0)}


def as_completion(task: dict, record: dict) -> dict:
    """The answer to ``complete``: the attempt as recorded, and what happens next."""
    return {"task_id": task["_id"], "kind": task["kind"], "ticket_no": task["ticket_no"],
            "resident_id": task.get("resident_id"),
            "attempt": record["attempt"], "outcome": record["outcome"],
            "note": record["note"], "final": record["final"],
            "worker_id": record["worker_id"],
            "completed_at": clock.iso(record["completed_at"]),
            "next_attempt": None if record["final"] else record["attempt"] + 1,
            "next_due_at": clock.iso(record["next_due_at"])}


def as_payload(task: dict) -> dict:
    """A task as consoles see it, with every attempt so far."""
    return {"task_id": task["_id"], "kind": task["kind"], "ticket_no": task["ticket_no"],
            "resident_id": task.get("resident_id"),
            "planned_for": clock.iso(task.get("planned_for")),
            "unit_id": task["unit_id"], "phone": task["phone"],
            "caller_name": task["caller_name"], "attempt": task["attempt"],
            "status": task["status"], "due_at": clock.iso(task["due_at"]),
            "claimed_by": task["claimed_by"], "lease_until": clock.iso(task["lease_until"]),
            "outcome": task["outcome"], "note": task["note"],
            "created_at": clock.iso(task["created_at"]),
            "completed_at": clock.iso(task["completed_at"]),
            "attempts": [
                {**record, "completed_at": clock.iso(record["completed_at"]),
                 "next_due_at": clock.iso(record["next_due_at"])}
                for record in task["attempts"]
            ]}
