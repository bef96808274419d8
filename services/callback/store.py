"""callback's storage: the tasks (callbacks and check-ins), each with its attempts and its
outbox; and the residents of the register as it last said (their check-in plans)."""
from __future__ import annotations

import datetime as dt

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.callback import checkins, tasks
from services.shared import clock, outbox
from services.shared.storage import keep_newer


class TaskStore:
    def __init__(self, db: Database):
        self.db = db
        self.tasks = db["tasks"]
        self.residents = db["residents"]

    def ensure_indexes(self) -> None:
        # One task per resolution: a redelivered ticket_resolved cannot make a second.
        self.tasks.create_index([("source_event_id", ASCENDING)], unique=True,
                                name="source_event_id_unique")
        # Claims look for the earliest due task, and for leases that ran out.
        self.tasks.create_index([("status", ASCENDING), ("due_at", ASCENDING)],
                                name="status_due_at")
        self.tasks.create_index([("status", ASCENDING), ("lease_until", ASCENDING)],
                                name="status_lease_until")
        # A redelivered claim finds the task its first run claimed (claimed_under).
        self.tasks.create_index([(tasks.CLAIM_REQUEST, ASCENDING)], name="claim_request")
        self.tasks.create_index([("ticket_no", ASCENDING), ("created_at", ASCENDING)],
                                name="ticket_no")
        # One check-in per resident and planned time; a cancelled one gives its key up.
        self.tasks.create_index([("checkin_key", ASCENDING)], unique=True,
                                name="checkin_key_unique",
                                partialFilterExpression={"checkin_key": {"$type": "string"}})
        self.tasks.create_index([("resident_id", ASCENDING), ("planned_for", ASCENDING)],
                                name="resident_planned_for")
        # Residents whose plan is due to be looked at again.
        self.residents.create_index([("next_plan_at", ASCENDING)], name="next_plan_at")
        # The sweep reads only tasks flagged with events waiting (add and complete flag
        # what they push), not every task every second.
        outbox.ensure_index(self.tasks)

    def add(self, task: dict, events: list[dict]) -> tuple[dict, bool]:
        """Store a new task with its events in its outbox, in one write. Returns the task
        and True, or the task already made from the same event (or for the same check-in
        time) and False."""
        document = {**task, outbox.OUTBOX: events, **(outbox.sweep_flag() if events else {})}
        try:
            self.tasks.insert_one(document)
        except DuplicateKeyError:
            made_from = ({"checkin_key": task["checkin_key"]} if task.get("checkin_key")
                         else {"source_event_id": task["source_event_id"]})
            existing = self.tasks.find_one(made_from)
            if existing is None:
                raise
            return existing, False
        return document, True

    def claim(self, changes: dict, now: dt.datetime) -> dict | None:
        """Hand the earliest claimable task over with ``changes``, atomically: two workers
        never get the same task. Each claim moves the task's ``fence`` on by one: the
        holder of an earlier claim (its lease ran out and the task was claimed again) can
        no longer write. None when nothing is claimable."""
        return self.tasks.find_one_and_update(
            tasks.claimable(now), {"$set": changes, "$inc": {tasks.FENCE: 1}},
            sort=[("due_at", ASCENDING), ("_id", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    def claimed_under(self, request_id: str, worker_id: str) -> dict | None:
        """The task the claim request ``request_id`` handed to ``worker_id``, if that claim
        still stands (tasks.claimed_under); None otherwise."""
        return self.tasks.find_one(tasks.claimed_under(request_id, worker_id))

    def complete(self, task_id: str, completion: tasks.Completion) -> dict | None:
        """Apply a completed attempt and queue its events, in one write, provided the task
        is still as the completion expects. The updated task, or None if it changed."""
        return self.tasks.find_one_and_update(
            {"_id": task_id, **completion.expected},
            {"$set": {**completion.changes,
                      **(outbox.sweep_flag() if completion.events else {})},
             "$push": {"attempts": completion.record,
                       outbox.OUTBOX: {"$each": completion.events}}},
            return_document=ReturnDocument.AFTER,
        )

    def get(self, task_id: str) -> dict | None:
        return self.tasks.find_one({"_id": task_id})

    def for_ticket(self, ticket_no: str) -> list[dict]:
        return list(self.tasks.find({"ticket_no": ticket_no},
                                    sort=[("created_at", ASCENDING), ("_id", ASCENDING)]))

    # Check-ins
    def checkins_of(self, resident_id: str, limit: int) -> list[dict]:
        """The resident's check-ins, the latest planned first."""
        return list(self.tasks.find({"kind": checkins.KIND, "resident_id": resident_id},
                                    sort=[("planned_for", DESCENDING), ("_id", DESCENDING)],
                                    limit=limit))

    def live_checkins(self, resident_id: str) -> list[dict]:
        """The resident's check-ins not yet done: due, or in a worker's hands."""
        return list(self.tasks.find({"kind": checkins.KIND, "resident_id": resident_id,
                                     "status": {"$in": [tasks.DUE, tasks.CLAIMED]}}))

    def planned_already(self, resident_id: str, times: list[dt.datetime]) -> set[dt.datetime]:
        """Which of these planned times have a check-in that holds its key (not cancelled)."""
        if not times:
            return set()
        found = self.tasks.find({"resident_id": resident_id, "planned_for": {"$in": times},
                                 "checkin_key": {"$type": "string"}}, {"planned_for": 1})
        return {clock.as_utc(task["planned_for"]) for task in found}

    def cancel(self, task_id: str, changes: dict) -> bool:
        """Cancel a check-in not yet done, freeing its key. False if it was done meanwhile."""
        result = self.tasks.update_one(
            {"_id": task_id, "status": {"$in": [tasks.DUE, tasks.CLAIMED]}},
            {"$set": changes, "$unset": {"checkin_key": ""}})
        return result.modified_count == 1

    # The residents, as the register last said
    def keep_resident(self, card: dict, version: int, now: dt.datetime) -> bool:
        """Keep this version of a resident's card if it is newer than the one kept. False
        for an older or the same version (a redelivery): nothing changes."""
        return keep_newer(self.residents, card["resident_id"], version,
                          {"card": card, "changed_at": now, "next_plan_at": now})

    def resident(self, resident_id: str) -> dict | None:
        return self.residents.find_one({"_id": resident_id})

    def residents_to_plan(self, now: dt.datetime) -> list[str]:
        """The residents whose plan is due to be looked at again."""
        return [doc["_id"] for doc in self.residents.find(
            {"next_plan_at": {"$lte": now}}, {"_id": 1}).sort("next_plan_at", ASCENDING)]

    def planned(self, resident_id: str, version: int, next_plan_at: dt.datetime | None) -> bool:
        """Record that the resident's plan was looked at, at ``version``; False if the card
        changed meanwhile (the plan is to be looked at again)."""
        result = self.residents.update_one({"_id": resident_id, "version": version},
                                           {"$set": {"next_plan_at": next_plan_at}})
        return result.matched_count == 1
