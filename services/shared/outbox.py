"""The outbox: an event is written in the same document as the state change it reports,
in one atomic update, and published from there.

A write pushes the envelope onto the document's ``outbox`` array. The service then
publishes what is pending and pulls each event off once the broker has confirmed it.
A crash between the two leaves the event in the outbox, and the periodic sweep
publishes it later: an event may go out twice, never zero times, so every consumer
is idempotent on ``event_id``.

Every write that pushes an event also sets ``outbox_pending`` (``sweep_flag()``) in the same
update, and the sweep reads only the documents so marked, by an index its store makes
(``ensure_index``), instead of every document every second (with 100,000 tickets that
scan held a service for seconds at a time). The flag goes with the last event pulled;
``ensure_index`` flags what older writers left.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from pymongo.collection import Collection

from services.shared import clock, leases

log = logging.getLogger(__name__)

OUTBOX = "outbox"
# Set by the write that pushes an event, gone with the last event pulled: what the sweep
# of a flagged collection looks for, by an index.
SWEEP_FLAG = "outbox_pending"
SWEEP_INTERVAL_SECONDS = 1.0
# The sweep leaves fresh events to the request that wrote them, to avoid publishing twice.
SWEEP_SETTLE = dt.timedelta(seconds=2)


def append(event: dict) -> dict:
    """The ``$push`` clause that puts ``event`` in a document's outbox."""
    return {OUTBOX: event}


def sweep_flag() -> dict:
    """The fields (for ``$set``, or a new document) that mark a document as having events
    to publish; every write that pushes one to a flagged collection sets them."""
    return {SWEEP_FLAG: True}


def ensure_index(collection: Collection) -> None:
    """The index the sweep of a flagged collection reads by, and, when the index is new,
    the flag on documents that older writers left events in (one pass over the
    collection, once: every writer since sets the flag, and a pass at every start would
    read a year of tickets)."""
    if SWEEP_FLAG in collection.index_information():
        return
    collection.create_index([(SWEEP_FLAG, 1)], name=SWEEP_FLAG,
                            partialFilterExpression={SWEEP_FLAG: True})
    flag_waiting(collection)


def flag_waiting(collection: Collection) -> int:
    """Flag every document with events waiting that is not flagged yet; how many."""
    return collection.update_many({f"{OUTBOX}.0": {"$exists": True}, SWEEP_FLAG: {"$ne": True}},
                                  {"$set": sweep_flag()}).modified_count


def publish_pending(
    collection: Collection,
    publish: Callable[[str, dict], Any],
    *,
    doc_id: Any = None,
    settled: bool = False,
    flagged: bool = False,
) -> int:
    """Publish the pending events of one document (``doc_id``) or of all of them, in the
    order they were written, removing each after the broker confirmed it. With
    ``settled``, only documents whose oldest pending event has waited SWEEP_SETTLE
    (``_settled``);
    with ``flagged``, only documents flagged as waiting (see the module's notes).
    Returns how many were published."""
    query: dict = {f"{OUTBOX}.0": {"$exists": True}}
    if doc_id is not None:
        query["_id"] = doc_id
    if flagged:
        query[SWEEP_FLAG] = True
    published = 0
    waiting = _WAITING.setdefault(collection.full_name, {})
    seen_now: set[tuple] = set()
    for doc in collection.find(query, {OUTBOX: 1}):
        if settled and not _settled(doc, waiting, seen_now):
            continue
        for event in doc[OUTBOX]:
            publish(event["event_type"], event)
            _pull(collection, doc["_id"], event["event_id"])
            waiting.pop((doc["_id"], event["event_id"]), None)
            published += 1
    if settled:  # forget what went out meanwhile by its writer
        for gone in set(waiting) - seen_now:
            del waiting[gone]
    return published


# When this process's sweep first saw each event waiting (time.monotonic), by collection:
# how long an event has waited is told by the monotonic clock, so a wall clock stepped back
# an hour does not hold the sweep back for an hour.
_WAITING: dict[str, dict[tuple, float]] = {}


def _settled(doc: dict, waiting: dict[tuple, float], seen_now: set[tuple]) -> bool:
    """Whether the document's oldest waiting event has waited SWEEP_SETTLE: seen waiting
    that long by this process's sweep, or said that long ago by the wall clock (events a
    crash left, at the first sweep after the restart)."""
    first = doc[OUTBOX][0]
    key = (doc["_id"], first["event_id"])
    moment = time.monotonic()
    seen_at = waiting.setdefault(key, moment)
    seen_now.add(key)
    if moment - seen_at >= SWEEP_SETTLE.total_seconds():
        return True
    return first["occurred_at"] < clock.iso(clock.now() - SWEEP_SETTLE)


def _pull(collection: Collection, doc_id: Any, event_id: str) -> None:
    """Take a published event off; with the last one, the flag too, in the same update (a
    writer that pushed another meanwhile keeps the flag: the first update matches nothing)."""
    pull = {"$pull": {OUTBOX: {"event_id": event_id}}}
    last = collection.update_one(
        {"_id": doc_id, OUTBOX: {"$size": 1}, f"{OUTBOX}.0.event_id": event_id},
        {**pull, "$unset": {SWEEP_FLAG: ""}})
    if not last.matched_count:
        collection.update_one({"_id": doc_id}, pull)


def publish_now(collection: Collection, publish: Callable[[str, dict], Any], doc_id: Any) -> None:
    """Publish one document's pending events straight after its write. A failure here is
    not the caller's: the write stands, and the sweep publishes the events later."""
    try:
        publish_pending(collection, publish, doc_id=doc_id)
    except Exception:  # the broker or the store is away for now; the sweep retries
        log.warning("events of %s left in the outbox for the sweep", doc_id, exc_info=True)


def sweep(collection_of: Callable[[Any], Collection],
          publisher_of: Callable[[Any], Callable[[str, dict], Any]] | None = None):
    """The service's periodic sweep, as a nameko timer entrypoint: publishes events that a
    crash or a broker outage left in the outbox of ``collection_of(service)``, through the
    service's ``publisher`` EventDispatcher (or ``publisher_of(service)``: what the
    service's own writes publish through), reading only the documents flagged (the store
    makes the flag's index with ``ensure_index``); in the copy of the service that holds
    its timers' lease (leases.py). In a service class::

        publish_outbox = outbox.sweep(lambda service: service.store.tickets)
    """

    @leases.timer(interval=SWEEP_INTERVAL_SECONDS)
    def publish_outbox(self) -> None:
        collection = collection_of(self)
        publish = self.publisher if publisher_of is None else publisher_of(self)
        publish_pending(collection, publish, settled=True, flagged=True)
        # a flag left behind (it never hides an event): off the index
        collection.update_many({SWEEP_FLAG: True, OUTBOX: {"$size": 0}},
                               {"$unset": {SWEEP_FLAG: ""}})

    publish_outbox.__doc__ = "Publish events a crash or a broker outage left unpublished."
    return publish_outbox
