"""The tamper-evident ledger: entries are hash-chained, and verify reports every entry edited,
removed or reordered directly in the store."""
import itertools

import pytest
from ledger_events import READER, said

from services.ledger import chain, verify_cli
from services.shared.errors import InvalidRequest, NotFound

TICKET = "YP20261123-0001"
OTHER = "YP20261123-0002"
STEPS = ["ticket_created", "ticket_dispatched", "ticket_accepted", "ticket_contacted",
         "ticket_resolved", "callback_scheduled", "callback_completed", "ticket_closed"]


def life(ticket_no=TICKET):
    return [said(event_type, ticket_no, f"2026-11-23T02:{minute:02d}:00Z")
            for minute, event_type in enumerate(STEPS)]


@pytest.fixture
def recorded(deliver):
    deliver(*life(TICKET), *life(OTHER))


def entry_at(store, seq, ticket_no=TICKET):
    return store.entries.find_one({"ticket_no": ticket_no, "seq": seq})


def problems(report):
    return [(item["ticket_no"], item["seq"], item["problem"]) for item in report["broken"]]


def test_each_entry_carries_the_hash_of_the_one_before(service, store, recorded):
    entries = list(store.entries.find({"ticket_no": TICKET}, sort=[("seq", 1)]))
    assert entries[0]["prev_hash"] == chain.GENESIS
    for before, after in itertools.pairwise(entries):
        assert after["prev_hash"] == before["hash"]
    assert len({entry["hash"] for entry in entries}) == len(STEPS)

    assert service.verify(READER) == {"checked": 2 * len(STEPS), "chains": 2, "broken": [],
                                "unchained": 0, "unchained_chains": [],
                                "tickets": {"ledger": 2, "dispatch": 2, "differ": []}}


def test_an_edited_field_is_reported(service, store, recorded):
    store.entries.update_one({"ticket_no": TICKET, "seq": 5},
                             {"$set": {"data.resolution": "已办结 (改)"}})
    assert problems(service.verify(READER)) == [(TICKET, 5, "edited")]
    assert problems(service.verify(READER, OTHER)) == []


def test_an_edit_that_recomputes_its_own_hash_still_breaks_the_next_link(service, store,
                                                                          recorded):
    entry = entry_at(store, 3)
    forged = {**entry, "actor": {**entry["actor"], "name": "某人"}}
    forged["hash"] = chain.hash_of(forged, forged["prev_hash"])
    store.entries.replace_one({"_id": entry["_id"]}, forged)

    assert problems(service.verify(READER, TICKET)) == [(TICKET, 4, "removed")]


def test_a_removed_entry_is_reported_at_its_seq(service, store, recorded):
    store.entries.delete_one({"_id": entry_at(store, 4)["_id"]})
    assert problems(service.verify(READER)) == [(TICKET, 4, "removed")]


def test_a_removed_last_entry_is_found_through_the_read_model(service, store, recorded):
    last = entry_at(store, len(STEPS))
    store.entries.delete_one({"_id": last["_id"]})

    [item] = service.verify(READER)["broken"]
    assert (item["ticket_no"], item["seq"], item["event_id"], item["problem"]) == (
        TICKET, len(STEPS), last["_id"], "removed")


def test_a_removal_with_the_rest_renumbered_is_reported(service, store, recorded):
    store.entries.delete_one({"_id": entry_at(store, 2)["_id"]})
    for seq in range(3, len(STEPS) + 1):
        store.entries.update_one({"ticket_no": TICKET, "seq": seq}, {"$set": {"seq": seq - 1}})
    assert problems(service.verify(READER, TICKET)) == [(TICKET, 2, "removed")] + [
        (TICKET, seq, "reordered") for seq in range(2, len(STEPS))]


def test_two_swapped_seqs_are_reported_as_reordered(service, store, recorded):
    third, sixth = entry_at(store, 3), entry_at(store, 6)
    store.entries.update_one({"_id": third["_id"]}, {"$set": {"seq": -1}})
    store.entries.update_one({"_id": sixth["_id"]}, {"$set": {"seq": 3}})
    store.entries.update_one({"_id": third["_id"]}, {"$set": {"seq": 6}})

    report = service.verify(READER)
    assert problems(report) == [(TICKET, 3, "reordered"), (TICKET, 6, "reordered")]
    assert [item["event_id"] for item in report["broken"]] == [sixth["_id"], third["_id"]]


def test_a_hash_taken_away_is_not_passed_off_as_unchained(service, store, recorded):
    store.entries.update_one({"ticket_no": TICKET, "seq": 7}, {"$unset": {"hash": ""}})
    assert problems(service.verify(READER)) == [(TICKET, 7, "edited")]


def test_entries_recorded_before_the_chain_are_unchained_not_broken(service, store, deliver):
    old = life(TICKET)
    deliver(*old[:3])
    store.entries.update_many({}, {"$unset": {"hash": "", "prev_hash": ""}})  # as recorded once
    deliver(*old[3:])

    report = service.verify(READER)
    assert (report["broken"], report["unchained"], report["unchained_chains"]) == (
        [], 3, [TICKET])
    assert entry_at(store, 4)["prev_hash"] == chain.GENESIS  # the chain begins after them

    store.entries.update_one({"ticket_no": TICKET, "seq": 6}, {"$set": {"data.note": "改"}})
    assert problems(service.verify(READER)) == [(TICKET, 6, "edited")]


def test_a_redelivered_event_is_recorded_once_and_the_chain_stays_whole(service, store,
                                                                       deliver):
    events = life(TICKET)
    deliver(*events[:4])
    deliver(events[2], events[3], *events[4:], events[0])

    assert store.entries.count_documents({}) == len(STEPS)
    assert service.verify(READER)["broken"] == []


def test_entries_without_a_ticket_chain_per_resident_or_globally(service, store, deliver):
    checkins = [said("checkin_scheduled", None, "2026-11-23T02:00:00Z"),
                said("checkin_answered", None, "2026-11-23T02:01:00Z"),
                said("checkin_scheduled", None, "2026-11-23T02:02:00Z", resident_id="r-2")]
    task = said("callback_scheduled", None, "2026-11-23T02:03:00Z")
    deliver(*checkins, task)

    chains = {entry["_id"]: (entry["chain"], entry["chain_seq"], entry["seq"])
              for entry in store.entries.find()}
    assert [chains[event["event_id"]] for event in [*checkins, task]] == [
        ("resident:r-1", 1, None), ("resident:r-1", 2, None), ("resident:r-2", 1, None),
        ("global", 1, None)]

    store.entries.update_one({"_id": checkins[0]["event_id"]}, {"$set": {"data.note": "改"}})
    [item] = service.verify(READER)["broken"]
    assert (item["ticket_no"], item["chain"], item["seq"], item["problem"]) == (
        None, "resident:r-1", 1, "edited")


def test_verify_checks_its_argument(service, recorded):
    with pytest.raises(InvalidRequest):
        service.verify(READER, ticket_no=42)
    with pytest.raises(NotFound):
        service.verify(READER, "YP20991231-9999")


def test_the_command_line_exits_1_when_anything_is_broken(service, store, recorded, capsys):
    class Rpc:
        class ledger:
            verify = staticmethod(service.verify)

    assert verify_cli.check(Rpc, None, me=READER) == 0
    store.entries.update_one({"ticket_no": OTHER, "seq": 2}, {"$set": {"data.unit_id": "x"}})
    assert verify_cli.check(Rpc, None, me=READER) == 1
    out = capsys.readouterr().out
    assert OTHER in out and "edited" in out
    assert "2 tickets recorded, dispatch holds 2" in out

    service.dispatch.ticket_counts.side_effect = lambda actor: {}  # its store emptied
    store.entries.update_one({"ticket_no": OTHER, "seq": 2}, {"$set": {"data.unit_id": None}})
    assert verify_cli.check(Rpc, None, me=READER) == 1
    assert "DIFFER YP20261123: the ledger recorded 2, dispatch holds 0" in \
        capsys.readouterr().out


def test_an_entry_whose_place_and_hash_were_taken_away_is_reported_not_a_crash(
        service, store, recorded):
    store.entries.update_one({"ticket_no": TICKET, "seq": 4},
                             {"$unset": {"seq": "", "hash": ""}})

    found = problems(service.verify(READER, TICKET))

    assert found and all(ticket_no == TICKET for ticket_no, _, _ in found)
    assert (TICKET, 4, "removed") in found  # the place it stood at is empty
    assert problems(service.verify(READER, OTHER)) == []


def test_a_store_that_lost_its_tickets_shows_against_dispatch(service, recorded):
    """Every chain whole, but dispatch holds none of the tickets the ledger recorded (its
    store emptied): verify says so, by day."""
    service.dispatch.ticket_counts.side_effect = lambda actor: {}
    report = service.verify(READER)
    assert report["broken"] == []
    assert report["tickets"] == {"ledger": 2, "dispatch": 0, "differ": [
        {"day": "YP20261123", "ledger": 2, "dispatch": 0}]}


def test_verify_without_dispatch_still_walks_the_chains(service, recorded):
    from services.shared.errors import ServicesUnavailable

    def away(actor):
        raise ServicesUnavailable("dispatch did not answer")

    service.dispatch.ticket_counts.side_effect = away
    report = service.verify(READER)
    assert report["checked"] and report["tickets"] == {"ledger": 2, "dispatch": None,
                                                       "differ": []}


def test_a_ticket_created_said_without_a_ticket_is_kept_and_counts_no_ticket(service, store,
                                                                            recorded):
    """The ledger keeps every event as it was said: a ticket_created naming no ticket, its
    data not that of a ticket (dispatch parked it), too. verify still walks the record and
    counts the two tickets created, as dispatch does."""
    from services.shared.events import new_event

    service.on_ticket_created(new_event("intake", "ticket_created", {"caller": "nobody"}))
    service.dispatch.ticket_counts.side_effect = lambda actor: {"YP20261123": 2}

    report = service.verify(READER)
    assert store.entries.count_documents({"event_type": "ticket_created"}) == 3
    assert report["broken"] == []
    assert report["tickets"] == {"ledger": 2, "dispatch": 2, "differ": []}
