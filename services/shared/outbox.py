"""The outbox: an event is written in the same document as the state change it reports,
in one atomic update, and published from there.

A write pushes the envelope onto the document's ``outbox`` array. The service then
publishes what is pending and pulls each event off once the broker has confirmed it.
A crash between the two leaves the event in the outbox, and the periodic sweep
publishes it later: an event may go out twice, never zero times, so every consumer
is idempotent on ``event_id``.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable

from nameko.timer import timer
from pymongo.collection import Collection

from services.shared import clock

log = logging.getLogger(__name__)

OUTBOX = "outbox"
SWEEP_INTERVAL_SECONDS = 1.0
# The sweep leaves fresh events to the request that wrote them, to avoid publishing twice.
SWEEP_SETTLE = dt.timedelta(seconds=2)


def append(event: dict) -> dict:
    """The ``$push`` clause that puts ``event`` in a document's outbox."""
    return {OUTBOX: event}


def publish_pending(
    collection: Collection,
    publish: Callable[[str, dict], Any],
    *,
    doc_id: Any = None,
    settled: bool = False,
) -> int:
    """Publish the pending events of one document (``doc_id``) or of all of them, in the
    order they were written, removing each after the broker confirmed it. With
    ``settled``, only documents whose oldest pending event is older than SWEEP_SETTLE.
    Returns how many were published."""
    query: dict = {f"{OUTBOX}.0": {"$exists": True}}
    if doc_id is not None:
        query["_id"] = doc_id
    if settled:
        query[f"{OUTBOX}.0.occurred_at"] = {"$lt": clock.iso(clock.now() - SWEEP_SETTLE)}
    published = 0
    for doc in collection.find(query, {OUTBOX: 1}):
        for event in doc[OUTBOX]:
            publish(event["event_type"], event)
            collection.update_one(
                {"_id": doc["_id"]}, {"$pull": {OUTBOX: {"event_id": event["event_id"]}}}
            )
            published += 1
    return published


def publish_now(collection: Collection, publish: Callable[[str, dict], Any], doc_id: Any) -> None:
    """Publish one document's pending events straight after its write. A failure here is
    not the caller's: the write stands, and the sweep publishes the events later."""
    try:
        publish_pending(collection, publish, doc_id=doc_id)
    except Exception:  # the broker or the store is away for now; the sweep retries
        log.warning("events of %s left in the outbox for the sweep", doc_id, exc_info=True)


def sweep(collection_of: Callable[[Any], Collection]):
    """The service's periodic sweep, as a nameko timer entrypoint: publishes events that a
    crash or a broker outage left in the outbox of ``collection_of(service)``, through the
    service's ``dispatch`` EventDispatcher. In a service class::

        publish_outbox = outbox.sweep(lambda service: service.store.tickets)
    """

    @timer(interval=SWEEP_INTERVAL_SECONDS)
    def publish_outbox(self) -> None:
        publish_pending(collection_of(self), self.dispatch, settled=True)

    publish_outbox.__doc__ = "Publish events a crash or a broker outage left unpublished."
    return publish_outbox
