"""callback's storage: the tasks, each with its attempts and its outbox."""
from __future__ import annotations

import datetime as dt

from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.callback import tasks
from services.shared import outbox


class TaskStore:
    def __init__(self, db: Database):
        self.db = db
        self.tasks = db["tasks"]

    def ensure_indexes(self) -> None:
        # One task per resolution: a redelivered ticket_resolved cannot make a second.
        self.tasks.create_index([("source_event_id", ASCENDING)], unique=True,
                                name="source_event_id_unique")
        # Claims look for the earliest due task, and for leases that ran out.
        self.tasks.create_index([("status", ASCENDING), ("due_at", ASCENDING)],
                                name="status_due_at")
        self.tasks.create_index([("status", ASCENDING), ("lease_until", ASCENDING)],
                                name="status_lease_until")
        self.tasks.create_index([("ticket_no", ASCENDING), ("created_at", ASCENDING)],
                                name="ticket_no")

    def add(self, task: dict, events: list[dict]) -> tuple[dict, bool]:
        """Store a new task with its events in its outbox, in one write. Returns the task
        and True, or the task already made from the same event and False."""
        document = {**task, outbox.OUTBOX: events}
        try:
            self.tasks.insert_one(document)
        except DuplicateKeyError:
            existing = self.tasks.find_one({"source_event_id": task["source_event_id"]})
            if existing is None:
                raise
            return existing, False
        return document, True

    def claim(self, changes: dict, now: dt.datetime) -> dict | None:
        """Hand the earliest claimable task over with ``changes``, atomically: two workers
        never get the same task. None when nothing is claimable."""
        return self.tasks.find_one_and_update(
            tasks.claimable(now), {"$set": changes},
            sort=[("due_at", ASCENDING), ("_id", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    def complete(self, task_id: str, completion: tasks.Completion) -> dict | None:
        """Apply a completed attempt and queue its events, in one write, provided the task
        is still as the completion expects. The updated task, or None if it changed."""
        return self.tasks.find_one_and_update(
            {"_id": task_id, **completion.expected},
            {"$set": completion.changes,
             "$push": {"attempts": completion.record,
                       outbox.OUTBOX: {"$each": completion.events}}},
            return_document=ReturnDocument.AFTER,
        )

    def get(self, task_id: str) -> dict | None:
        return self.tasks.find_one({"_id": task_id})

    def for_ticket(self, ticket_no: str) -> list[dict]:
        return list(self.tasks.find({"ticket_no": ticket_no},
                                    sort=[("created_at", ASCENDING), ("_id", ASCENDING)]))
