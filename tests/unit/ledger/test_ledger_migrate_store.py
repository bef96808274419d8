"""An operator moves a data directory that litemongo wrote alone (its indexes in memory)
to the embedded store as it is now with ``hotline-admin migrate-store``: every document,
index and file goes; the copy is checked (counts, digests, the ledger's hash chains); a
target that holds documents, or a copy whose chains are broken, is refused with a clear
word."""
from __future__ import annotations

import litemongo
import pytest
from ledger_events import said

from services.accounts import admin_cli
from services.ledger import record
from services.ledger.store import LedgerStore
from services.shared import clock, embedded_store, storage
from services.shared.files import BUCKET

TICKETS = [f"YP20261123-{n:04d}" for n in range(1, 6)]


@pytest.fixture
def old_store(tmp_path):
    """A data directory as litemongo 0.2.0 wrote it: the ledger's chains of five tickets,
    dispatch's states under a unique index, a photo beside dispatch's database."""
    root = tmp_path / "old"
    ledger_client = litemongo.connect(f"{root}/ledger?engine=sqlite", tz_aware=True)
    ledger = LedgerStore(ledger_client["ledger"])
    ledger.ensure_indexes()
    for number in TICKETS:
        for event_type, at in (("ticket_created", "2026-11-23T01:00:00Z"),
                               ("ticket_dispatched", "2026-11-23T01:01:00Z")):
            ledger.append(record.entry_of(said(event_type, number, at), clock.now()))
    ledger_client.close()
    dispatch_client = litemongo.connect(f"{root}/dispatch?engine=sqlite", tz_aware=True)
    states = dispatch_client["dispatch"]["tickets"]
    states.create_index([("unit_id", 1), ("state", 1)], name="queue")
    states.create_index([("external_id", 1)], unique=True, name="external_id_unique")
    states.insert_many([{"_id": number, "unit_id": "yinhang-grid", "state": "accepted",
                         "external_id": f"cc-{number}"} for number in TICKETS])
    dispatch_client.close()
    photo = root / "dispatch" / BUCKET / "ab" / "abcdef"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 a photo")
    return root


def migrate(source, target, capsys) -> tuple[int, str]:
    status = admin_cli.main(["migrate-store", "--from", f"litemongo:{source}",
                             "--to", f"litemongo:{target}", "--prefix", ""])
    said_out = capsys.readouterr()
    return status, said_out.out + said_out.err


def test_every_document_index_and_file_goes_and_the_copy_is_checked(old_store, tmp_path,
                                                                    capsys):
    status, words = migrate(old_store, tmp_path / "new", capsys)

    assert status == 0, words
    assert "10 entries, 0 broken" in words and "the copy is whole" in words
    dispatch = storage.connect(f"litemongo:{tmp_path / 'new'}", "dispatch")
    assert embedded_store.collection_store(dispatch["tickets"]) is not None
    assert {doc["_id"] for doc in dispatch["tickets"].find({"unit_id": "yinhang-grid",
                                                            "state": "accepted"})} \
        == set(TICKETS)
    assert dispatch["tickets"].index_information()["external_id_unique"]["unique"]
    with pytest.raises(Exception, match="Duplicate"):  # the unique index came along
        dispatch["tickets"].insert_one({"_id": "x", "external_id": f"cc-{TICKETS[0]}"})
    ledger = LedgerStore(storage.connect(f"litemongo:{tmp_path / 'new'}", "ledger"))
    assert [entry["seq"] for entry in ledger.timeline(TICKETS[2])] == [1, 2]
    assert (tmp_path / "new" / "dispatch" / BUCKET / "ab" / "abcdef").read_bytes() \
        == b"\xff\xd8 a photo"


def test_a_target_that_holds_documents_is_refused_and_left_as_it_was(old_store, tmp_path,
                                                                     capsys):
    assert migrate(old_store, tmp_path / "new", capsys)[0] == 0
    status, words = migrate(old_store, tmp_path / "new", capsys)
    assert status == 2
    assert "holds documents already" in words and "nothing was written" in words
    dispatch = storage.connect(f"litemongo:{tmp_path / 'new'}", "dispatch")
    assert dispatch["tickets"].count_documents({}) == len(TICKETS)


def test_a_chain_edited_in_the_old_store_is_reported_and_the_copy_not_trusted(old_store,
                                                                              tmp_path,
                                                                              capsys):
    client = litemongo.connect(f"{old_store}/ledger?engine=sqlite", tz_aware=True)
    client["ledger"]["entries"].update_one({"ticket_no": TICKETS[1], "seq": 1},
                                           {"$set": {"data.description": "改过的"}})
    client.close()

    status, words = migrate(old_store, tmp_path / "new", capsys)

    assert status == 1
    assert "1 broken" in words and f"broken: {TICKETS[1]} #1: edited" in words
    assert "keep using" in words


def test_files_a_target_cannot_keep_beside_it_refuse_the_copy_before_anything_is_written(
        old_store, capsys):
    target = "mongomock://migrate-store-files"
    status = admin_cli.main(["migrate-store", "--from", f"litemongo:{old_store}",
                             "--to", target, "--prefix", ""])
    words = capsys.readouterr()

    assert status == 2
    assert "keeps 1 files on disk" in words.err and "nothing was written" in words.err
    for service in ("accounts", "dispatch", "ledger"):
        assert storage.connect(target, service).list_collection_names() == []
    storage.forget_memory(target)
