"""ledger's storage: the append-only ``entries`` and the ``tickets`` read model.

``entries`` (_id = event_id): written once, never updated or deleted. A unique index on
(ticket_no, seq) numbers each ticket's entries without gaps or doubles, even with several
writers; one on (chain, chain_seq) does the same for the chains of entries without a
ticket. Each entry is hash-chained to the one before it (chain.py). ``tickets`` (_id =
ticket_no): the read model, rebuilt field by field from the
entries (see record.ticket_changes), with each ticket's contributions to the indicators
and the facts still to apply (``figures_outbox``). ``figures``: the indicators' day
buckets, per (Shanghai day, unit, subdistrict, category) split in FIGURE_SHARDS by fact
(a reader sums them), with ``n`` (counters), ``hours`` ([{id, h}], resolve hours) and
``applied`` (the ids of the facts applied, which makes each fact count once; one day of
one unit, place and category, and one shard of its facts, bounds it).
``units``: each unit's name, as dispatch last gave it.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import zlib
from collections.abc import Iterable, Iterator

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, OperationFailure

from services.ledger import chain, contributions, record, search
from services.shared import clock, events
from services.shared.states import CLOSED
from services.shared.storage import LOST, Contention, Lost, until_written

# Writers racing for the same ticket each lose at most once per rival; this bounds the
# retries, after which the event goes back on the queue (on_event) and comes again.
WRITE_ATTEMPTS = 20
FIGURES_OUTBOX = "figures_outbox"
# Each fact rewrites its bucket, and a bucket keeps the id of every fact it applied: one
# bucket for a day of a busy unit grew by every ticket (at 100 tickets a second, a third
# of the ledger's time went to copying buckets). A bucket is split in this many documents;
# a fact always goes to the same one (figure_shard), so it still counts once.
FIGURE_SHARDS = 16
# The minute (UTC, "2026-11-23T02:05") an entry was recorded, indexed: the newest entries
# are found by a range of the last minutes (text that sorts in time order; see recent),
# and what changed since a page's cursor by equality on its few minutes (live.py), both
# answered from the index. (A list of a day's 1,440 minutes was too long for the embedded
# store to look up: with 300,000 tickets stored it read every entry, minutes long.)
RECORDED_MINUTE = "recorded_minute"
SEARCH_INDEX = "search_index"  # meta's record of the search index's backfill
# How far back recent looks by minute, window by window, before it reads by recorded_at.
RECENT_WINDOWS = (dt.timedelta(minutes=10), dt.timedelta(hours=1), dt.timedelta(days=1),
                  dt.timedelta(days=7))
# Then further back by recorded_at, each window the span before the last; None: the rest.
OLDER_WINDOWS = (dt.timedelta(days=30), dt.timedelta(days=365), None)


def recorded_minute(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


class LedgerStore:
    def __init__(self, db: Database):
        self.db = db
        self.entries = db["entries"]
        self.tickets = db["tickets"]
        self.figures = db["figures"]
        self.units = db["units"]
        self.meta = db["meta"]  # what was done to the store once (the search index's backfill)

    def ensure_indexes(self) -> None:
        # One seq per ticket: a concurrent writer that read the same last seq fails here.
        ensure_index(
            self.entries, [("ticket_no", ASCENDING), ("seq", ASCENDING)], unique=True,
            name="ticket_seq_unique",
            partialFilterExpression={"ticket_no": {"$type": "string"}},
        )
        # One place per chain for entries without a ticket (a resident's, the global one).
        ensure_index(
            self.entries, [("chain", ASCENDING), ("chain_seq", ASCENDING)], unique=True,
            name="chain_seq_unique", partialFilterExpression={"chain": {"$type": "string"}},
        )
        # No query reads entries by occurred_at (a ticket's are read by ticket_no, recent
        # ones by recorded_at): its index cost every write and a key per entry for nothing.
        if "occurred_at" in self.entries.index_information():
            try:
                self.entries.drop_index("occurred_at")
            except OperationFailure:  # another copy dropped it first
                pass
        self.entries.create_index([("recorded_at", DESCENDING)], name="recorded_at")
        self.entries.create_index([(RECORDED_MINUTE, ASCENDING)], name=RECORDED_MINUTE)
        self.figures.create_index([("day", ASCENDING)], name="day")
        self.tickets.create_index([("received_at", DESCENDING)], name="received_at")
        # The search index's fields (search.py), each found by equality. Not the state nor
        # the district: nearly every ticket is closed, and of the one district, and the
        # embedded store copies the whole set of an index's matches for every query.
        for name in (*search.SEARCH_FIELDS, search.TAKEN_BY, search.SCOPE_UNITS,
                     search.PLACES, search.RECEIVED_HOUR, search.RECEIVED_DAY, "category",
                     "unit_id"):
            ensure_index(self.tickets, [(name, ASCENDING)], name=f"search_{name}")
        self.index_unindexed()

    def index_unindexed(self) -> int:
        """Give every row the search fields (search.py) from its ticket's entries, once
        for this SEARCH_VERSION: rows recorded before the ledger kept them (an
        interrupted run does it again, the same). Returns how many rows it indexed."""
        done = self.meta.find_one({"_id": SEARCH_INDEX})
        if done is not None and done.get("version") == search.SEARCH_VERSION:
            return 0
        indexed = 0
        for row in self.tickets.find({search.INDEXED: {"$ne": search.SEARCH_VERSION}},
                                     {"_id": 1, "unit_id": 1, "assists": 1, "received_at": 1,
                                      "place": 1}):
            changes: dict = {search.INDEXED: search.SEARCH_VERSION,
                             search.SCOPE_UNITS: search.scope_units(row),
                             search.RECEIVED_HOUR: search.received_hour(row.get("received_at")),
                             search.RECEIVED_DAY: search.received_day(row.get("received_at")),
                             search.PLACES: search.places(row.get("place"))}
            kept: dict = {}
            for entry in self.entries.find({"ticket_no": row["_id"], "event_type": {
                    "$in": ["ticket_created", "ticket_merged"]}}):
                data = entry.get("data") or {}
                if entry["event_type"] == "ticket_created":
                    changes.update(search.created_changes(kept, data, entry.get("actor")))
                else:
                    changes.update(search.merged_changes(kept, data))
                kept = {**kept, **changes}
            self.tickets.update_one({"_id": row["_id"]}, {"$set": changes})
            indexed += 1
        self.meta.replace_one({"_id": SEARCH_INDEX},
                              {"_id": SEARCH_INDEX, "version": search.SEARCH_VERSION},
                              upsert=True)
        return indexed

    # --- writing ------------------------------------------------------------------------

    def append(self, entry: dict) -> tuple[dict, bool]:
        """Record ``entry`` (numbered here when it has a ticket). Returns the entry as
        recorded and whether it is new: an event already recorded (same event_id) is
        returned as it was first recorded, and nothing is written."""
        def attempt() -> tuple[dict, bool] | Lost:
            numbered = record.chained_after(entry, self.last_in_chain(chain.chain_of(entry), entry))
            numbered[RECORDED_MINUTE] = recorded_minute(numbered["recorded_at"])
            try:
                self.entries.insert_one(numbered)
                return numbered, True
            except DuplicateKeyError:
                recorded = self.entries.find_one({"_id": entry["_id"]})
                if recorded is not None:
                    return recorded, False
                return LOST  # another writer took this seq: read the last entry again

        return until_written(attempt, WRITE_ATTEMPTS, Contention(
            f"could not number {entry['_id']} for {entry['ticket_no']}"))

    def last_entry(self, ticket_no: str) -> dict | None:
        """The ticket's entry with the highest seq."""
        return self.entries.find_one({"ticket_no": ticket_no}, sort=[("seq", DESCENDING)])

    def last_in_chain(self, name: str, entry: dict) -> dict | None:
        """The last entry of the chain ``entry`` goes in (named ``name``, see chain.py)."""
        if entry["ticket_no"] is not None:
            return self.last_entry(entry["ticket_no"])
        return self.entries.find_one({"chain": name}, sort=[("chain_seq", DESCENDING)])

    def chains(self, ticket_no: str | None = None) -> Iterator[list[dict]]:
        """Every chain's entries (or only ``ticket_no``'s), one list per chain: tickets'
        in number order, then the others'. Entries recorded without a ticket before the
        ledger chained its entries come last, as one list."""
        if ticket_no is not None:
            found = list(self.entries.find({"ticket_no": ticket_no}))
            yield from [found] if found else []
            return
        tickets = self.entries.find({"ticket_no": {"$type": "string"}},
                                    sort=[("ticket_no", ASCENDING), ("seq", ASCENDING)])
        for _, entries in itertools.groupby(tickets, key=lambda entry: entry["ticket_no"]):
            yield list(entries)
        yield from self.chains_without_ticket()

    def ticket_chains(self) -> Iterator[list[dict]]:
        """Every ticket's chain, one ticket read at a time: for a walk of a large record
        on a store that sorts in memory (chains() sorts every entry at once)."""
        for number in sorted(self.entries.distinct("ticket_no",
                                                   {"ticket_no": {"$type": "string"}})):
            yield from self.chains(number)

    def chains_without_ticket(self) -> Iterator[list[dict]]:
        """The chains of entries without a ticket (a resident's, the global one), then the
        entries recorded without a ticket before the ledger chained its entries."""
        others = self.entries.find({"ticket_no": None, "chain": {"$type": "string"}},
                                   sort=[("chain", ASCENDING), ("chain_seq", ASCENDING)])
        for _, entries in itertools.groupby(others, key=lambda entry: entry["chain"]):
            yield list(entries)
        unchained = list(self.entries.find({"ticket_no": None, "chain": {"$exists": False}}))
        yield from [unchained] if unchained else []

    def created_numbers(self) -> Iterator[str]:
        """The number of every ticket whose ticket_created is recorded (one said naming no
        ticket is kept as said, and creates none)."""
        return (entry["ticket_no"] for entry in self.entries.find(
            {"event_type": "ticket_created", "ticket_no": {"$ne": None}}, {"ticket_no": 1}))

    def applied_events(self, ticket_no: str | None = None) -> Iterator[tuple[str, list[str]]]:
        """Each ticket row's number and the events it applied (the latest APPLIED_KEPT)."""
        query = {} if ticket_no is None else {"_id": ticket_no}
        for row in self.tickets.find(query, {events.APPLIED: 1}, sort=[("_id", ASCENDING)]):
            yield row["_id"], row.get(events.APPLIED) or []

    def recorded(self, event_ids: list[str]) -> set[str]:
        """Which of these events the record has."""
        return {entry["_id"] for entry in self.entries.find({"_id": {"$in": event_ids}},
                                                            {"_id": 1})}

    def apply_to_ticket(self, entry: dict) -> None:
        """Bring the read-model rows ``entry`` changes up to date (its ticket's, and the
        praised ticket's), then apply the facts their figures wait for. Each row applies an
        event once: it remembers the events it applied, and is written compare-and-set on
        its version so two writers cannot both base a change on the same row."""
        for ticket_no in contributions.rows_of(entry):
            self._apply_to_row(ticket_no, entry)
            self.apply_figures(ticket_no)

    def _apply_to_row(self, ticket_no: str, entry: dict) -> None:
        event_id = entry["_id"]

        def attempt() -> None | Lost:
            row = self.tickets.find_one({"_id": ticket_no})
            if row is not None and event_id in row.get(events.APPLIED, ()):
                return None
            changes, facts = record.row_changes(row, entry, ticket_no)
            if row is None:
                try:
                    self.tickets.insert_one({
                        "_id": ticket_no, **record.new_row(ticket_no), **changes,
                        "version": 1, events.APPLIED: [event_id], FIGURES_OUTBOX: facts,
                    })
                    return None
                except DuplicateKeyError:
                    return LOST  # another writer made the row first
            update = {"$inc": {"version": 1},
                      "$push": {**events.applied(event_id), FIGURES_OUTBOX: {"$each": facts}}}
            if changes:
                update["$set"] = changes
            result = self.tickets.update_one(
                {"_id": ticket_no, "version": row["version"], **events.unapplied(event_id)},
                update,
            )
            return None if result.matched_count else LOST

        until_written(attempt, WRITE_ATTEMPTS, Contention(
            f"could not apply {event_id} to ticket {ticket_no}"))

    def apply_figures(self, ticket_no: str) -> None:
        """Apply the facts waiting in the ticket's ``figures_outbox`` to their buckets, in
        the order they were written, each removed once its bucket has it. A fact a bucket
        already applied (a crash came before its removal) is not applied again."""
        row = self.tickets.find_one({"_id": ticket_no}, {FIGURES_OUTBOX: 1}) or {}
        for fact in row.get(FIGURES_OUTBOX) or []:
            self._apply_fact(fact)
            self.tickets.update_one({"_id": ticket_no},
                                    {"$pull": {FIGURES_OUTBOX: {"id": fact["id"]}}})

    def _apply_fact(self, fact: dict) -> None:
        bucket = fact["bucket"]
        shard = figure_shard(fact)
        update: dict = {"$setOnInsert": bucket, "$push": {"applied": fact["id"]}}
        if fact["inc"]:
            update["$inc"] = {f"n.{name}": value for name, value in fact["inc"].items()}
        if fact["push_hours"]:
            update["$push"]["hours"] = fact["push_hours"]
        if fact["pull_hours"]:
            update["$pull"] = {"hours": {"id": fact["pull_hours"]}}
        where = {"_id": bucket_id(bucket, shard), "applied": {"$ne": fact["id"]}}
        try:
            self.figures.update_one(where, update, upsert=True)
        except DuplicateKeyError:
            # The bucket exists: it applied this fact already (nothing matches), or a rival
            # made it between our look and our insert (it matches now).
            self.figures.update_one(where, update)
        if fact["pull_hours"]:  # hours pushed before buckets were split are in the whole one
            self.figures.update_one({"_id": bucket_id(bucket)},
                                    {"$pull": {"hours": {"id": fact["pull_hours"]}}})

    def name_unit(self, unit_id: str, unit_name: str | None) -> None:
        """Remember a unit's name for the indicators' rows."""
        if unit_id and unit_name:
            self.units.update_one({"_id": unit_id}, {"$set": {"name": unit_name}}, upsert=True)

    # --- reading ------------------------------------------------------------------------

    def timeline(self, ticket_no: str) -> list[dict]:
        """The ticket's entries in the order things happened (record.causal_order)."""
        return record.causal_order(self.entries.find({"ticket_no": ticket_no}))

    def recent(self, limit: int) -> list[dict]:
        """The newest recorded entries, across tickets, newest first: those recorded in
        the last minutes, window by window back (RECENT_WINDOWS) until there are enough,
        then any older by recorded_at, window by window further back (OLDER_WINDOWS).
        Each window is a range its index answers, so a quiet week over years of history
        reads the week, not the years. Entries recorded before RECORDED_MINUTE was kept
        are found by recorded_at too."""
        order = [("recorded_at", DESCENDING)]
        found: list[dict] = []
        newest = clock.now() + dt.timedelta(minutes=1)  # a clock a little ahead: still found
        end = newest
        for window in RECENT_WINDOWS:
            start = newest - window
            found += self.entries.find({RECORDED_MINUTE: {"$gt": recorded_minute(start),
                                                          "$lte": recorded_minute(end)}},
                                       sort=order, limit=limit - len(found))
            end = start
            if len(found) >= limit:
                return found[:limit]
        # the minutes looked at end with recorded_minute(end)'s
        boundary = dt.datetime.strptime(recorded_minute(end), "%Y-%m-%dT%H:%M").replace(
            tzinfo=dt.UTC) + dt.timedelta(minutes=1)
        found += self.entries.find({"recorded_at": {"$gte": boundary},
                                    RECORDED_MINUTE: {"$exists": False}})
        found.sort(key=lambda entry: clock.as_utc(entry["recorded_at"]), reverse=True)
        later = boundary
        for older in OLDER_WINDOWS:
            if len(found) >= limit:
                break
            recorded: dict = {"$lt": later}
            if older is not None:
                recorded["$gte"] = later - older
            found += self.entries.find({"recorded_at": recorded}, sort=order,
                                       limit=limit - len(found))
            if older is not None:
                later -= older
        return found[:limit]

    def ticket(self, ticket_no: str) -> dict | None:
        return self.tickets.find_one({"_id": ticket_no})

    def recorded_since(self, minutes: list[str]) -> list[dict]:
        """The entries recorded in these minutes (live.minutes_between), with only what
        the changes answer reads of them: an equality on RECORDED_MINUTE, from its index."""
        return list(self.entries.find(
            {RECORDED_MINUTE: {"$in": minutes}},
            {"ticket_no": 1, "seq": 1, "event_type": 1, "source": 1, "recorded_at": 1,
             "data.unit_id": 1, "data.previous_unit_id": 1}))

    def rows_within(self, ticket_nos: list[str], scope: dict) -> dict[str, dict]:
        """The read-model rows of these tickets within ``scope`` (record.scope_query), by
        number."""
        if not ticket_nos:
            return {}
        return {row["_id"]: row for row in self.tickets.find(
            {**scope, "_id": {"$in": ticket_nos}},
            {"state": 1, "unit_id": 1, "assists": 1, "category": 1, "kind": 1, "channel": 1,
             "urgency": 1, "priority": 1, "place": 1})}

    def created_entry(self, ticket_no: str) -> dict | None:
        """The ticket's ticket_created entry (who took the call, the resident's card)."""
        return self.entries.find_one({"ticket_no": ticket_no, "event_type": "ticket_created"})

    def listed_tickets(self, start: dt.datetime | None, end: dt.datetime | None,
                       closed: bool | None, ticket_nos: list[str] | None,
                       categories: list[str] | None, limit: int,
                       scope: dict | None = None,
                       with_latest: bool = True, offset: int = 0) -> list[tuple]:
        """Read-model rows received in [start, end) (either bound optional), closed or not
        (None: either), among ``ticket_nos`` and of ``categories`` if given, within
        ``scope`` (a reader's filter: record.scope_query); newest received first, the
        first ``offset`` passed over, at most ``limit``. Each comes with its
        ticket_created entry and its latest entry (None unless ``with_latest``):
        (row, created, latest)."""
        query: dict = dict(scope or {})
        received: dict = {}
        if start is not None:
            received["$gte"] = start
        if end is not None:
            received["$lt"] = end
        if received:
            query["received_at"] = received
        if closed is not None:
            query["state"] = CLOSED if closed else {"$ne": CLOSED}
        if ticket_nos is not None:
            query["_id"] = {"$in": list(ticket_nos)}
        if categories is not None:
            query["category"] = {"$in": list(categories)}
        rows = list(self.tickets.find(
            query, sort=[("received_at", DESCENDING), ("_id", ASCENDING)], skip=offset,
            limit=limit))
        numbers = [row["_id"] for row in rows]
        if not with_latest:
            created = {entry["ticket_no"]: entry for entry in self.entries.find(
                {"ticket_no": {"$in": numbers}, "event_type": "ticket_created"})}
            return [(row, created.get(row["_id"]), None) for row in rows]
        return self._with_entries(rows)

    def search(self, query: dict, sort: list[tuple[str, int]], offset: int,
               limit: int, narrow: bool = False,
               period: tuple = (None, None)) -> tuple[int, bool, list[tuple]]:
        """How many rows match ``query`` (search.search_query), counted up to
        search.COUNTED, whether that is all of them, and the page of them sorted by
        ``sort`` from ``offset``, at most ``limit``, each with its ticket_created entry and
        its latest entry: (total, exact, [(row, created, latest)]). ``narrow``: see
        search.narrow; ``period``: the query's [start, end) received, if any."""
        if sort == search.SORTS["newest"]:
            keys, exact = self._newest(query, offset + limit, narrow, period)
            counted = len(keys)
            numbers = [key["_id"] for key in keys[offset:offset + limit]]
            by_number = {row["_id"]: row for row in self.tickets.find({"_id": {"$in": numbers}})}
            rows = [by_number[number] for number in numbers if number in by_number]
        else:
            counted = self.tickets.count_documents(query)
            exact = True
            rows = list(self.tickets.find(query, sort=sort, skip=offset, limit=limit)) \
                if limit else []
        total = min(counted, search.COUNTED)
        return total, exact and counted <= search.COUNTED, self._with_entries(rows)

    def _newest(self, query: dict, wanted: int, narrow: bool = False,
                period: tuple = (None, None)) -> tuple[list[dict], bool]:
        """The first ``wanted`` rows matching ``query`` newest received first, and whether
        all matching rows were looked at: the numbers and times received are read by
        windows back from now (search.windows: each found by equality on the hour or the
        day, which the embedded store answers from its index) until there are ``wanted``
        and more than search.COUNTED, then those not received yet (their ticket_created
        not recorded); all at once for a ``narrow`` search (search.narrow). Only the
        hours and days within ``period`` ([start, end) received, either None) are read. Only the
        page's rows are read whole."""
        seen = {"_id": 1, "received_at": 1}
        if narrow:
            return _newest_first(self.tickets.find(query, seen)), True
        keys: list[dict] = []
        # windows grow back from the period's end (now, or the end asked for, if earlier)
        top = clock.now() if period[1] is None else min(clock.now(), clock.as_utc(period[1]))
        for window in search.windows(top, *period):
            keys += _newest_first(self.tickets.find({"$and": [query, window[2]]}, seen))
            if len(keys) >= wanted and len(keys) > search.COUNTED:
                return keys, False
        keys += self.tickets.find({"$and": [query, {search.RECEIVED_HOUR: ""}]}, seen,
                                  sort=[("_id", DESCENDING)])
        return keys, True

    def _with_entries(self, rows: list[dict]) -> list[tuple]:
        """Each row with its ticket_created entry and its latest entry: one read of the
        rows' entries gives both."""
        numbers = [row["_id"] for row in rows]
        entries: dict[str, list[dict]] = {number: [] for number in numbers}
        for entry in self.entries.find({"ticket_no": {"$in": numbers}}):
            entries[entry["ticket_no"]].append(entry)
        listed = []
        for row in rows:
            own = entries[row["_id"]]
            created_entry = next((entry for entry in own
                                  if entry["event_type"] == "ticket_created"), None)
            listed.append((row, created_entry, record.causal_order(own)[-1] if own else None))
        return listed

    def resident_ticket_nos(self, resident_id: str) -> list[str]:
        """The numbers of the tickets intake received with this resident's card on them
        (a caller in the register, a missed check-in's welfare check)."""
        return [entry["ticket_no"] for entry in self.entries.find(
            {"event_type": "ticket_created", "data.resident.resident_id": resident_id},
            {"ticket_no": 1})]

    def latest_entry(self, ticket_no: str) -> dict | None:
        """The ticket's entry last in its timeline's order (record.causal_order)."""
        timeline = self.timeline(ticket_no)
        return timeline[-1] if timeline else None

    def buckets_between(self, first_day: str, end_day: str) -> list[dict]:
        """The indicators' buckets of the Shanghai days in [first_day, end_day)."""
        return list(self.figures.find({"day": {"$gte": first_day, "$lt": end_day}},
                                      {"applied": 0}))

    def unit_names(self, unit_ids: list[str]) -> dict[str, str]:
        """The names of these units, where known."""
        return {row["_id"]: row["name"]
                for row in self.units.find({"_id": {"$in": list(unit_ids)}})}


def ensure_index(collection, keys: list[tuple], **options) -> None:
    """``create_index``, unless the collection has that index already (same name, same
    keys). The embedded store checks every document against a unique index each time it
    is asked to make it: with 100,000 tickets' entries that was a minute at each start.
    An index of that name on other keys is still refused by create_index."""
    existing = collection.index_information().get(options.get("name"))
    if existing is not None and [tuple(key) for key in existing["key"]] == list(keys) \
            and bool(existing.get("unique")) == bool(options.get("unique")) \
            and existing.get("partialFilterExpression") == options.get("partialFilterExpression"):
        return
    collection.create_index(keys, **options)


def _newest_first(rows: Iterable[dict]) -> list[dict]:
    """Rows newest received first, then the higher number first (search.SORTS["newest"])."""
    ordered = sorted(rows, key=lambda row: row["_id"], reverse=True)
    ordered.sort(key=lambda row: clock.as_utc(row["received_at"]) if row.get("received_at")
                 else dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
    return ordered


def bucket_id(bucket: dict, shard: int | None = None) -> str:
    """A bucket's _id: its day, unit, subdistrict and category (and person, for a person's
    facts), as JSON text, and after
    ``#`` its shard (none for a bucket written before buckets were split)."""
    person = [bucket["assignee"]] if bucket.get("assignee") else []  # a person's facts
    whole = json.dumps([bucket["day"], bucket["unit_id"], bucket["subdistrict"],
                        bucket["category"], *person], ensure_ascii=False)
    return whole if shard is None else f"{whole}#{shard}"


def figure_shard(fact: dict) -> int:
    """The shard of its bucket a fact goes to: always the same for the same fact, and a
    fact that takes back resolve hours goes where the fact that gave them went (their id
    is that fact's)."""
    key = fact["pull_hours"] or fact["id"]
    return zlib.crc32(str(key).encode("utf-8")) % FIGURE_SHARDS
