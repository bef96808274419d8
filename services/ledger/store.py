"""ledger's storage: the append-only ``entries`` and the ``tickets`` read model.

``entries`` (_id = event_id): written once, never updated or deleted. A unique index on
(ticket_no, seq) numbers each ticket's entries without gaps or doubles, even with several
writers. ``tickets`` (_id = ticket_no): the read model, rebuilt field by field from the
entries (see record.ticket_changes).
"""
from __future__ import annotations

import datetime as dt

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.ledger import record
from services.shared import events

# Writers racing for the same ticket each lose at most once per rival; this bounds the
# retries, after which the event goes back on the queue (on_event) and comes again.
WRITE_ATTEMPTS = 20


class Contention(Exception):
    """Other writers kept winning; the event is redelivered and recorded then."""


class LedgerStore:
    def __init__(self, db: Database):
        self.db = db
        self.entries = db["entries"]
        self.tickets = db["tickets"]

    def ensure_indexes(self) -> None:
        # One seq per ticket: a concurrent writer that read the same last seq fails here.
        self.entries.create_index(
            [("ticket_no", ASCENDING), ("seq", ASCENDING)], unique=True,
            name="ticket_seq_unique",
            partialFilterExpression={"ticket_no": {"$type": "string"}},
        )
        self.entries.create_index([("occurred_at", ASCENDING)], name="occurred_at")
        self.entries.create_index([("recorded_at", DESCENDING)], name="recorded_at")
        self.tickets.create_index([("received_at", ASCENDING)], name="received_at")

    # --- writing ------------------------------------------------------------------------

    def append(self, entry: dict) -> tuple[dict, bool]:
        """Record ``entry`` (numbered here when it has a ticket). Returns the entry as
        recorded and whether it is new: an event already recorded (same event_id) is
        returned as it was first recorded, and nothing is written."""
        for _ in range(WRITE_ATTEMPTS):
            numbered = entry
            if entry["ticket_no"] is not None:
                numbered = record.follow(entry, self.last_entry(entry["ticket_no"]))
            try:
                self.entries.insert_one(numbered)
                return numbered, True
            except DuplicateKeyError:
                recorded = self.entries.find_one({"_id": entry["_id"]})
                if recorded is not None:
                    return recorded, False
                # Another writer took this seq: read the ticket's last entry again.
        raise Contention(f"could not number {entry['_id']} for {entry['ticket_no']}")

    def last_entry(self, ticket_no: str) -> dict | None:
        """The ticket's entry with the highest seq."""
        return self.entries.find_one({"ticket_no": ticket_no}, sort=[("seq", DESCENDING)])

    def apply_to_ticket(self, entry: dict) -> None:
        """Bring the ticket's read-model row up to date with ``entry``, once: the row
        remembers the events it applied, and is written compare-and-set on its version so
        two writers cannot both base a change on the same row."""
        ticket_no, event_id = entry["ticket_no"], entry["_id"]
        for _ in range(WRITE_ATTEMPTS):
            row = self.tickets.find_one({"_id": ticket_no})
            if row is not None and event_id in row.get(events.APPLIED, ()):
                return
            changes = record.ticket_changes(row, entry)
            if row is None:
                try:
                    self.tickets.insert_one({
                        "_id": ticket_no, **record.new_row(ticket_no), **changes,
                        "version": 1, events.APPLIED: [event_id],
                    })
                    return
                except DuplicateKeyError:
                    continue  # another writer made the row first
            update = {"$inc": {"version": 1}, "$push": events.applied(event_id)}
            if changes:
                update["$set"] = changes
            result = self.tickets.update_one(
                {"_id": ticket_no, "version": row["version"], **events.unapplied(event_id)},
                update,
            )
            if result.matched_count:
                return
        raise Contention(f"could not apply {event_id} to ticket {ticket_no}")

    # --- reading ------------------------------------------------------------------------

    def timeline(self, ticket_no: str) -> list[dict]:
        """The ticket's entries in the order things happened (occurred_at, then seq)."""
        return list(self.entries.find({"ticket_no": ticket_no},
                                      sort=[("occurred_at", ASCENDING), ("seq", ASCENDING)]))

    def recent(self, limit: int) -> list[dict]:
        """The newest recorded entries, across tickets, newest first."""
        return list(self.entries.find({}, sort=[("recorded_at", DESCENDING)], limit=limit))

    def ticket(self, ticket_no: str) -> dict | None:
        return self.tickets.find_one({"_id": ticket_no})

    def entries_between(self, start: dt.datetime, end: dt.datetime,
                        event_types: tuple[str, ...]) -> list[dict]:
        """Entries of these types that occurred in [start, end)."""
        return list(self.entries.find(
            {"occurred_at": {"$gte": start, "$lt": end}, "event_type": {"$in": list(event_types)}},
            {"ticket_no": 1, "event_type": 1, "data": 1},
        ))

    def tickets_received_between(self, start: dt.datetime, end: dt.datetime) -> list[dict]:
        """Read-model rows of the tickets received in [start, end)."""
        return list(self.tickets.find({"received_at": {"$gte": start, "$lt": end}},
                                      {"state": 1, "unit_id": 1}))

    def units_of(self, ticket_nos: list[str]) -> dict[str, str | None]:
        """The unit each of these tickets was last dispatched to (read model)."""
        rows = self.tickets.find({"_id": {"$in": list(ticket_nos)}}, {"unit_id": 1})
        return {row["_id"]: row.get("unit_id") for row in rows}
