"""The callback service: calls the caller back after a ticket is resolved (回访).

Listens to ``dispatch.ticket_resolved`` and schedules one callback task per resolution;
says ``callback_scheduled`` and ``callback_completed``. Automated callback workers
(services/callback/worker.py) ``claim`` due tasks and ``complete`` them.

Contract version 1. Errors a caller may see: ``InvalidRequest`` (``errors`` lists every
field), ``NotFound``, ``NotPermitted``, ``IllegalTransition``; all from
``services.shared.errors``. A refused call changes nothing and says nothing.
"""
from __future__ import annotations

import logging

from marshmallow import EXCLUDE, ValidationError
from nameko.dependency_providers import Config
from nameko.events import EventDispatcher
from nameko.rpc import rpc

from services.callback import tasks
from services.callback.schemas import (
    ClaimRequestSchema, CompleteRequestSchema, TaskIdSchema, TicketNoSchema,
)
from services.callback.store import TaskStore
from services.callback.window import is_open
from services.shared import clock, outbox
from services.shared.errors import EXPECTED, NotFound, NotPermitted
from services.shared.events import on_event
from services.shared.payloads import TicketResolvedSchema
from services.shared.schemas import load
from services.shared.storage import Storage

log = logging.getLogger(__name__)

# A complete that loses a race (its lease ran out and the task was claimed meanwhile)
# is decided again on the fresh task; more than this many rounds means something is wrong.
COMPLETE_ROUNDS = 3


class CallbackService:
    name = "callback"

    store: TaskStore = Storage(TaskStore)
    config = Config()
    dispatch = EventDispatcher()

    @property
    def policy(self) -> tasks.Policy:
        return tasks.policy_from(self.config.get("CALLBACK"))

    @on_event("dispatch", "ticket_resolved")
    def schedule_callback(self, event: dict) -> None:
        """A resolved ticket gets one callback task (none more if the event comes again)."""
        try:
            resolved = TicketResolvedSchema(unknown=EXCLUDE).load(event["data"])
        except ValidationError as exc:
            # It can never succeed: requeueing would loop forever.
            log.error("dropped ticket_resolved %s: %s", event["event_id"], exc.messages)
            return
        task, events = tasks.schedule(event, resolved, self.policy, clock.now())
        stored, created = self.store.add(task, events)
        if not created:
            log.info("ticket_resolved %s already has task %s", event["event_id"], stored["_id"])
        outbox.publish_now(self.store.tasks, self.dispatch, stored["_id"])

    @rpc(expected_exceptions=EXPECTED)
    def claim(self, worker_id: str) -> dict | None:
        """The next due task, earliest first, now held by ``worker_id`` until
        ``lease_until``: ``task_id``, ``ticket_no``, ``kind``, ``phone``, ``caller_name``,
        ``attempt``, ``due_at``, ``lease_until``. None when nothing is due, or outside the
        calling window (a task left over from the evening waits for the morning).
        A task whose lease ran out is handed out again. Raises InvalidRequest."""
        data = load(ClaimRequestSchema(), {"worker_id": worker_id})
        now = clock.now()
        policy = self.policy
        if not is_open(now, policy.window):
            return None
        task = self.store.claim(tasks.claim(data["worker_id"], policy, now), now)
        return None if task is None else tasks.as_claim(task)

    @rpc(expected_exceptions=EXPECTED)
    def complete(self, task_id: str, worker_id: str, outcome: str, note: str | None = None) -> dict:
        """Report the call's ``outcome`` (satisfied, basically_satisfied, unsatisfied,
        unreachable). Returns the attempt: ``task_id``, ``ticket_no``, ``attempt``,
        ``outcome``, ``note``, ``final``, ``worker_id``, ``completed_at``, and
        ``next_attempt``/``next_due_at`` when nobody answered and another try is
        scheduled. The same report again from the same worker returns the same answer
        and changes nothing.

        Raises InvalidRequest (bad outcome or arguments), NotFound (no such task),
        NotPermitted (the task is not held by ``worker_id``), IllegalTransition (the
        task is done)."""
        data = load(CompleteRequestSchema(), {"task_id": task_id, "worker_id": worker_id,
                                              "outcome": outcome, "note": note})
        for _ in range(COMPLETE_ROUNDS):
            task = self._task(data["task_id"])
            record = tasks.repeated(task, data["worker_id"], data["outcome"])
            if record is not None:
                return tasks.as_completion(task, record)
            completion = tasks.complete(task, data["worker_id"], data["outcome"], data["note"],
                                        self.policy, clock.now())
            updated = self.store.complete(task["_id"], completion)
            if updated is not None:
                outbox.publish_now(self.store.tasks, self.dispatch, task["_id"])
                return tasks.as_completion(updated, completion.record)
        raise NotPermitted(f"callback task {data['task_id']} keeps changing; try again")

    @rpc(expected_exceptions=EXPECTED)
    def get_task(self, task_id: str) -> dict:
        """The task with every attempt so far: ``task_id``, ``kind``, ``ticket_no``,
        ``unit_id``, ``phone``, ``caller_name``, ``attempt``, ``status`` (due, claimed,
        done), ``due_at``, ``claimed_by``, ``lease_until``, ``outcome``, ``note``,
        ``created_at``, ``completed_at``, ``attempts``. Raises InvalidRequest, NotFound."""
        data = load(TaskIdSchema(), {"task_id": task_id})
        return tasks.as_payload(self._task(data["task_id"]))

    @rpc(expected_exceptions=EXPECTED)
    def tasks_for_ticket(self, ticket_no: str) -> list[dict]:
        """Every callback task of the ticket, oldest first (see get_task); an empty list
        for a ticket with none. Raises InvalidRequest."""
        data = load(TicketNoSchema(), {"ticket_no": ticket_no})
        return [tasks.as_payload(task) for task in self.store.for_ticket(data["ticket_no"])]

    publish_outbox = outbox.sweep(lambda service: service.store.tasks)

    def _task(self, task_id: str) -> dict:
        task = self.store.get(task_id)
        if task is None:
            raise NotFound(f"callback task {task_id}")
        return task
