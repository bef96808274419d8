"""The callback service: calls the caller back after a ticket is resolved (回访), and
phones the residents of the register on their check-in plans (定时探访电话).

Listens to ``dispatch.ticket_resolved`` and schedules one callback task per resolution;
says ``callback_scheduled`` and ``callback_completed``. Listens to
``register.register_changed`` and keeps every resident's plan; a timer makes check-in tasks
ahead (checkins.py); says ``checkin_scheduled``, ``checkin_answered`` and
``checkin_missed``. Automated callback workers (services/callback/worker.py) ``claim``
due tasks of both kinds and ``complete`` them.

Contract version 1. Every answer is dumped with its schema in
services/shared/answers/callback.py. Errors a caller may see: ``InvalidRequest``
(``errors`` lists every field), ``NotFound``, ``NotPermitted``, ``IllegalTransition``; all
from ``services.shared.errors``. A refused call changes nothing and says nothing.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from nameko.dependency_providers import Config
from nameko.events import EventDispatcher

from services.callback import checkins, tasks
from services.callback.schemas import (
    CheckinsForSchema,
    ClaimRequestSchema,
    CompleteRequestSchema,
    TaskIdSchema,
    TicketNoSchema,
)
from services.callback.store import TaskStore
from services.callback.window import is_open
from services.shared import (
    access,
    clock,
    leases,
    outbox,
    parking_depth,
    redelivery,
    revocation,
)
from services.shared.answers.callback import (
    CheckinSchema,
    ClaimedTaskSchema,
    CompletionSchema,
    TaskSchema,
)
from services.shared.deadlines import rpc
from services.shared.errors import EXPECTED, NotFound, NotPermitted
from services.shared.events import on_event
from services.shared.health import HealthProbes
from services.shared.schemas import load, load_actor
from services.shared.storage import LOST, Contention, Lost, Storage, until_written

log = logging.getLogger(__name__)

# A complete that loses a race (its lease ran out and the task was claimed meanwhile)
# is decided again on the fresh task; more than this many rounds means something is wrong.
COMPLETE_ROUNDS = 3
# Residents whose plan is due (CHECKINS.replan_minutes) are looked at this often.
PLAN_EVERY_SECONDS = 60
# Planning that finds the card changed under it plans again on the new card.
PLAN_ROUNDS = 3
# Built once: building a schema copies its fields, which costs more than a dump with it.
CLAIMED_TASK, COMPLETION, TASK = ClaimedTaskSchema(), CompletionSchema(), TaskSchema()
CHECKIN = CheckinSchema()


class CallbackService:
    name = "callback"

    store: TaskStore = Storage(TaskStore)
    health = HealthProbes()  # /live and /ready on HEALTH_ADDRESS, for a scheduler
    # statements accounts withdrew: refused from the moment it says so (every copy)
    hear_ended_sessions, hear_account_changes = revocation.handlers()
    parking_depth, parked_count = parking_depth.counting()
    config = Config()
    publisher = EventDispatcher()
    request_id: str | None = redelivery.RequestId()

    @property
    def policy(self) -> tasks.Policy:
        return tasks.policy_from(self.config.get("CALLBACK"))

    @property
    def checkin_policy(self) -> checkins.CheckinPolicy:
        return checkins.policy_from(self.config.get("CHECKINS"))

    @on_event("dispatch", "ticket_resolved")
    def schedule_callback(self, event: dict) -> None:
        """A resolved ticket gets one callback task (none more if the event comes again)."""
        task, events = tasks.schedule(event, event["data"], self.policy, clock.now())
        stored, created = self.store.add(task, events)
        if not created:
            log.info("ticket_resolved %s already has task %s", event["event_id"], stored["_id"])
        outbox.publish_now(self.store.tasks, self.publisher, stored["_id"])

    @rpc(expected_exceptions=EXPECTED)
    def claim(self, worker_id: str, actor: dict) -> dict | None:
        """The next due task of either kind, earliest first, now held by the worker
        process ``worker_id`` of the callback worker's account ``actor`` (accounts'
        statement; role callback_worker, access.STEPS work_callbacks) until
        ``lease_until``: ``task_id``, ``kind`` (callback, checkin), ``ticket_no`` (a
        callback's), ``resident_id`` and ``planned_for`` (a check-in's), ``phone``,
        ``caller_name`` (for a check-in, the resident's name), ``attempt``, ``due_at``,
        ``lease_until`` (ClaimedTaskSchema, services/shared/answers/callback.py). None when
        nothing is due, or outside the calling window (a task left over from the evening
        waits for the morning).
        A task whose lease ran out is handed out again. A claim request that comes again
        (redelivered after its worker claimed and stopped before answering) is answered
        with the task its first run claimed, the same fence, while that claim stands (the
        task still held by this worker under it), even outside the window; otherwise it
        claims as any request does (services/shared/redelivery.py). Raises
        InvalidRequest, NotPermitted (no statement, or not a callback worker's), with
        nothing claimed."""
        actor = load_actor(actor)
        access.check_step(actor, "work_callbacks")
        data = load(ClaimRequestSchema(), {"worker_id": worker_id})
        held_by = tasks.holder(actor, data["worker_id"])
        request_id = self.request_id
        if request_id is not None:
            standing = self.store.claimed_under(request_id, held_by)
            if standing is not None:
                log.info("claim %s of %s was made already: task %s, fence %s", request_id,
                         held_by, standing["_id"], standing.get(tasks.FENCE, 0))
                return CLAIMED_TASK.dump(tasks.as_claim(standing))
        now = clock.now()
        policy = self.policy
        if not is_open(now, policy.window):
            return None
        task = self.store.claim(tasks.claim(held_by, policy, now, request_id), now)
        return None if task is None else CLAIMED_TASK.dump(tasks.as_claim(task))

    @rpc(expected_exceptions=EXPECTED)
    def complete(self, task_id: str, worker_id: str, outcome: str, actor: dict,
                 note: str | None = None, fence: int | None = None) -> dict:
        """Report the call's ``outcome``: satisfied, basically_satisfied, unsatisfied or
        unreachable; for a check-in also "answered" (any outcome but unreachable records
        ``checkin_answered``; the last unreachable try, ``checkin_missed``), as the
        callback worker's account ``actor`` that claimed it, the events saying so under
        its name; ``fence`` is the claim's (ClaimedTaskSchema), and a report naming an
        earlier claim than the task's last is refused. Returns the attempt: ``task_id``,
        ``kind``, ``ticket_no``, ``resident_id``, ``attempt``, ``outcome``, ``note``,
        ``final``, ``worker_id`` (the holder: account/process), ``completed_at``, and
        ``next_attempt``/``next_due_at`` when nobody answered and another try is scheduled
        (CompletionSchema). The same report again from the same worker returns the same
        answer and changes nothing.

        Raises InvalidRequest (bad outcome or arguments; "answered" for a callback),
        NotFound (no such task), NotPermitted (not a callback worker's statement; the
        task is not held by this account's ``worker_id``, or was claimed again since
        ``fence``), IllegalTransition (the task is done, or was cancelled: a check-in whose
        plan paused or whose resident was retired)."""
        actor = load_actor(actor)
        access.check_step(actor, "work_callbacks")
        data = load(CompleteRequestSchema(), {"task_id": task_id, "worker_id": worker_id,
                                              "outcome": outcome, "note": note,
                                              "fence": fence})
        held_by = tasks.holder(actor, data["worker_id"])

        def attempt() -> dict | Lost:
            task = self._task(data["task_id"])
            record = tasks.repeated(task, held_by, data["outcome"])
            if record is not None:
                return COMPLETION.dump(tasks.as_completion(task, record))
            tasks.check_fence(task, data["fence"])
            completion = self._completion(task, held_by, data, actor, clock.now())
            if data["fence"] is not None:  # and only if no claim came in between
                completion = dataclasses.replace(completion, expected={
                    **completion.expected, tasks.FENCE: data["fence"]})
            updated = self.store.complete(task["_id"], completion)
            if updated is None:
                return LOST
            outbox.publish_now(self.store.tasks, self.publisher, task["_id"])
            return COMPLETION.dump(tasks.as_completion(updated, completion.record))

        return until_written(attempt, COMPLETE_ROUNDS, NotPermitted(
            f"callback task {data['task_id']} keeps changing; try again"))

    @rpc(expected_exceptions=EXPECTED)
    def get_task(self, task_id: str, actor: dict) -> dict:
        """The task with every attempt so far: ``task_id``, ``kind``, ``ticket_no``,
        ``resident_id``, ``planned_for``, ``unit_id``, ``phone``, ``caller_name``,
        ``attempt``, ``status`` (due, claimed, done, cancelled), ``due_at``,
        ``claimed_by``, ``lease_until``, ``outcome``, ``note`` (a cancelled check-in's:
        why), ``created_at``, ``completed_at``, ``attempts`` (TaskSchema), for the centre
        and supervisors (services/shared/access.py: callbacks). Raises InvalidRequest,
        NotPermitted, NotFound."""
        access.require(load_actor(actor), "callbacks")
        data = load(TaskIdSchema(), {"task_id": task_id})
        return TASK.dump(tasks.as_payload(self._task(data["task_id"])))

    @rpc(expected_exceptions=EXPECTED)
    def tasks_for_ticket(self, ticket_no: str, actor: dict) -> list[dict]:
        """Every callback task of the ticket, oldest first (see get_task); an empty list
        for a ticket with none; for the centre and supervisors (access.py: callbacks).
        Raises InvalidRequest, NotPermitted."""
        access.require(load_actor(actor), "callbacks")
        data = load(TicketNoSchema(), {"ticket_no": ticket_no})
        return TASK.dump([tasks.as_payload(task)
                          for task in self.store.for_ticket(data["ticket_no"])], many=True)

    @rpc(expected_exceptions=EXPECTED)
    def checkins_for(self, resident_id: str, actor: dict, limit: int = 60) -> list[dict]:
        """The resident's check-in history for their card page, the latest planned first,
        at most ``limit`` (1..500): each as get_task shows it plus ``result`` (answered,
        missed, cancelled, or null while still to be called; CheckinSchema), for those
        who may read the resident's card (services/shared/access.py: checkins; the
        centre, the resident's grid unit), as the register last said it. An empty list
        for a resident with none (to readers of every resident; others are refused).
        Raises InvalidRequest, NotPermitted (another unit's resident and an unknown one
        alike)."""
        actor = load_actor(actor)
        data = load(CheckinsForSchema(), {"resident_id": resident_id, "limit": limit})
        kept = self.store.resident(data["resident_id"])
        card = (kept or {}).get("card") or {}
        known: access.Facts = {"grid_unit_id": card.get("grid_unit_id"),
                               "district": (card.get("address") or {}).get("district")}
        if kept is None and not access.sees_all(actor, "checkins"):
            raise access.refused("resident", data["resident_id"])
        access.check(actor, "checkins", known, data["resident_id"])
        return CHECKIN.dump([checkins.as_history_entry(task) for task in
                             self.store.checkins_of(data["resident_id"], data["limit"])],
                            many=True)

    @on_event("register", "register_changed")
    def keep_resident(self, event: dict) -> None:
        """Keep the resident's card if this version is newer than the one kept, and plan
        their check-ins again at once: a new time is planned, a pause or a retirement
        cancels what was planned. An older version or a redelivery changes nothing."""
        changed = event["data"]
        card = changed["resident"]
        if not self.store.keep_resident(card, changed["version"], clock.now()):
            log.info("register_changed %s: resident %s version %s is not newer than ours",
                     event["event_id"], card["resident_id"], changed["version"])
            return
        self._plan(card["resident_id"])

    @leases.timer(interval=PLAN_EVERY_SECONDS, setting="CHECKIN_PLAN_SECONDS")
    def plan_checkins(self) -> None:
        """Make check-in tasks ahead for every resident whose plan is due to be looked at
        (every CHECKINS.replan_minutes), up to CHECKINS.plan_horizon_hours ahead."""
        for resident_id in self.store.residents_to_plan(clock.now()):
            self._plan(resident_id)

    publish_outbox = outbox.sweep(lambda service: service.store.tasks)

    def _plan(self, resident_id: str) -> None:
        """One check-in task for every planned time the resident's plan wants, and none
        it does not (checkins.py); done again if the card changes meanwhile."""
        policy = self.checkin_policy

        def attempt() -> None | Lost:
            resident = self.store.resident(resident_id)
            if resident is None:
                return None
            card, now = resident["card"], clock.now()
            wanted = checkins.planned_times(card, policy, now)
            for task in self.store.live_checkins(resident_id):
                reason = checkins.unwanted(task, card, wanted, now)
                if reason:
                    self.store.cancel(task["_id"], checkins.cancellation(reason, now))
            planned = self.store.planned_already(resident_id, wanted)
            for planned_for in wanted:
                if planned_for not in planned:
                    self._add_checkin(card, planned_for, now)
            unserved = checkins.not_served(card)
            if unserved == checkins.NO_PHONE:
                log.warning("resident %s has a check-in plan but no phone: nobody is called",
                            resident_id)
            if not self.store.planned(resident_id, resident["version"],
                                      None if unserved else now + policy.replan):
                return LOST
            return None

        try:
            until_written(attempt, PLAN_ROUNDS, Contention(resident_id))
        except Contention:
            log.warning("resident %s keeps changing; the timer plans them again", resident_id)

    def _add_checkin(self, card: dict, planned_for: dt.datetime, now: dt.datetime) -> None:
        task, events = checkins.new_checkin(card, planned_for, self.policy.window, now)
        if task["due_at"] != planned_for:
            log.warning("check-in of resident %s planned for %s falls outside the calling "
                        "window: placed at %s", card["resident_id"], clock.iso(planned_for),
                        clock.iso(task["due_at"]))
        stored, created = self.store.add(task, events)
        if created:
            outbox.publish_now(self.store.tasks, self.publisher, stored["_id"])

    def _completion(self, task: dict, held_by: str, data: dict, actor: dict,
                    now: dt.datetime) -> tasks.Completion:
        """The attempt completed, as the task's kind says."""
        if task["kind"] != checkins.KIND:
            return tasks.complete(task, held_by, data["outcome"], data["note"],
                                  self.policy, now, actor)
        # the card as the register has it now: the emergency contacts may have changed
        resident = self.store.resident(task["resident_id"])
        card = resident["card"] if resident is not None else task["resident"]
        return checkins.complete(task, held_by, data["outcome"], data["note"],
                                 self.checkin_policy, self.policy.window, card, now, actor)

    def _task(self, task_id: str) -> dict:
        task = self.store.get(task_id)
        if task is None:
            raise NotFound(f"callback task {task_id}")
        return task
