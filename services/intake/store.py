"""intake's storage: the tickets as received, with the duplicate index kept in them (is
each still a candidate for repeats to merge into), the day counters that number them, and
the register's residents as the register last said (looked up by phone)."""
from __future__ import annotations

import collections
import datetime as dt

from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.shared import events, outbox, redelivery
from services.shared.states import RECEIVED
from services.shared.storage import keep_newer

# What the duplicate rules read of a candidate ticket.
CANDIDATE_FIELDS = ("ticket_no", "category", "caller", "address", "description",
                    "received_at", "candidate", "calls")
# Of those, what never changes once a ticket is stored: kept in memory per ticket (see
# candidates), so that a call reads of each open ticket near it only its id and calls.
FIXED_FIELDS = ("ticket_no", "category", "caller", "address", "description", "received_at")
FIXED_KEPT = 50_000


class TicketStore:
    def __init__(self, db: Database):
        self.db = db
        self.tickets = db["tickets"]
        self.counters = db["counters"]
        self.residents = db["residents"]
        # ticket_no -> FIXED_FIELDS of the ticket, most recently used last
        self._fixed: collections.OrderedDict[str, dict] = collections.OrderedDict()

    def ensure_indexes(self) -> None:
        # The call's id makes create_ticket idempotent: a second ticket for it cannot exist.
        self.tickets.create_index(
            [("external_id", ASCENDING)], unique=True, name="external_id_unique",
            partialFilterExpression={"external_id": {"$type": "string"}},
        )
        # A repeat call's id finds the ticket it was merged into.
        self.tickets.create_index([("repeats.external_id", ASCENDING)],
                                  name="repeat_external_id")
        self.tickets.create_index([("received_at", ASCENDING)], name="received_at")
        # A redelivered create_ticket finds the ticket its first run made or merged into
        # (by_request). Multikey: the embedded store keys each entry of the list, so the
        # equality by_request asks is answered from the index (measured: 0.07 ms against
        # 20 ms for a scan of 5,000 tickets).
        self.tickets.create_index([(events.APPLIED, ASCENDING)], name="applied_events")
        # The duplicate index: open tickets of a category, newest window first.
        self.tickets.create_index(
            [("category", ASCENDING), ("candidate", ASCENDING), ("received_at", ASCENDING)],
            name="duplicate_candidates",
        )
        # A repeat is looked for by the caller's phone and by the estate, one query each:
        # the embedded store answers an equality on an indexed field from its index, but
        # scans for an $or (measured: 0.4 ms against 38 ms with 5,000 tickets).
        self.tickets.create_index([("caller.phone", ASCENDING)], name="caller_phone")
        self.tickets.create_index([("address.estate", ASCENDING)], name="estate")
        # A caller's phone finds them in the register.
        self.residents.create_index([("phones", ASCENDING)], name="phones")
        # The sweep reads only tickets flagged with events waiting (every write below that
        # pushes one flags it), not every ticket every second.
        outbox.ensure_index(self.tickets)

    def next_sequence(self, key: str) -> int:
        """The next number of the counter ``key``, allocated atomically: unique and
        increasing across every copy of intake (a number taken by a copy that then
        crashed is a gap, never a repeat)."""
        for attempt in range(2):
            try:
                counter = self.counters.find_one_and_update(
                    {"_id": key}, {"$inc": {"seq": 1}}, upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                break
            except DuplicateKeyError:
                # two copies made the day's counter at once: the other's is there now
                if attempt:
                    raise
        assert counter is not None  # upserted: there is one after the update
        return counter["seq"]

    def add(self, ticket: dict, new_events: list[dict], request_id: str | None = None) -> dict:
        """Store a new ticket with its events in its outbox, in one write, recording the
        RPC request ``request_id`` that made it (by_request finds it). Returns the ticket
        already stored for the same external_id if there is one."""
        document = {"_id": ticket["ticket_no"], **ticket, outbox.OUTBOX: new_events,
                    **(outbox.sweep_flag() if new_events else {})}
        if request_id is not None:
            document[events.APPLIED] = [redelivery.applied_key(request_id)]
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
        """The ticket made for this call, or the one it was merged into."""
        if not external_id:
            return None
        return self.tickets.find_one(
            {"$or": [{"external_id": external_id}, {"repeats.external_id": external_id}]})

    def by_request(self, request_id: str | None) -> dict | None:
        """The ticket the RPC request ``request_id`` made, or the one it was merged into:
        what a redelivery of it finds (redelivery.py). None once that ticket has recorded
        events.APPLIED_KEPT later entries (a request comes again within minutes)."""
        if request_id is None:
            return None
        return self.tickets.find_one({events.APPLIED: redelivery.applied_key(request_id)})

    # The duplicate index
    def candidates(self, category: str, since: dt.datetime, phone: str | None,
                   estate: str | None) -> list[dict]:
        """Open tickets of ``category`` received since ``since`` from the same phone or at
        the same estate: the only ones a call could repeat (the rules decide which)."""
        near = [{"address.estate": estate}] if estate else []
        if phone:
            near.append({"caller.phone": phone})
        calls: dict = {}
        for condition in near:  # one indexed query each, rather than an $or (see indexes)
            for ticket in self.tickets.find(
                    {**condition, "category": category, "candidate": True,
                     "received_at": {"$gte": since}},
                    {"_id": 1, "calls": 1}):
                calls[ticket["_id"]] = ticket.get("calls")
        # A call is compared with every open ticket of its category at its estate or from
        # its phone, often hundreds, and copying their fields out of the embedded store was
        # half of create_ticket (py-spy, 100 calls/s): those fields never change, so each
        # ticket's are read once and kept.
        fixed = self._fixed_fields(list(calls))
        found = []
        for ticket_no, count in calls.items():
            if ticket_no in fixed:
                ticket = {"_id": ticket_no, **fixed[ticket_no], "candidate": True}
                if count is not None:
                    ticket["calls"] = count
                found.append(ticket)
        return sorted(found, key=lambda ticket: (ticket["received_at"], ticket["_id"]))

    def _fixed_fields(self, ticket_nos: list[str]) -> dict[str, dict]:
        """FIXED_FIELDS of these tickets (those that exist), from memory where kept."""
        kept = self._fixed
        missing = [number for number in ticket_nos if number not in kept]
        if missing:
            for ticket in self.tickets.find({"_id": {"$in": missing}},
                                            {name: 1 for name in FIXED_FIELDS}):
                kept[ticket["_id"]] = {name: ticket[name] for name in FIXED_FIELDS
                                       if name in ticket}
        found = {}
        for number in ticket_nos:
            if number in kept:
                kept.move_to_end(number)
                found[number] = kept[number]
        while len(kept) > FIXED_KEPT:
            kept.popitem(last=False)
        return found

    def merge(self, first: dict, call: dict, event: dict) -> dict | None:
        """Record a repeat call in the open ticket ``first`` as read, with one more call and
        its ``ticket_merged`` event, in one write; the request that brought it (the call's
        ``request``, reception.repeat_call) joins the ticket's applied list. None if the
        ticket changed meanwhile: another call merged, it closed, or this call's id or
        request is already recorded."""
        query = {"_id": first["_id"], "calls": first["calls"], "candidate": True}
        push = {"repeats": call, **outbox.append(event)}
        if call.get("external_id"):
            query["repeats.external_id"] = {"$ne": call["external_id"]}
        if call.get("request"):
            query.update(events.unapplied(call["request"]))
            push.update(events.applied(call["request"]))
        return self.tickets.find_one_and_update(
            query,
            {"$set": {"calls": first["calls"] + 1, **outbox.sweep_flag()}, "$push": push},
            return_document=ReturnDocument.AFTER,
        )

    def set_candidate(self, ticket_no: str, candidate: bool, event: dict) -> bool:
        """Take a ticket out of the duplicate index (closed) or put it back (reopened),
        once per event. Closed and reopened come on separate queues, so they may arrive
        out of order: the latest event by ``occurred_at`` decides. Only tickets dispatch
        handles (status received) are ever candidates. True if it changed."""
        result = self.tickets.update_one(
            {"_id": ticket_no, "status": RECEIVED, **events.unapplied(event["event_id"]),
             "$or": [{"candidate_as_of": None},
                     {"candidate_as_of": {"$lt": event["occurred_at"]}}]},
            {"$set": {"candidate": candidate, "candidate_as_of": event["occurred_at"]},
             "$push": events.applied(event["event_id"])},
        )
        return result.modified_count == 1

    # The register, as its events carry it
    def keep_resident(self, card: dict, version: int) -> bool:
        """Keep this version of a resident's card if it is newer than the one kept (a
        retired resident is kept too, with no phone to be found by, so that an older event
        arriving late cannot bring them back). False for an older or the same version."""
        phones = [] if card.get("retired") else list(card.get("phones") or [])
        return keep_newer(self.residents, card["resident_id"], version,
                          {"card": card, "phones": phones})

    def residents_by_phone(self, phone: str | None) -> list[dict]:
        """The cards of the residents (not retired) who have this phone (E.164)."""
        if not phone:
            return []
        return [doc["card"] for doc in self.residents.find({"phones": phone})]
