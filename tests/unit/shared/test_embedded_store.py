"""The embedded store (litemongo with its query indexes on disk) answers every query as
mongomock does, whatever the index narrowed, before and after writes and a restart; it
refuses what a unique index refuses; and a query reads the documents its index names, not
the collection."""
from __future__ import annotations

import datetime as dt
import random

import bson
import litemongo
import mongomock
import pymongo
import pytest
from pymongo.errors import DuplicateKeyError

from services.shared import embedded_store

UTC = dt.UTC
BASE = dt.datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
UNITS = ["yinhang-grid", "kailu-committee", "property-a", "centre"]
STATES = ["pending", "dispatched", "accepted", "closed"]


def ticket(chance: random.Random, number: int) -> dict:
    """A document with the kinds of values the services keep, some of them missing."""
    document: dict = {
        "_id": f"YP20260301-{number:04d}",
        "unit_id": chance.choice(UNITS),
        "state": chance.choice(STATES),
        "seq": chance.choice([number, float(number), None]),
        "received_at": BASE + dt.timedelta(minutes=chance.randrange(0, 5000)),
        "words": chance.sample(["扶手", "楼道", "灯", "漏水", "独居"], chance.randrange(0, 3)),
        "place": {"community": chance.choice(["开鲁新村", "民星", None])},
        "published": chance.choice([True, False]),
    }
    if chance.random() < 0.2:
        del document["unit_id"]
    if chance.random() < 0.1:
        document["words"] = [["nested"], {"a": 1}]  # values no key can stand for
    return document


INDEXES = [[("unit_id", 1), ("state", 1)], [("seq", 1)], [("received_at", -1)],
           [("words", 1)], [("place.community", 1)], [("published", 1)]]

FILTERS = [
    {"unit_id": "yinhang-grid"},
    {"unit_id": "yinhang-grid", "state": {"$in": ["pending", "accepted"]}},
    {"state": {"$eq": "closed"}},
    {"_id": "YP20260301-0007"},
    {"_id": {"$in": ["YP20260301-0003", "YP20260301-0004", "nobody"]}},
    {"_id": "YP20260301-0009", "state": "closed"},
    {"seq": 12},            # an int finds the same number kept as a float
    {"seq": 12.0},
    {"seq": None},          # None matches a missing field too: no index narrows it
    {"unit_id": {"$exists": False}},
    {"words": "扶手"},       # an array matches when one element does
    {"words": {"$in": ["灯", "漏水"]}},
    {"place.community": "开鲁新村"},
    {"place.community": None},
    {"received_at": {"$gte": BASE + dt.timedelta(minutes=2500)}},
    {"received_at": BASE + dt.timedelta(minutes=10)},
    {"published": False},
    {"$or": [{"unit_id": "centre"}, {"state": "pending"}]},
    {"$or": [{"unit_id": "centre"}, {"seq": {"$gt": 50}}]},
    {"$and": [{"unit_id": "property-a"}, {"published": True}]},
    {"unit_id": "yinhang-grid", "$or": [{"state": "closed"}, {"seq": None}]},
    {},
]


def open_pair(directory) -> tuple:
    embedded = embedded_store.connect(directory)
    memory = mongomock.MongoClient(tz_aware=True)
    return embedded, memory


def fill(clients: tuple, documents: list[dict]) -> list:
    collections = [client["ledger"]["tickets"] for client in clients]
    for collection in collections:
        for keys in INDEXES:
            collection.create_index(keys)
        collection.insert_many([dict(document) for document in documents])
    return collections


def answers(collection, query: dict) -> tuple:
    return (list(collection.find(query)),
            list(collection.find(query, sort=[("received_at", -1), ("_id", 1)], limit=7)),
            collection.count_documents(query))


@pytest.fixture
def documents() -> list[dict]:
    chance = random.Random(12345)
    return [ticket(chance, number) for number in range(400)]


def test_every_query_answers_as_mongomock_does_through_writes_and_a_restart(tmp_path,
                                                                             documents):
    embedded, memory = open_pair(tmp_path)
    stored, expected = fill((embedded, memory), documents)
    for query in FILTERS:
        assert answers(stored, query) == answers(expected, query), query

    for collection in (stored, expected):  # writes that move documents between keys
        collection.update_many({"unit_id": "centre"}, {"$set": {"unit_id": "property-a"}})
        collection.update_one({"_id": "YP20260301-0007"}, {"$unset": {"unit_id": ""}})
        collection.update_one({"_id": "YP20260301-0011"}, {"$push": {"words": "独居"}})
        collection.delete_many({"state": "dispatched", "published": True})
        collection.update_one({"_id": "new"}, {"$set": {"unit_id": "centre", "seq": 12}},
                              upsert=True)
    for query in FILTERS:
        assert answers(stored, query) == answers(expected, query), query

    embedded.close()
    stored = embedded_store.connect(tmp_path)["ledger"]["tickets"]
    for query in FILTERS:
        assert answers(stored, query) == answers(expected, query), query


def test_a_unique_index_refuses_a_double_by_insert_and_by_update(tmp_path):
    collection = embedded_store.connect(tmp_path)["ledger"]["entries"]
    collection.create_index([("ticket_no", 1), ("seq", 1)], unique=True,
                            partialFilterExpression={"ticket_no": {"$type": "string"}})
    collection.insert_many([{"_id": 1, "ticket_no": "A", "seq": 1},
                            {"_id": 2, "ticket_no": "A", "seq": 2}])
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"_id": 3, "ticket_no": "A", "seq": 2})
    with pytest.raises(DuplicateKeyError):
        collection.update_one({"_id": 2}, {"$set": {"seq": 1}})
    assert [entry["seq"] for entry in collection.find({"ticket_no": "A"}, sort=[("seq", 1)])] \
        == [1, 2]
    assert collection.find_one({"ticket_no": "A", "seq": 2})["_id"] == 2
    assert collection.count_documents({}) == 2


def test_a_query_reads_the_documents_its_index_names_not_the_collection(tmp_path,
                                                                        monkeypatch):
    collection = embedded_store.connect(tmp_path)["dispatch"]["tickets"]
    collection.create_index([("unit_id", 1)])
    collection.insert_many([{"_id": f"T{n}", "unit_id": f"unit-{n % 100}"}
                            for n in range(3000)])
    collection.database.client.close()
    reopened = embedded_store.connect(tmp_path)["dispatch"]["tickets"]
    decoded = []
    real_decode = bson.decode
    monkeypatch.setattr(bson, "decode", lambda *a, **k: decoded.append(1) or real_decode(*a,
                                                                                          **k))
    reopened.create_index([("unit_id", 1)])  # as every start asks: no pass over the data
    found = list(reopened.find({"unit_id": "unit-7"}))
    assert len(found) == 30
    indexes = len(reopened.index_information())  # their specifications are documents too
    assert len(decoded) <= 30 + indexes


def test_a_collection_litemongo_wrote_alone_gets_its_keys_when_opened_here(tmp_path):
    plain = litemongo.connect(f"{tmp_path}/ledger?engine=sqlite", tz_aware=True)
    plain["ledger"]["tickets"].create_index([("unit_id", 1)])
    plain["ledger"]["tickets"].insert_many([{"_id": n, "unit_id": f"u{n % 3}"}
                                            for n in range(30)])
    plain.close()

    opened = embedded_store.connect(tmp_path / "ledger")["ledger"]["tickets"]
    assert sorted(doc["_id"] for doc in opened.find({"unit_id": "u1"})) == \
        list(range(1, 30, 3))
    opened.insert_one({"_id": 99, "unit_id": "u1"})
    assert opened.count_documents({"unit_id": "u1"}) == 11


def test_the_services_open_it_through_storage(tmp_path):
    from services.shared import storage

    database = storage.connect(f"litemongo:{tmp_path}", "ledger")
    database["tickets"].create_index([("unit_id", pymongo.ASCENDING)])
    database["tickets"].insert_one({"_id": "A", "unit_id": "u"})
    assert embedded_store.collection_store(database["tickets"]) is not None
    assert database["tickets"].find_one({"unit_id": "u"})["_id"] == "A"
