"""dispatch's storage: the state of every ticket (with its outbox), and the directory of
units, places and routing rules."""
from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any, Final

from pymongo import ASCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from services.dispatch import directory as directory_rules
from services.dispatch.steps import Change
from services.dispatch.ticket_state import Assist, TicketState
from services.shared import events as shared_events
from services.shared import outbox
from services.shared.states import ASSIST_OWING, OPEN_STATES

# The units that assist a ticket and still owe their part, kept beside ``assists`` on every
# write so that an assisting unit's queue is one indexed equality (see handled_by).
OWING_UNITS: Final = "owing_units"


def owing_units(assists: list[Assist]) -> list[str]:
    return [assist["unit_id"] for assist in assists if assist["status"] in ASSIST_OWING]


DUE_CHECKS_PER_PASS = 500
DUPLICATE_KEY = 11000  # MongoDB's code for a write that met a unique index's key
# what readers of a ticket need not see
READING = {outbox.OUTBOX: 0, shared_events.APPLIED: 0, outbox.SWEEP_FLAG: 0}
# Tickets as readers see them, kept in memory at the version read (see handled_by).
READINGS_KEPT = 20_000


class TicketStateStore:
    def __init__(self, db: Database):
        self.db = db
        self.tickets: Collection[TicketState] = db["tickets"]  # _id = ticket_no
        self.units = db["units"]      # _id = unit id
        self.places = db["places"]    # _id = place path
        self.rules = db["rules"]      # _id = "category|place": one rule per category and place
        # card_shown events on their way to the register (an outbox of their own: a read
        # changes no ticket); each document goes once its event is published
        self.shown = db["card_views"]
        # ticket_no -> the ticket as READING reads it; most recently used last
        self._readings: collections.OrderedDict[str, TicketState] = collections.OrderedDict()

    def ensure_indexes(self) -> None:
        self.tickets.create_index([("unit_id", ASCENDING), ("state", ASCENDING)], name="queue")
        # A unit's queue is read by equality on these two (see handled_by): the embedded
        # store answers an equality on a single indexed field, or on a top-level array of
        # strings, from its index, and scans for anything else.
        self.tickets.create_index([("unit_id", ASCENDING)], name="unit")
        self.tickets.create_index([("owing_units", ASCENDING)], name="owing_units")
        # The overdue check reads only tickets whose next deadline has come.
        self.tickets.create_index([("next_check", ASCENDING)], name="next_check")
        # The supervisors' list of open tickets.
        self.tickets.create_index([("state", ASCENDING)], name="state")
        self.rules.create_index([("place", ASCENDING)], name="place")
        # The sweep reads only tickets flagged with events waiting (add_if_new and apply
        # flag what they push), not every ticket every second.
        outbox.ensure_index(self.tickets)
        outbox.ensure_index(self.shown)

    # Cards shown
    def card_shown(self, event: dict) -> None:
        """Keep a card_shown event to publish (outbox.publish_now, then forget_shown)."""
        self.shown.insert_one({"_id": event["event_id"], outbox.OUTBOX: [event],
                               **outbox.sweep_flag()})

    def forget_shown(self, event_id: str | None = None) -> None:
        """Drop the card_shown document ``event_id`` once its event has gone out; without
        one, every such document (those the sweep published after a broker outage)."""
        gone_out: dict = {outbox.OUTBOX: {"$size": 0}}
        if event_id is None:
            self.shown.delete_many(gone_out)
        else:
            self.shown.delete_one({"_id": event_id, **gone_out})

    # Tickets
    def numbers(self) -> Iterator[str]:
        """The number of every ticket held."""
        return (doc["_id"] for doc in self.tickets.find({}, {"_id": 1}))

    def get(self, ticket_no: str) -> TicketState | None:
        return self.tickets.find_one({"_id": ticket_no})

    def add_if_new(self, state: TicketState) -> bool:
        """Store a ticket's first state with its events, unless it is there already
        (a redelivered ticket_created). True if it was new."""
        fields: dict[str, Any] = {name: value for name, value in state.items() if name != "_id"}
        fields[OWING_UNITS] = owing_units(state.get("assists", []))
        if fields.get(outbox.OUTBOX):
            fields[outbox.OUTBOX] = [shared_events.at_version(event, state["version"])
                                     for event in fields[outbox.OUTBOX]]
            fields.update(outbox.sweep_flag())
        result = self.tickets.update_one({"_id": state["_id"]}, {"$setOnInsert": fields},
                                         upsert=True)
        return result.upserted_id is not None

    def apply(self, state: TicketState, change: Change) -> TicketState | None:
        """Apply ``change`` to the ticket as ``state`` read it, its events in its outbox, in
        one update. None if the ticket moved on meanwhile (or already applied the event):
        then nothing changed and the step must be decided again."""
        fields: dict[str, Any] = dict(change.fields)
        if "assists" in change.fields:
            fields[OWING_UNITS] = owing_units(change.fields["assists"])
        query = {"_id": state["_id"], "version": state["version"]}
        version = state["version"] + 1
        push: dict = {outbox.OUTBOX: {"$each": [shared_events.at_version(event, version)
                                                for event in change.events]}}
        if change.events:
            fields.update(outbox.sweep_flag())
        if change.applied_event:
            query.update(shared_events.unapplied(change.applied_event))
            push.update(shared_events.applied(change.applied_event))
        return self.tickets.find_one_and_update(
            query,
            {"$set": {**fields, "version": version}, "$push": push},
            return_document=ReturnDocument.AFTER,
        )

    def handled_by(self, unit_id: str, states: Iterable[str] = OPEN_STATES) -> list[TicketState]:
        """Tickets in ``states`` that the unit holds (leads) or assists and still owes:
        one indexed query each, rather than an $or the embedded store would scan
        (measured at 20,000 tickets: 3 ms and 12 ms against about 70 ms). The tickets
        are shared with later readers (see _read): callers must not change them."""
        states = list(states)
        versions: dict[str, int] = {}
        for holds in ({"unit_id": unit_id}, {OWING_UNITS: unit_id}):
            for ticket in self.tickets.find({**holds, "state": {"$in": states}},
                                            {"_id": 1, "version": 1}):
                versions[ticket["_id"]] = ticket["version"]
        # A ticket that moved on between the two reads is judged as it is now.
        return [ticket for ticket in self._read(versions) if ticket["state"] in states
                and (ticket["unit_id"] == unit_id or unit_id in ticket.get(OWING_UNITS, ()))]

    def _read(self, versions: dict[str, int]) -> list[TicketState]:
        """These tickets as READING reads them, from memory where the version kept is the
        one asked for. Every change of a ticket's state moves its version (apply), so
        only tickets that changed are read again: copying a few hundred tickets out of the
        embedded store was most of a unit's queue (300 open: 40 ms)."""
        kept = self._readings
        stale = [number for number, version in versions.items()
                 if number not in kept or kept[number]["version"] != version]
        if stale:
            for ticket in self.tickets.find({"_id": {"$in": stale}}, READING):
                kept[ticket["_id"]] = ticket
        found = []
        for number in versions:
            if number in kept:
                kept.move_to_end(number)
                found.append(kept[number])
        while len(kept) > READINGS_KEPT:
            kept.popitem(last=False)
        return found

    def open_tickets(self) -> list[TicketState]:
        """Every open ticket, for the supervisors' list."""
        return list(self.tickets.find({"state": {"$in": list(OPEN_STATES)}}, READING))

    def due_for_check(self, now: dt.datetime,
                      limit: int = DUE_CHECKS_PER_PASS) -> list[TicketState]:
        """Open tickets whose next unreported deadline has passed."""
        return list(self.tickets.find({"state": {"$in": list(OPEN_STATES)},
                                       "next_check": {"$lt": now}}).limit(limit))

    # Directory
    def directory_is_empty(self) -> bool:
        return self.units.count_documents({}, limit=1) == 0

    def replace_directory(self, directory: dict) -> None:
        """Put a checked directory in place of the one stored. Not atomic across the three
        collections: a routing read in the same instant may see a mix, so reload at a
        quiet moment."""
        for collection, documents in self._directory_documents(directory):
            collection.delete_many({})
            if documents:
                collection.insert_many(documents)

    def fill_directory(self, directory: dict) -> None:
        """Write a checked directory into an empty one: copies of dispatch starting
        together on a new store each fill it with the same documents, those another copy
        wrote first kept (replace_directory would fail on them). The units go last, in one
        command: a directory with units (directory_is_empty) has its places and rules, and
        a copy that died before writing them leaves it empty, to fill again."""
        for collection, documents in self._directory_documents(directory):
            if not documents:
                continue
            try:
                collection.insert_many(documents, ordered=False)
            except BulkWriteError as failed:
                # another copy wrote the same document in the same instant: kept
                if any(error["code"] != DUPLICATE_KEY
                       for error in failed.details["writeErrors"]):
                    raise

    def _directory_documents(self, directory: dict) -> list[tuple[Collection, list[dict]]]:
        places = [{"_id": place["path"], **place, "order": order}
                  for order, place in enumerate(directory_rules.flatten(directory["places"]))]
        units = [self._unit_doc(unit) for unit in directory["units"]]
        rules = [self._rule_doc(rule) for rule in directory["rules"]]
        return [(self.places, places), (self.rules, rules), (self.units, units)]

    def directory(self) -> dict:
        """The directory as ``load_directory`` takes it: units, the place tree, rules."""
        places = list(self.places.find({}, {"_id": 0}).sort("order", ASCENDING))
        return {
            "units": [self._unit(doc) for doc in self.units.find().sort("_id", ASCENDING)],
            "places": directory_rules.tree(places),
            "rules": [self._rule(doc) for doc in
                      self.rules.find().sort([("place", ASCENDING), ("category", ASCENDING)])],
        }

    def unit(self, unit_id: str) -> dict | None:
        doc = self.units.find_one({"_id": unit_id})
        return None if doc is None else self._unit(doc)

    def place_exists(self, path: str) -> bool:
        return self.places.count_documents({"_id": path}, limit=1) == 1

    def rules_at(self, paths: list[str]) -> list[dict]:
        """The routing rules of these places (all categories)."""
        return [self._rule(doc) for doc in self.rules.find({"place": {"$in": paths}})]

    def put_unit(self, unit: dict) -> dict:
        self.units.replace_one({"_id": unit["id"]}, self._unit_doc(unit), upsert=True)
        return unit

    def put_rule(self, rule: dict) -> dict:
        doc = self._rule_doc(rule)
        self.rules.replace_one({"_id": doc["_id"]}, doc, upsert=True)
        return rule

    def remove_rule(self, category: str, place: str) -> bool:
        return self.rules.delete_one({"_id": self._rule_id(category, place)}).deleted_count == 1

    @staticmethod
    def _unit_doc(unit: dict) -> dict:
        return {"_id": unit["id"], "name": unit["name"], "kind": unit["kind"],
                "place": unit.get("place")}

    @staticmethod
    def _unit(doc: dict) -> dict:
        return {"id": doc["_id"], "name": doc["name"], "kind": doc["kind"], "place": doc["place"]}

    @staticmethod
    def _rule_id(category: str, place: str) -> str:
        return f"{category}|{place}"

    def _rule_doc(self, rule: dict) -> dict:
        return {"_id": self._rule_id(rule["category"], rule["place"]),
                "category": rule["category"], "place": rule["place"], "unit_id": rule["unit_id"]}

    @staticmethod
    def _rule(doc: dict) -> dict:
        return {"category": doc["category"], "place": doc["place"], "unit_id": doc["unit_id"]}
