"""The wire store (deploy/wire_store.py), the stand-in for a MongoDB replica set, run as a
process of its own as a MongoDB server is: pymongo reaches it over the network as a
primary, its answers are the engine's (mongomock's, the embedded store's), it keeps what
it was given across a restart, several clients share it, a retried write is applied once,
and it misbehaves as a replica set does: pymongo rides out an election and reports a
dropped or stalled server. pymongo under eventlet, as the services run it (this process is
patched as a service's is), is driven through it by many green threads on a small pool."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid

import mongomock
import pymongo
import pytest
from integration_support import ROOT
from integration_support import WireStoreProcess as Server
from pymongo import ReturnDocument
from pymongo.errors import AutoReconnect, BulkWriteError, DuplicateKeyError, OperationFailure

SET_NAME = "hotline"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One server for the module, on the embedded store (the engine the drill and the
    bench give it), each test in databases of its own."""
    server = Server(tmp_path_factory.mktemp("wire"))
    yield server
    server.stop()


def misbehave(client: pymongo.MongoClient, how: str, seconds: float) -> None:
    client.admin.command({"hotlineMisbehave": how, "seconds": seconds})


def fresh(client: pymongo.MongoClient):
    """A database of this test's own on the module's store."""
    return client[f"t{uuid.uuid4().hex[:8]}"]


def client_of(server: Server, **options) -> pymongo.MongoClient:
    return pymongo.MongoClient(server.uri, **{"serverSelectionTimeoutMS": 5000,
                                              "socketTimeoutMS": 5000, **options})


def story(database) -> list:
    """What a service does with its store, each answer kept to compare."""
    tickets = database["tickets"]
    seen: list = [tickets.create_index([("unit_id", 1), ("state", 1)], name="queue"),
                  tickets.create_index([("ticket_no", 1)], unique=True, name="number")]
    tickets.insert_many([{"_id": f"T{n:03}", "ticket_no": f"YP-{n:03}", "version": 1,
                          "unit_id": f"unit-{n % 3}", "state": "open" if n % 4 else "closed",
                          "words": ["灯", "楼道"][: n % 3]} for n in range(250)])
    try:
        tickets.insert_one({"_id": "double", "ticket_no": "YP-007"})
    except DuplicateKeyError as refused:
        seen.append(("refused", refused.code))
    try:
        tickets.insert_many([{"_id": "x1", "ticket_no": "YP-900"},
                             {"_id": "x2", "ticket_no": "YP-001"}, {"_id": "x3"}])
    except BulkWriteError as refused:
        seen.append(("bulk", refused.details["nInserted"],
                     [error["code"] for error in refused.details["writeErrors"]]))
    seen.append(list(tickets.find({"unit_id": "unit-1", "state": "open"},
                                  {"version": 1}, sort=[("ticket_no", -1)], skip=3,
                                  limit=150, batch_size=20)))
    seen.append(list(tickets.find({"words": "楼道"}).batch_size(7)))
    seen.append(tickets.update_many({"state": "closed"}, {"$inc": {"version": 1}})
                .modified_count)
    seen.append(tickets.update_one({"_id": "new"}, {"$set": {"ticket_no": "YP-999"}},
                                   upsert=True).upserted_id)
    seen.append(tickets.replace_one({"_id": "T005"}, {"ticket_no": "YP-005", "v": 2})
                .matched_count)
    seen.append(tickets.find_one_and_update({"_id": "T006"}, {"$inc": {"version": 1}},
                                            return_document=ReturnDocument.AFTER))
    seen.append(tickets.find_one_and_update({"_id": "T777"}, {"$set": {"version": 1}},
                                            upsert=True,
                                            return_document=ReturnDocument.AFTER))
    seen.append(tickets.find_one_and_delete({"_id": "T008"}))
    seen.append(tickets.delete_many({"unit_id": "unit-2", "state": "closed"}).deleted_count)
    seen.append(tickets.count_documents({"state": "open"}))
    seen.append(sorted(tickets.distinct("unit_id")))
    seen.append(list(tickets.aggregate([{"$match": {"state": "open"}},
                                        {"$group": {"_id": "$unit_id", "n": {"$sum": 1}}},
                                        {"$sort": {"_id": 1}}])))
    seen.append(sorted(tickets.index_information()))
    seen.append(database.list_collection_names())
    return seen


def test_pymongo_reaches_it_as_a_replica_sets_primary(store):
    client = client_of(store)
    hello = client.admin.command("hello")
    assert (hello["setName"], hello["isWritablePrimary"]) == (SET_NAME, True)
    client.admin.command("ping")
    assert client.topology_description.topology_type_name == "ReplicaSetWithPrimary"
    client.close()


def test_its_answers_are_the_engines(store):
    client = client_of(store)
    assert story(fresh(client)) == story(mongomock.MongoClient(tz_aware=True)["dispatch"])
    client.close()


def test_it_keeps_what_it_was_given_across_a_restart(tmp_path):
    server = Server(tmp_path)
    client = client_of(server)
    client["ledger"]["entries"].insert_many([{"_id": n, "seq": n} for n in range(30)])
    client.close()
    server.stop()
    again = Server(tmp_path)
    client = client_of(again)
    assert [entry["seq"] for entry in client["ledger"]["entries"].find(
        {"seq": {"$gte": 25}}, sort=[("seq", 1)])] == [25, 26, 27, 28, 29]
    client.close()
    again.stop()


def test_several_clients_share_one_store(store):
    # as copies of a service do: each its own client, all writing and reading at once
    name = f"t{uuid.uuid4().hex[:8]}"

    def copy(number: int) -> None:
        client = client_of(store)
        for step in range(40):
            client[name]["tickets"].insert_one({"copy": number, "step": step})
            assert client[name]["tickets"].count_documents({"copy": number}) == step + 1
        client.close()

    copies = [threading.Thread(target=copy, args=(number,)) for number in range(4)]
    for running in copies:
        running.start()
    for running in copies:
        running.join()
    assert client_of(store)[name]["tickets"].count_documents({}) == 160


def test_a_write_whose_answer_is_lost_is_retried_and_applied_once(store):
    client = client_of(store)
    tickets = fresh(client)["tickets"]
    misbehave(client, "lose_answers", 30)
    tickets.insert_one({"_id": "T1", "version": 1})  # answered by pymongo's retry
    tickets.update_one({"_id": "T1"}, {"$inc": {"version": 1}})
    after = tickets.find_one_and_update({"_id": "T1"}, {"$inc": {"version": 1}},
                                        return_document=ReturnDocument.AFTER)
    assert after["version"] == 3  # each increment once, though each was sent twice
    misbehave(client, "lose_answers", 0)
    assert tickets.find_one({"_id": "T1"})["version"] == 3
    client.close()


def test_an_election_is_ridden_out_and_a_dropped_or_stalled_server_is_reported(store):
    client = client_of(store, serverSelectionTimeoutMS=3000)
    control = client_of(store)  # its own connection, kept for telling the server
    control.admin.command("ping")
    database = fresh(client)
    tickets = database["tickets"]
    tickets.insert_one({"_id": "before"})
    # no primary for a second: pymongo waits for one and retries the write
    misbehave(control, "not_primary", 1.0)
    started = time.monotonic()
    tickets.insert_one({"_id": "during the election"})
    assert time.monotonic() - started >= 0.5
    assert tickets.count_documents({}) == 2
    # every connection dropped: the write and its one retry fail, and say so
    misbehave(control, "drop", 2.0)
    with pytest.raises(AutoReconnect):
        tickets.insert_one({"_id": "while dropped"})
    misbehave(control, "drop", 0)
    assert tickets.count_documents({"_id": "while dropped"}) == 0
    # a stalled server: a client with a short socket timeout gives up
    impatient = client_of(store, socketTimeoutMS=300, retryReads=False)
    impatient.admin.command("ping")
    misbehave(control, "stall", 1.0)
    with pytest.raises(AutoReconnect):  # NetworkTimeout is one
        impatient[database.name]["tickets"].find_one({"_id": "before"})
    time.sleep(1.1)
    assert impatient[database.name]["tickets"].find_one({"_id": "before"}) == {"_id": "before"}
    impatient.close()
    control.close()
    client.close()


def test_large_results_come_in_batches_a_client_takes(store):
    # pymongo refuses a reply larger than the server said it sends: batches stop at 16 MiB
    tickets = fresh(client_of(store))["attachments"]
    tickets.insert_many([{"_id": n, "photo": b"x" * 1_000_000} for n in range(60)])
    assert [photo["_id"] for photo in tickets.find({}, {"_id": 1})] == list(range(60))
    assert len(list(tickets.find())) == 60
    assert len(list(tickets.find().batch_size(2))) == 60


def test_a_write_that_partly_fails_says_what_it_did_and_is_applied_once(store):
    client = client_of(store)
    control = client_of(store)
    control.admin.command("ping")
    tickets = fresh(client)["tickets"]
    tickets.insert_one({"_id": "T1", "version": 1})
    misbehave(control, "lose_answers", 30)  # each answer lost once: pymongo retries
    with pytest.raises(BulkWriteError) as refused:
        tickets.bulk_write([pymongo.UpdateOne({"_id": "T1"}, {"$inc": {"version": 1}}),
                            pymongo.UpdateOne({"_id": "T1"}, {"$set": {"$bogus": 1}})])
    misbehave(control, "lose_answers", 0)
    assert refused.value.details["nModified"] == 1
    assert [error["index"] for error in refused.value.details["writeErrors"]] == [1]
    assert tickets.find_one({"_id": "T1"})["version"] == 2  # the retry applied nothing again
    client.close()
    control.close()


def test_what_it_does_not_do_it_refuses_and_it_never_loses_an_unanswered_write(store):
    client = client_of(store)
    database = fresh(client)
    with client.start_session() as session, pytest.raises(OperationFailure) as refused:
        with session.start_transaction():
            database["tickets"].insert_one({"_id": "in a transaction"}, session=session)
    assert refused.value.code == 20
    assert database["tickets"].count_documents({}) == 0
    # unacknowledged writes (w=0) get no answer, and each is carried out
    quiet = client_of(store, maxPoolSize=1)[database.name].get_collection(
        "tickets", write_concern=pymongo.WriteConcern(w=0))
    for number in range(200):
        quiet.insert_one({"_id": number})
    deadline = time.monotonic() + 10
    while database["tickets"].count_documents({}) < 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert database["tickets"].count_documents({}) == 200
    names = database.list_collection_names(filter={"name": {"$in": ["tickets", "x"]}})
    assert names == ["tickets"]
    client.close()


def test_a_stall_holds_the_answers_not_the_server(store):
    client = client_of(store)
    control = client_of(store)
    control.admin.command("ping")
    database = fresh(client)
    database["tickets"].insert_one({"_id": "T1"})
    misbehave(control, "stall", 30)
    reading = threading.Thread(target=database["tickets"].find_one, args=({"_id": "T1"},))
    reading.start()
    time.sleep(0.3)
    started = time.monotonic()
    misbehave(control, "stall", 0)  # answered while the read waits: the stall ends
    reading.join(timeout=10)
    assert not reading.is_alive() and time.monotonic() - started < 5
    client.close()
    control.close()


def test_it_is_told_to_misbehave_by_a_command(store):
    client = client_of(store)
    client.admin.command({"hotlineMisbehave": "not_primary", "seconds": 0.5})
    assert client.admin.command("hello")["isWritablePrimary"] is False
    time.sleep(0.6)
    assert client.admin.command("hello")["isWritablePrimary"] is True
    with pytest.raises(OperationFailure):
        client.admin.command({"hotlineMisbehave": "explode", "seconds": 1})
    client.close()


GREEN = """
import eventlet
eventlet.monkey_patch()
import sys, pymongo
from pymongo.errors import PyMongoError

client = pymongo.MongoClient(sys.argv[1], maxPoolSize=5, waitQueueTimeoutMS=20000,
                             serverSelectionTimeoutMS=10000, socketTimeoutMS=20000)
tickets = client[sys.argv[2]]["tickets"]
failed = []

def worker(number):
    try:
        for step in range(20):
            tickets.insert_one({"worker": number, "step": step})
            assert tickets.find_one({"worker": number, "step": step}) is not None
    except (PyMongoError, AssertionError) as error:
        failed.append(repr(error))

pool = eventlet.GreenPool(50)
for number in range(50):
    pool.spawn(worker, number)
pool.waitall()
print(tickets.count_documents({}), len(failed), failed[:1])
"""


def test_pymongo_under_eventlet_shares_a_small_pool_among_many_green_threads(store):
    # as a service runs it: nameko's workers are green threads; 50 of them, 5 connections
    shown = subprocess.run([sys.executable, "-c", GREEN, store.uri, f"t{uuid.uuid4().hex[:8]}"],
                           capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert shown.stdout.split()[:2] == ["1000", "0"], shown.stdout
