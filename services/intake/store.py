"""intake's storage: the tickets as received, and the day counters that number them."""
from __future__ import annotations

from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.shared import outbox


class TicketStore:
    def __init__(self, db: Database):
        self.db = db
        self.tickets = db["tickets"]
        self.counters = db["counters"]

    def ensure_indexes(self) -> None:
        # The call's id makes create_ticket idempotent: a second ticket for it cannot exist.
        self.tickets.create_index(
            [("external_id", ASCENDING)], unique=True, name="external_id_unique",
            partialFilterExpression={"external_id": {"$type": "string"}},
        )
        self.tickets.create_index([("received_at", ASCENDING)], name="received_at")

    def next_sequence(self, key: str) -> int:
        """The next number of the counter ``key``, allocated atomically."""
        counter = self.counters.find_one_and_update(
            {"_id": key}, {"$inc": {"seq": 1}}, upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return counter["seq"]

    def add(self, ticket: dict, events: list[dict]) -> dict:
        """Store a new ticket with its events in its outbox, in one write. Returns the
        ticket already stored for the same external_id if there is one."""
        document = {"_id": ticket["ticket_no"], **ticket, outbox.OUTBOX: events}
        try:
            self.tickets.insert_one(document)
        except DuplicateKeyError:
            existing = self.by_external_id(ticket.get("external_id"))
            if existing is None:
                raise
            return existing
        return document

    def get(self, ticket_no: str) -> dict | None:
        return self.tickets.find_one({"_id": ticket_no})

    def by_external_id(self, external_id: str | None) -> dict | None:
        if not external_id:
            return None
        return self.tickets.find_one({"external_id": external_id})
