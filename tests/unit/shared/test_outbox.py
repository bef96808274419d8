"""The outbox's flag: the sweep reads only the documents whose writers marked them as
having events waiting, and the mark goes with the last event published."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from services.accounts.store import AccountStore
from services.callback.store import TaskStore
from services.dispatch.store import TicketStateStore
from services.intake.store import TicketStore
from services.register.store import RegisterStore
from services.shared import clock, outbox
from services.shared.events import new_event


@pytest.fixture
def collection(database):
    return database("outbox")["docs"]


def old_event(event_type: str = "ticket_created") -> dict:
    event = new_event("intake", event_type, {}, ticket_no="YP20261123-0001")
    return {**event, "occurred_at": clock.iso(clock.now() - dt.timedelta(minutes=1))}


def sweep_once(collection) -> list[str]:
    """Run the sweep's timer entrypoint once; the types of the events it published."""
    heard: list[str] = []
    service = SimpleNamespace(publisher=lambda event_type, event: heard.append(event_type),
                              docs=collection)
    outbox.sweep(lambda service: service.docs)(service)
    return heard


@pytest.mark.parametrize("service, store_class, swept", [
    ("intake", TicketStore, ["tickets"]), ("dispatch", TicketStateStore, ["tickets"]),
    ("callback", TaskStore, ["tasks"]), ("register", RegisterStore, ["residents"]),
    ("accounts", AccountStore, ["users"])])
def test_every_collection_a_service_sweeps_has_the_flags_index(database, service, store_class,
                                                                swept):
    store_class(database(service)).ensure_indexes()
    for name in swept:
        assert outbox.SWEEP_FLAG in database(service)[name].index_information()


def test_the_index_flags_what_older_writers_left_waiting(collection):
    collection.insert_many([{"_id": 1, outbox.OUTBOX: [old_event()]},
                            {"_id": 2, outbox.OUTBOX: []}])
    outbox.ensure_index(collection)
    assert collection.find_one({"_id": 1})[outbox.SWEEP_FLAG] is True
    assert outbox.SWEEP_FLAG not in collection.find_one({"_id": 2})
    assert sweep_once(collection) == ["ticket_created"]
    assert collection.find_one({"_id": 1}) == {"_id": 1, outbox.OUTBOX: []}


def test_a_flagged_sweep_reads_only_flagged_documents(collection):
    outbox.ensure_index(collection)
    collection.insert_one({"_id": 1, outbox.OUTBOX: [old_event()], **outbox.sweep_flag()})
    # Written without the mark after the index was made: a writer that broke the rule.
    collection.insert_one({"_id": 2, outbox.OUTBOX: [old_event("ticket_merged")]})
    assert sweep_once(collection) == ["ticket_created"]
    assert collection.find_one({"_id": 2})[outbox.OUTBOX]  # not read
    # nor at the next start: the pass over the collection is made once, with the index
    outbox.ensure_index(collection)
    assert outbox.SWEEP_FLAG not in collection.find_one({"_id": 2})


def test_the_flag_goes_with_the_last_event_and_stays_while_another_waits(collection):
    outbox.ensure_index(collection)
    first, second = old_event(), old_event("ticket_answered")
    collection.insert_one({"_id": 1, outbox.OUTBOX: [first, second], **outbox.sweep_flag()})
    published = []

    def publish(event_type, event):
        published.append(event_type)
        if event_type == "ticket_answered":  # a writer pushes a third meanwhile
            collection.update_one({"_id": 1}, {"$push": outbox.append(old_event("ticket_merged")),
                                               "$set": outbox.sweep_flag()})

    assert outbox.publish_pending(collection, publish, doc_id=1) == 2
    doc = collection.find_one({"_id": 1})
    assert [e["event_type"] for e in doc[outbox.OUTBOX]] == ["ticket_merged"]
    assert doc[outbox.SWEEP_FLAG] is True
    assert outbox.publish_pending(collection, publish, doc_id=1) == 1
    assert collection.find_one({"_id": 1}) == {"_id": 1, outbox.OUTBOX: []}


def test_fresh_events_are_left_to_their_writer_and_a_stray_flag_is_cleared(collection):
    outbox.ensure_index(collection)
    fresh = new_event("intake", "ticket_created", {}, ticket_no="YP20261123-0001")
    collection.insert_one({"_id": 1, outbox.OUTBOX: [fresh], **outbox.sweep_flag()})
    collection.insert_one({"_id": 2, outbox.OUTBOX: [], **outbox.sweep_flag()})
    assert sweep_once(collection) == []
    assert collection.find_one({"_id": 1})[outbox.SWEEP_FLAG] is True
    assert outbox.SWEEP_FLAG not in collection.find_one({"_id": 2})


def test_a_clock_stepped_back_holds_a_waiting_event_back_for_the_settling_time_only(
        collection, monkeypatch):
    outbox.ensure_index(collection)
    waited = [0.0]
    monkeypatch.setattr(outbox.time, "monotonic", lambda: 1000.0 + waited[0])
    clock.step_by(-dt.timedelta(hours=1))  # the writer's and the sweep's clock an hour behind
    try:
        said = new_event("intake", "ticket_created", {}, ticket_no="YP20261123-0001")
        collection.insert_one({"_id": 1, outbox.OUTBOX: [said], **outbox.sweep_flag()})
        assert sweep_once(collection) == [], "fresh: left to its writer"
    finally:
        clock.unstep()
    # put right, the event looks an hour old: out at once, as one a crash left
    assert sweep_once(collection) == ["ticket_created"]

    clock.step_by(dt.timedelta(hours=1))  # said an hour ahead, then the clock put right
    try:
        ahead = new_event("intake", "ticket_created", {}, ticket_no="YP20261123-0002")
    finally:
        clock.unstep()
    collection.insert_one({"_id": 2, outbox.OUTBOX: [ahead], **outbox.sweep_flag()})
    assert sweep_once(collection) == []
    waited[0] = outbox.SWEEP_SETTLE.total_seconds()  # not an hour: the settling time
    assert sweep_once(collection) == ["ticket_created"]
