"""The wire store: a stand-in for a MongoDB replica set that pymongo reaches over the
network, for the tests, the fault drill and the bench. It is a test double: production
runs MongoDB (a replica set), which cannot be installed on the machines this project is
built on.

pymongo speaks to it as to a replica set's primary, over MongoDB's wire protocol (OP_MSG,
and OP_QUERY for the first ``hello``), through mockupdb's server; each command is carried
out by an engine whose answers the suite already trusts: the embedded store over a
directory (persisted) or mongomock (in memory). One process holds the engine, so services
in several processes, and several copies of one service, share one store, as they share a
MongoDB. It accepts ``lsid`` and ``txnNumber``: a retried write (pymongo's retryable
writes) is answered as it was the first time, not applied again. And it misbehaves when
told, as a replica set does: drops every connection, answers ``NotWritablePrimary`` while
no member is primary, stalls (``misbehave``; from another process, the ``hotlineMisbehave``
command on ``admin``).

    .venv/bin/python deploy/wire_store.py --data var/wire --port 27117

prints the URI to give the services as ``MONGO_URI`` and serves until stopped.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import datetime as dt
import itertools
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bson
import mockupdb
import mongomock
from mongomock.filtering import filter_applies
from pymongo import ReturnDocument
from pymongo.errors import OperationFailure

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.shared import embedded_store  # noqa: E402

SET_NAME = "hotline"
WIRE_VERSION = 17  # MongoDB 6.0's: OP_MSG, sessions, retryable writes
BATCH = 101  # a cursor's first batch when the client names none, as MongoDB's
BATCH_BYTES = 16 * 1024 * 1024  # a batch's documents at most, as MongoDB's
WRITES = {"insert", "update", "delete", "findAndModify"}
# What a client sends beside a command that the engine has no use for.
ENVELOPE = {"$db", "lsid", "txnNumber", "$clusterTime", "$readPreference", "readConcern",
            "writeConcern", "apiVersion", "apiStrict", "apiDeprecationErrors", "comment",
            "maxTimeMS", "autocommit", "startTransaction"}
RETRIES_KEPT = 10_000  # the answers of writes a client may retry, newest kept
CODE_NAMES = {11000: "DuplicateKey", 85: "IndexOptionsConflict", 86: "IndexKeySpecsConflict",
              26: "NamespaceNotFound", 48: "NamespaceExists"}
MISBEHAVIOURS = ("drop", "not_primary", "stall", "lose_answers")
# As a stepped-down primary answers a write: labelled for the driver to retry it (a
# server of wire version 9 and later says which errors a write may be retried after).
NOT_PRIMARY = {"ok": 0, "code": 10107, "codeName": "NotWritablePrimary",
               "errmsg": "not primary: an election is under way",
               "errorLabels": ["RetryableWriteError"]}


class WireStore:
    """The server: ``start`` it, hand ``uri`` to clients, ``stop`` it. ``directory``:
    the embedded store's (kept across restarts); None: in memory."""

    def __init__(self, directory: Path | None = None, port: int = 0) -> None:
        self.directory = directory
        # SQLite's objects belong to the thread that made them, and mockupdb serves each
        # connection on a thread of its own: the engine is made and used on one thread
        self._engine_thread = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="wire-store-engine")
        self.engine: Any = self._on_engine(
            lambda: embedded_store.connect(directory) if directory is not None
            else mongomock.MongoClient(tz_aware=True))
        self.server = mockupdb.MockupDB(port=port or None, request_timeout=int(1e6))
        self.server.autoresponds(self._answer)  # a handler alone: every request
        self._cursors: dict[int, tuple[str, collections.deque]] = {}
        self._cursor_ids = itertools.count(1)
        self._connections = itertools.count(1)
        self._retried: collections.OrderedDict[tuple, dict] = collections.OrderedDict()
        self._misbehaving: dict[str, float] = {}  # how -> until (monotonic)
        self.requests = 0

    # ------------------------------------------------------------ running it

    def start(self) -> str:
        self.server.run()
        return self.uri

    def stop(self) -> None:
        self.server.stop()
        if self.directory is not None:
            self._on_engine(self.engine.close)
        self._engine_thread.shutdown()

    def _on_engine(self, work: Callable[[], Any]) -> Any:
        return self._engine_thread.submit(work).result()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    @property
    def uri(self) -> str:
        """What a client is given: the set's name, so that pymongo treats it as a replica
        set (retryable writes, a primary to wait for)."""
        return f"mongodb://{self.address}/?replicaSet={SET_NAME}"

    def misbehave(self, how: str, seconds: float) -> None:
        """For ``seconds`` from now: ``drop`` every connection as a request comes,
        answer writes ``NotWritablePrimary`` and say no member is primary
        (``not_primary``), hold every answer that long (``stall``), or carry out each
        write and drop the connection before its answer (``lose_answers``: a retry of it
        is answered as the write was)."""
        if how not in MISBEHAVIOURS:
            raise ValueError(f"misbehave how? one of {', '.join(MISBEHAVIOURS)}, not {how!r}")
        self._misbehaving[how] = time.monotonic() + seconds

    def _now_misbehaving(self, how: str) -> bool:
        until = self._misbehaving.get(how)
        if until is None:
            return False
        if time.monotonic() < until:
            return True
        del self._misbehaving[how]
        return False

    # ------------------------------------------------------------ answering

    def _answer(self, request: Any) -> bool:
        """Every request, one at a time (mockupdb's server loop holds its lock)."""
        self.requests += 1
        command = dict(request.doc)
        name = next(iter(command), "")
        if name == "hotlineMisbehave":
            try:
                self.misbehave(command[name], float(command.get("seconds", 5)))
            except (TypeError, ValueError) as refused:
                return request.replies({"ok": 0, "errmsg": str(refused), "code": 2,
                                        "codeName": "BadValue"})
            return request.ok()
        if command.get("startTransaction") or command.get("autocommit") is False:
            return request.replies({"ok": 0, "code": 20, "codeName": "IllegalOperation",
                                    "errmsg": "the wire store runs no transactions"})
        if name.lower() not in ("hello", "ismaster"):
            if self._now_misbehaving("drop"):
                return request.hangup()
            if self._now_misbehaving("stall"):
                # held without mockupdb's lock, which every connection is served under:
                # a hello, or the command that ends the stall, is answered meanwhile
                with self.server._unlock():
                    while self._now_misbehaving("stall"):
                        time.sleep(0.05)
        if name in WRITES and self._now_misbehaving("not_primary"):
            return request.replies(NOT_PRIMARY)
        retry = _retry_key(command) if name in WRITES else None
        if retry is not None and retry in self._retried:
            return request.replies(self._retried[retry])
        try:
            answer = self._on_engine(lambda: self._carry_out(name, request.namespace,
                                                             command))
        except OperationFailure as failure:
            answer = {"ok": 0, "errmsg": str(failure), "code": failure.code or 8000,
                      "codeName": CODE_NAMES.get(failure.code or 0, "OperationFailed")}
        except (KeyError, TypeError, ValueError) as error:
            answer = {"ok": 0, "errmsg": f"{name}: {error!r}", "code": 9,
                      "codeName": "FailedToParse"}
        except NotImplementedError as error:  # what the engine does not do, MongoDB may
            answer = {"ok": 0, "errmsg": f"{name}: {error}", "code": 115,
                      "codeName": "CommandNotSupported"}
        except Exception as error:  # noqa: BLE001 - answered, or the client waits forever
            answer = {"ok": 0, "errmsg": f"{name}: {error!r}", "code": 1,
                      "codeName": "InternalError"}
        answer.setdefault("ok", 1)
        if retry is not None and answer["ok"]:
            self._retried[retry] = answer
            while len(self._retried) > RETRIES_KEPT:
                self._retried.popitem(last=False)
        if name in WRITES and self._now_misbehaving("lose_answers"):
            return request.hangup()
        if (request.flags or 0) & mockupdb.OP_MSG_FLAGS["moreToCome"]:
            return True  # an unacknowledged write (w=0): no answer is awaited
        return request.replies(answer)

    def _carry_out(self, name: str, database: str, command: dict) -> dict:
        handler = COMMANDS.get(name) or COMMANDS.get(name.lower())
        if handler is None:
            return {"ok": 0, "errmsg": f"no such command: '{name}'", "code": 59,
                    "codeName": "CommandNotFound"}
        return handler(self, database, {key: value for key, value in command.items()
                                        if key not in ENVELOPE})

    def _collection(self, database: str, command: dict, name: str) -> Any:
        return self.engine[database][command[name]]

    def _cursor(self, namespace: str, found: list, batch: int | None,
                single: bool = False) -> dict:
        """A cursor's first batch; the rest kept for getMore under a new id."""
        rest = collections.deque(found)
        first = _batch(rest, BATCH if batch is None else batch or len(found))
        cursor_id = 0
        if rest and not single:
            cursor_id = next(self._cursor_ids)
            self._cursors[cursor_id] = (namespace, rest)
        return {"cursor": {"firstBatch": first, "id": cursor_id, "ns": namespace}}

    # ------------------------------------------------------------ the commands

    def hello(self, database: str, command: dict) -> dict:
        primary = not self._now_misbehaving("not_primary")
        return {"isWritablePrimary": primary, "ismaster": primary, "secondary": not primary,
                "helloOk": True, "setName": SET_NAME, "setVersion": 1,
                "hosts": [self.address], "me": self.address,
                **({"primary": self.address} if primary else {}),
                "maxBsonObjectSize": 16 * 1024 * 1024, "maxMessageSizeBytes": 48_000_000,
                "maxWriteBatchSize": 100_000, "localTime": dt.datetime.now(dt.UTC),
                "logicalSessionTimeoutMinutes": 30,
                "connectionId": next(self._connections),
                "minWireVersion": 0, "maxWireVersion": WIRE_VERSION, "readOnly": False}

    def ping(self, database: str, command: dict) -> dict:
        return {}

    def build_info(self, database: str, command: dict) -> dict:
        return {"version": "6.0.0-wire-store", "versionArray": [6, 0, 0, 0],
                "maxBsonObjectSize": 16 * 1024 * 1024}

    def find(self, database: str, command: dict) -> dict:
        collection = self._collection(database, command, "find")
        limit = int(command.get("limit", 0))
        found = list(collection.find(
            command.get("filter") or {}, command.get("projection"),
            sort=list(command["sort"].items()) if command.get("sort") else None,
            skip=int(command.get("skip", 0)), limit=abs(limit)))
        return self._cursor(f"{database}.{command['find']}", found, command.get("batchSize"),
                            single=command.get("singleBatch", False) or limit < 0)

    def get_more(self, database: str, command: dict) -> dict:
        cursor_id = int(command["getMore"])
        if cursor_id not in self._cursors:
            return {"ok": 0, "code": 43, "codeName": "CursorNotFound",
                    "errmsg": f"cursor id {cursor_id} not found"}
        namespace, rest = self._cursors[cursor_id]
        batch = _batch(rest, int(command.get("batchSize") or len(rest)))
        if not rest:
            del self._cursors[cursor_id]
        return {"cursor": {"nextBatch": batch, "id": cursor_id if rest else 0,
                           "ns": namespace}}

    def kill_cursors(self, database: str, command: dict) -> dict:
        killed = [cursor for cursor in command.get("cursors", [])
                  if self._cursors.pop(int(cursor), None) is not None]
        return {"cursorsKilled": killed, "cursorsNotFound": [
            cursor for cursor in command.get("cursors", []) if cursor not in killed],
            "cursorsAlive": [], "cursorsUnknown": []}

    def insert(self, database: str, command: dict) -> dict:
        collection = self._collection(database, command, "insert")
        done, errors = _each_statement(command, "documents",
                                       lambda document: collection.insert_one(dict(document)))
        return {"n": len(done), **({"writeErrors": errors} if errors else {})}

    def update(self, database: str, command: dict) -> dict:
        collection = self._collection(database, command, "update")
        done, errors = _each_statement(command, "updates",
                                       lambda change: _update(collection, change))
        upserted = [{"index": index, "_id": result.upserted_id} for index, result in done
                    if result.upserted_id is not None]
        return {"n": sum(result.matched_count for _, result in done) + len(upserted),
                "nModified": sum(result.modified_count or 0 for _, result in done),
                **({"upserted": upserted} if upserted else {}),
                **({"writeErrors": errors} if errors else {})}

    def delete(self, database: str, command: dict) -> dict:
        collection = self._collection(database, command, "delete")
        done, errors = _each_statement(command, "deletes", lambda change: (
            collection.delete_one if change.get("limit") == 1 else collection.delete_many
        )(change["q"]))
        return {"n": sum(result.deleted_count for _, result in done),
                **({"writeErrors": errors} if errors else {})}

    def find_and_modify(self, database: str, command: dict) -> dict:
        collection = self._collection(database, command, "findAndModify")
        query, change = command.get("query") or {}, command.get("update")
        sort = list(command["sort"].items()) if command.get("sort") else None
        fields = command.get("fields")
        existed = collection.find_one(query, sort=sort) is not None
        if command.get("remove"):
            value = collection.find_one_and_delete(query, projection=fields, sort=sort)
            return {"lastErrorObject": {"n": int(existed)}, "value": value}
        options: dict[str, Any] = {
            "projection": fields, "sort": sort, "upsert": bool(command.get("upsert")),
            "return_document": ReturnDocument.AFTER if command.get("new")
            else ReturnDocument.BEFORE}
        if _is_replacement(change):
            value = collection.find_one_and_replace(query, change, **options)
        else:
            if command.get("arrayFilters"):
                options["array_filters"] = command["arrayFilters"]
            value = collection.find_one_and_update(query, change, **options)
        outcome: dict[str, Any] = {"n": 1 if existed or options["upsert"] else 0,
                                   "updatedExisting": existed}
        if not existed and options["upsert"]:
            made = value if command.get("new") else collection.find_one(query, sort=sort)
            if made is not None and "_id" in made:
                outcome["upserted"] = made["_id"]
        return {"lastErrorObject": outcome, "value": value}

    def aggregate(self, database: str, command: dict) -> dict:
        collection = self._collection(database, command, "aggregate")
        found = list(collection.aggregate(command.get("pipeline", [])))
        batch = (command.get("cursor") or {}).get("batchSize")
        return self._cursor(f"{database}.{command['aggregate']}", found, batch)

    def count(self, database: str, command: dict) -> dict:
        collection = self._collection(database, command, "count")
        options = {name: abs(int(command[name])) for name in ("skip", "limit")
                   if command.get(name)}
        return {"n": collection.count_documents(command.get("query") or {}, **options)}

    def distinct(self, database: str, command: dict) -> dict:
        collection = self._collection(database, command, "distinct")
        return {"values": collection.distinct(command["key"], command.get("query") or {})}

    def create_indexes(self, database: str, command: dict) -> dict:
        collection = self._collection(database, command, "createIndexes")
        before = len(collection.index_information())
        for index in command.get("indexes", []):
            options = {name: value for name, value in index.items()
                       if name not in ("key", "v", "ns")}
            collection.create_index(list(index["key"].items()), **options)
        return {"numIndexesBefore": before,
                "numIndexesAfter": len(collection.index_information()),
                "createdCollectionAutomatically": before == 0}

    def list_indexes(self, database: str, command: dict) -> dict:
        collection = self._collection(database, command, "listIndexes")
        indexes = [{"v": 2, "name": name, **{key: value for key, value in info.items()
                                              if key != "key"},
                    "key": dict(info["key"])}
                   for name, info in collection.index_information().items()]
        return self._cursor(f"{database}.{command['listIndexes']}", indexes, None)

    def list_collections(self, database: str, command: dict) -> dict:
        collections_ = [{"name": name, "type": "collection", "options": {},
                         "info": {"readOnly": False}}
                        for name in sorted(self.engine[database].list_collection_names())]
        wanted = command.get("filter") or {}
        return self._cursor(f"{database}.$cmd.listCollections", [
            found for found in collections_ if filter_applies(wanted, found)], None)

    def list_databases(self, database: str, command: dict) -> dict:
        return {"databases": [{"name": name, "sizeOnDisk": 0, "empty": False}
                              for name in self.engine.list_database_names()],
                "totalSize": 0}

    def create(self, database: str, command: dict) -> dict:
        if command["create"] not in self.engine[database].list_collection_names():
            self.engine[database].create_collection(command["create"])
        return {}

    def drop(self, database: str, command: dict) -> dict:
        self.engine[database].drop_collection(command["drop"])
        return {"ns": f"{database}.{command['drop']}"}

    def drop_database(self, database: str, command: dict) -> dict:
        self.engine.drop_database(database)
        return {"dropped": database}

    def end_sessions(self, database: str, command: dict) -> dict:
        return {}


COMMANDS: dict[str, Callable[[WireStore, str, dict], dict]] = {
    "hello": WireStore.hello, "ismaster": WireStore.hello, "ping": WireStore.ping,
    "buildinfo": WireStore.build_info, "buildInfo": WireStore.build_info,
    "find": WireStore.find, "getMore": WireStore.get_more,
    "killCursors": WireStore.kill_cursors, "insert": WireStore.insert,
    "update": WireStore.update, "delete": WireStore.delete,
    "findAndModify": WireStore.find_and_modify, "findandmodify": WireStore.find_and_modify,
    "aggregate": WireStore.aggregate, "count": WireStore.count,
    "distinct": WireStore.distinct, "createIndexes": WireStore.create_indexes,
    "listIndexes": WireStore.list_indexes, "listCollections": WireStore.list_collections,
    "listDatabases": WireStore.list_databases, "create": WireStore.create,
    "drop": WireStore.drop, "dropDatabase": WireStore.drop_database,
    "endSessions": WireStore.end_sessions,
}


def _retry_key(command: dict) -> tuple | None:
    """A retryable write's session and number: the same pair again is the same write."""
    session, number = command.get("lsid"), command.get("txnNumber")
    if not session or number is None:
        return None
    key = session["id"]  # a UUID, or its Binary as mockupdb decodes it
    return (key.bytes if hasattr(key, "bytes") else bytes(key), int(number))


def _is_replacement(change: Any) -> bool:
    return isinstance(change, dict) and not any(key.startswith("$") for key in change)


def _update(collection: Any, change: dict) -> Any:
    query, update = change["q"], change["u"]
    upsert = bool(change.get("upsert"))
    if _is_replacement(update):
        return collection.replace_one(query, update, upsert=upsert)
    options: dict[str, Any] = {"upsert": upsert}
    if change.get("arrayFilters"):
        options["array_filters"] = change["arrayFilters"]
    write = collection.update_many if change.get("multi") else collection.update_one
    return write(query, update, **options)


def _each_statement(command: dict, key: str, carry_out: Callable[[Any], Any]
                    ) -> tuple[list[tuple[int, Any]], list[dict]]:
    """A write's statements (``command[key]``) carried out in turn: what each done
    returned, by its index, and the failures as ``writeErrors`` (an ordered write stops
    at its first)."""
    done, errors = [], []
    for index, statement in enumerate(command.get(key, [])):
        try:
            done.append((index, carry_out(statement)))
        except Exception as failure:  # noqa: BLE001 - each statement answers for itself
            errors.append(_write_error(index, failure))
            if command.get("ordered", True):
                break
    return done, errors


def _write_error(index: int, failure: Exception) -> dict:
    """A statement's failure as MongoDB reports it among a write's ``writeErrors``: the
    write is answered (and kept for a retry) with what was done before it."""
    code = getattr(failure, "code", None) or 2  # BadValue: a document or update refused
    return {"index": index, "code": code, "errmsg": str(failure)}


def _batch(rest: collections.deque, most: int) -> list:
    """Up to ``most`` documents off ``rest``, and no more than a batch's bytes (at least
    one): pymongo refuses a reply larger than the server said it would send."""
    batch: list = []
    size = 0
    while rest and len(batch) < most:
        size += len(bson.encode(rest[0]))
        if batch and size > BATCH_BYTES:
            break
        batch.append(rest.popleft())
    return batch


class WireStoreProcess:
    """A wire store as a process of its own, as a MongoDB server runs: on the embedded
    store in ``data``, or in memory; its ``uri``, and ``stop``."""

    def __init__(self, data: Path | None = None) -> None:
        import subprocess

        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()),
             *(["--data", str(data)] if data else [])],
            stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.process.stdout is not None
        self.uri = self.process.stdout.readline().strip()
        if not self.uri.startswith("mongodb://"):
            self.process.kill()
            raise RuntimeError("the wire store did not start")

    def stop(self) -> None:
        """Stop it (SIGTERM: the engine is closed); an error if it did not end well."""
        self.process.terminate()
        if self.process.wait(timeout=30) != 0:
            raise RuntimeError(f"the wire store ended with {self.process.returncode}")


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--data", type=Path, help="the embedded store's directory "
                                                   "(default: in memory)")
    options.add_argument("--port", type=int, default=0, help="default: a free one")
    args = options.parse_args(argv)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    store = WireStore(args.data, args.port)
    print(store.start(), flush=True)
    stopping.wait()
    store.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
