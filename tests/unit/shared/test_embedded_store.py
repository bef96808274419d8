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
        "received_at": chance.choice([
            BASE + dt.timedelta(minutes=chance.randrange(0, 5000),
                                microseconds=chance.randrange(0, 10**6)),
            None, "2026-03-01", [BASE, BASE + dt.timedelta(days=9)]]),
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
           [("words", 1)], [("place.community", 1)], [("published", 1)],
           [("state", 1), ("received_at", 1)], [("words", 1), ("published", -1)]]

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
    # ranges of times and of text are read from the keys between their bounds
    {"received_at": {"$gt": BASE + dt.timedelta(minutes=2500, seconds=30)}},
    {"received_at": {"$lt": BASE + dt.timedelta(minutes=100)}},
    {"received_at": {"$gte": BASE + dt.timedelta(minutes=100),
                     "$lte": BASE + dt.timedelta(minutes=103)}},
    {"received_at": {"$lt": dt.datetime(2026, 3, 1, 16, 10)}},  # a naive time: UTC
    {"state": {"$in": ["pending", "accepted"]},
     "received_at": {"$lt": BASE + dt.timedelta(minutes=900)}},
    # compound indexes: keys of every field together, a range in the last, arrays too
    {"state": "closed", "received_at": {"$gte": BASE + dt.timedelta(minutes=2500)}},
    {"state": {"$in": ["pending", "closed"]}, "received_at": {"$lt": BASE}},
    {"words": {"$in": ["灯", "漏水"]}, "published": True},
    {"$and": [{"unit_id": "centre"}, {"state": "pending"}], "seq": {"$ne": None}},
    # a field with two conditions: the compound reads one, the other narrows it still
    {"$and": [{"unit_id": "centre"}, {"state": {"$in": ["pending", "closed"]}}],
     "state": "pending"},
    {"unit_id": "centre", "$and": [{"state": "pending"}, {"state": {"$in": ["closed"]}}]},
    {"unit_id": {"$gt": "kailu"}},
    {"unit_id": {"$gte": "centre", "$lt": "property"}},
    {"seq": {"$lt": 40}},  # numbers: no range read, every document looked at
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
            list(collection.find(query, sort=[("_id", -1)], skip=3, limit=5)),
            list(collection.find(query, sort=[("_id", 1)], skip=390)),
            list(collection.find(query, {"unit_id": 1, "seq": True})),
            list(collection.find(query, {"_id": 0, "place": 1, "absent": 1})),
            list(collection.find(query, {"place.community": 1, "words": 1})),
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


def test_a_load_into_an_empty_collection_answers_as_mongomock_does(tmp_path, documents):
    embedded, memory = open_pair(tmp_path)
    stored = embedded["ledger"]["tickets"]
    expected = memory["ledger"]["tickets"]
    for collection in (stored, expected):
        for keys in INDEXES:
            collection.create_index(keys)
    expected.insert_many([dict(document) for document in documents])

    written = embedded_store.insert_new(stored, (dict(document) for document in documents),
                                        size=64)

    assert written == len(documents)
    for query in FILTERS:
        assert answers(stored, query) == answers(expected, query), query
    stored.insert_one({"_id": "later", "unit_id": "centre", "state": "closed"})
    assert stored.find_one({"unit_id": "centre", "state": "closed", "_id": "later"})
    embedded.close()
    reopened = embedded_store.connect(tmp_path)["ledger"]["tickets"]
    assert answers(reopened, FILTERS[1]) == answers(expected, FILTERS[1])


def test_a_load_that_stops_leaves_documents_their_keys_are_built_for(tmp_path, documents):
    collection = embedded_store.connect(tmp_path)["ledger"]["tickets"]
    collection.create_index([("unit_id", 1)])

    def failing():
        yield from (dict(document) for document in documents[:100])
        raise OSError("disk full")

    with pytest.raises(OSError):
        embedded_store.insert_new(collection, failing(), size=50)

    wanted = sorted(d["_id"] for d in documents[:100] if d.get("unit_id") == "centre")
    assert sorted(d["_id"] for d in collection.find({"unit_id": "centre"})) == wanted
    collection.database.client.close()
    reopened = embedded_store.connect(tmp_path)["ledger"]["tickets"]
    assert sorted(d["_id"] for d in reopened.find({"unit_id": "centre"})) == wanted


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


@pytest.mark.parametrize("value", [
    "扶手", "", 0, 7, -3, 2 ** 60, 1.5, True, None, BASE, BASE.replace(microsecond=123456),
    dt.datetime(2026, 3, 1, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    dt.datetime(2026, 3, 1, 8, 0), bson.ObjectId(), ["a", 1], {"a": 1}, b"\x00"])
def test_a_value_is_keyed_as_litemongo_keys_it(value):
    from litemongo._vendor.mongomock import indexing

    general = indexing._doc_keys({"field": value}, "field")
    expected = [embedded_store.UNKEYED] if general is None else \
        sorted(embedded_store.key_text(key) for key in general)
    assert sorted(embedded_store.document_keys({"field": value}, "field")) == expected


def random_filter(chance: random.Random, depth: int = 0) -> dict:
    """A filter of one to three conditions drawn from the values the documents hold, an
    $or of two such now and then."""
    pools = {"unit_id": UNITS + ["zzz", ""], "state": STATES, "seq": [3, 12.0, 40, None],
             "received_at": [BASE, BASE + dt.timedelta(minutes=2000, seconds=1),
                             dt.datetime(2026, 3, 2), None],
             "words": ["扶手", "灯", None], "place.community": ["开鲁新村", None],
             "published": [True, False], "_id": ["YP20260301-0003", "nobody"]}
    if depth == 0 and chance.random() < 0.2:
        return {"$or": [random_filter(chance, 1), random_filter(chance, 1)]}
    query: dict = {}
    for field in chance.sample(sorted(pools), chance.randint(1, 3)):
        value = chance.choice(pools[field])
        operator = chance.choice(["eq", "$in", "$gt", "$gte", "$lt", "$lte", "$ne", "$exists"])
        if operator == "eq":
            query[field] = value
        elif operator == "$in":
            query[field] = {"$in": chance.sample(pools[field], 2)}
        elif operator == "$exists":
            query[field] = {"$exists": chance.random() < 0.5}
        elif operator in ("$lt", "$lte") and chance.random() < 0.5:
            query[field] = {operator: value, "$gt" if value != pools[field][0] else "$gte":
                            pools[field][0]}
        else:
            query[field] = {operator: value}
    return query


def test_drawn_filters_answer_as_mongomock_does(tmp_path, documents):
    stored, expected = fill(open_pair(tmp_path), documents)
    chance = random.Random(2026)
    for _ in range(150):
        query = random_filter(chance)
        try:
            wanted = answers(expected, query)
        except Exception as refused:  # noqa: BLE001 - a filter mongomock refuses: refused alike
            with pytest.raises(type(refused)):
                answers(stored, query)
            continue
        assert answers(stored, query) == wanted, query


def test_a_missing_field_has_no_key_as_in_litemongo():
    from litemongo._vendor.mongomock import indexing

    assert embedded_store.document_keys({}, "field") == [] == \
        list(indexing._doc_keys({}, "field"))
    assert embedded_store.document_keys({"place": {}}, "place.community") == []


def test_a_compound_index_reads_just_the_matches_of_an_equality_on_each_field(tmp_path):
    collection = embedded_store.connect(tmp_path)["dispatch"]["tickets"]
    collection.create_index([("unit_id", 1), ("state", 1)], name="queue")
    collection.insert_many([{"_id": f"T{n}", "unit_id": f"unit-{n % 10}",
                             "state": "open" if n % 100 < 10 else "closed"}
                            for n in range(3000)])
    store = embedded_store.collection_store(collection)
    query = {"unit_id": "unit-3", "state": {"$in": ["open", "paused"]}}
    # 300 tickets of the unit, 300 open in all: 30 both, and no more read
    assert len(store._disk_index.candidates(query, store.indexed_paths())) == 30
    assert store._disk_index.exact(query, store.indexed_paths())
    assert len(list(collection.find(query))) == 30


def test_a_key_holding_the_separator_leaves_its_document_to_the_filter(tmp_path):
    collection = embedded_store.connect(tmp_path)["dispatch"]["tickets"]
    collection.create_index([("unit_id", 1), ("state", 1)], name="queue")
    # as a compound key "s:a" + "s:b\x1fs:open" would read "s:a\x1fs:b" + "s:open"
    collection.insert_many([{"_id": 1, "unit_id": "a", "state": "b\x1fs:open"},
                            {"_id": 2, "unit_id": "a\x1fs:b", "state": "open"}])
    assert [ticket["_id"] for ticket in collection.find({"unit_id": "a\x1fs:b",
                                                           "state": "open"})] == [2]
    assert [ticket["_id"] for ticket in collection.find({"unit_id": "a",
                                                           "state": "b\x1fs:open"})] == [1]
    store = embedded_store.collection_store(collection)
    assert not store._disk_index.exact({"unit_id": "a", "state": "open"},
                                       store.indexed_paths())


def test_a_projection_of_versions_decodes_only_the_documents_that_changed(tmp_path,
                                                                          monkeypatch):
    collection = embedded_store.connect(tmp_path)["dispatch"]["tickets"]
    collection.create_index([("unit_id", 1), ("state", 1)], name="queue")
    collection.insert_many([{"_id": f"T{n}", "unit_id": "unit-1", "state": "open",
                             "version": 1, "history": [{"step": "created"}]}
                            for n in range(50)])
    query, versions = {"unit_id": "unit-1", "state": "open"}, {"_id": 1, "version": 1}
    assert list(collection.find(query, versions))[:2] == [{"_id": "T0", "version": 1},
                                                          {"_id": "T1", "version": 1}]
    decoded = []
    real_decode = bson.decode
    monkeypatch.setattr(bson, "decode", lambda *a, **k: decoded.append(1) or real_decode(*a,
                                                                                          **k))
    collection.update_one({"_id": "T1"}, {"$inc": {"version": 1},
                                          "$push": {"history": {"step": "accepted"}}})
    decoded.clear()
    found = list(collection.find(query, versions))
    assert found[:2] == [{"_id": "T0", "version": 1}, {"_id": "T1", "version": 2}]
    assert len(found) == 50 and len(decoded) == 1  # T1's new bytes only
    # a list is not shared between answers: it is decoded afresh for each
    assert list(collection.find(query, {"history": 1}))[1]["history"] == [
        {"step": "created"}, {"step": "accepted"}]
    assert list(collection.find(query, {"_id": 0, "version": 1}))[1] == {"version": 2}


@pytest.mark.parametrize("query", [
    {"$and": [{"a": "x", "b": "y"}, {"a": "x", "b": "z"}]},
    {"a": "x", "b": "y", "$and": [{"a": "x", "b": "z"}]},
    {"$and": [{"a": "x", "b": "z"}, {"b": {"$eq": "x"}, "a": "x"}], "a": "x"},
    {"$or": [{"a": "x", "b": "y"}, {"a": "x", "b": "z"}]},
])
def test_every_condition_on_a_compound_field_counts_where_it_has_no_index_of_its_own(
        tmp_path, query):
    # b is keyed only together with a: a second condition on it is the filter's to check
    embedded, memory = open_pair(tmp_path)
    documents = [{"_id": 1, "a": "x", "b": "y"}, {"_id": 2, "a": "x", "b": ["y", "z"]},
                 {"_id": 3, "a": "x", "b": "z"}]
    stored, expected = (client["dispatch"]["tickets"] for client in (embedded, memory))
    for collection in (stored, expected):
        collection.create_index([("a", 1), ("b", 1)])
        collection.insert_many([dict(document) for document in documents])
    assert list(stored.find(query)) == list(expected.find(query))
    assert list(stored.find(query, {"b": 1})) == list(expected.find(query, {"b": 1}))
    assert stored.delete_many(query).deleted_count == expected.delete_many(query).deleted_count
    assert list(stored.find()) == list(expected.find())
