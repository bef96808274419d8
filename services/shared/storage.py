"""The one way any service reaches its database: ``MONGO_URI`` picks the backend.

- ``mongodb://…`` or ``mongodb+srv://…``: a real MongoDB (production).
- ``litemongo:var/data`` or ``litemongo:///abs/dir``: the embedded on-disk store
  (embedded_store.py: litemongo with its query indexes on disk); each service keeps its
  own directory below the given one, opened by one process only.
- ``mongomock://name``: in memory, shared by everything in this process that uses the
  same name (fast tests).

Code above this module sees a pymongo ``Database`` and nothing else.

Each service's store carries a marker that says it is that service's and whole
(store_marker.py): a service refuses to start on an empty store it was not told to make
(``STORE_INIT``), on a store that lost a collection, and on a file it cannot read, saying
which and what to do.

``STORAGE_FAULT_SWITCH`` (a file path, unset in production) lets a fault drill take the
store away: while that file exists, every call a service makes on its collections raises
``pymongo.errors.AutoReconnect``, as when a MongoDB primary is lost (``make faults``), or,
while the file says ``disk-full``, the error SQLite raises on a full disk.
"""
from __future__ import annotations

import inspect
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import mongomock
import pymongo
import pymongo.errors
from nameko.extensions import DependencyProvider
from pymongo.database import Database
from pymongo.errors import AutoReconnect

from services.shared import clock, embedded_store, store_marker

log = logging.getLogger(__name__)

DEFAULT_MONGO_URI = "litemongo:var/data"

_memory_clients: dict[str, mongomock.MongoClient] = {}
_memory_lock = threading.Lock()


def backend_of(uri: str) -> str:
    """'mongodb', 'litemongo' or 'memory'; ValueError for anything else."""
    scheme = urlparse(uri).scheme
    if scheme in ("mongodb", "mongodb+srv"):
        return "mongodb"
    if scheme == "litemongo":
        return "litemongo"
    if scheme == "mongomock":
        return "memory"
    raise ValueError(f"MONGO_URI must start with mongodb://, mongodb+srv://, litemongo: "
                     f"or mongomock://, not {uri!r}")


# How every service reaches a MongoDB replica set unless its URI says otherwise:
# - writes are retried once by the driver after a failover, and acknowledged by a
#   majority of the set, so an acknowledged write survives the primary's loss;
# - reads see only what a majority has (nothing a failover can take back);
# - a primary is waited for at most 8 s, within the 10 s a caller waits for an answer, so
#   an election that outlasts it is answered ServicesUnavailable (exhaustion.py) while
#   the caller still listens.
PRODUCTION_OPTIONS: dict[str, Any] = {
    "retryWrites": True, "retryReads": True, "w": "majority", "wTimeoutMS": 5000,
    "readConcernLevel": "majority", "readPreference": "primary",
    "serverSelectionTimeoutMS": 8000, "connectTimeoutMS": 5000, "socketTimeoutMS": 20000,
}


def client_options(uri: str, appname: str) -> dict[str, Any]:
    """The options a MongoDB client of ``uri`` is opened with: PRODUCTION_OPTIONS, less any
    the URI sets itself (its own win), with the service's name as the client's."""
    # a URI's options are separated by & or by ; (both are MongoDB's)
    given = {option.split("=", 1)[0].lower()
             for option in re.split("[&;]", urlparse(uri).query) if option}
    options = {name: value for name, value in PRODUCTION_OPTIONS.items()
               if name.lower() not in given}
    if "appname" not in given:
        options["appname"] = appname
    return options


def open_client(uri: str, database: str) -> Any:
    """A client for ``database`` on the backend that ``uri`` names (tz-aware: UTC datetimes)."""
    backend = backend_of(uri)
    if backend == "mongodb":
        return pymongo.MongoClient(uri, tz_aware=True, **client_options(uri, database))
    if backend == "litemongo":
        return embedded_store.connect(Path(_embedded_root(uri)) / database, tz_aware=True)
    with _memory_lock:
        if uri not in _memory_clients:
            _memory_clients[uri] = mongomock.MongoClient(tz_aware=True)
        return _memory_clients[uri]


def _embedded_root(uri: str) -> str:
    """The folder a litemongo: URI names, below which each service keeps its own."""
    return urlparse(uri).path.rstrip("/") or "."


def connect(uri: str, database: str) -> Database:
    """The named database on the backend that ``uri`` names."""
    return open_client(uri, database)[database]


def forget_memory(uri: str) -> None:
    """Drop an in-memory store, so the next connect starts empty (tests)."""
    with _memory_lock:
        _memory_clients.pop(uri, None)


def place_of(uri: str, database: str) -> tuple[str, Path | None]:
    """Where a database lives, in words for a message, and its directory on this machine
    (the embedded store's; None for others)."""
    backend = backend_of(uri)
    if backend == "litemongo":
        directory = Path(_embedded_root(uri)) / database / database
        return str(directory), directory
    if backend == "mongodb":
        return f"database {database} on {urlparse(uri).hostname}", None
    return f"database {database} in memory", None


def database_name(config: dict, service_name: str) -> str:
    """The service's database: ``DATABASE`` (default: the service's name), after an
    optional ``DATABASE_PREFIX`` that lets several systems (or test runs) share a server."""
    return (config.get("DATABASE_PREFIX") or "") + (config.get("DATABASE") or service_name)


def keep_newer(collection: Any, doc_id: Any, version: int, fields: dict) -> bool:
    """Keep ``fields`` with ``version`` as document ``doc_id`` if that version is newer than
    the one kept (or none is): how a service keeps its copy of another's record as events
    about it arrive, in any order and perhaps twice. False for an older or the same
    version: nothing changes."""
    try:
        result = collection.update_one({"_id": doc_id, "version": {"$lt": version}},
                                       {"$set": {**fields, "version": version}}, upsert=True)
    except pymongo.errors.DuplicateKeyError:  # kept already, at this version or a later one
        return False
    return result.modified_count == 1 or result.upserted_id is not None


T = TypeVar("T")


class Lost:
    """An attempt's answer when another writer changed the document since it was read."""


LOST = Lost()


class Contention(Exception):
    """Other writers kept winning; nothing of this attempt was written."""


def until_written(attempt: Callable[[], T | Lost], attempts: int, gives_up: Exception) -> T:
    """The compare-and-set loop: ``attempt()`` reads, decides and writes only if the
    document is as it read it, answering LOST when another writer was first; it runs again
    on what the winner left, at most ``attempts`` times, then ``gives_up`` is raised (the
    error the caller ends in: IllegalTransition for a step, Contention for work that is
    tried again later)."""
    for _ in range(attempts):
        answer = attempt()
        if not isinstance(answer, Lost):
            return answer
    raise gives_up


class FaultSwitched:
    """A database or collection whose every method call first looks at the fault switch:
    while the file ``switch`` exists the call raises AutoReconnect instead, as a lost
    primary does. Attributes that are not calls, and what calls return, pass through."""

    def __init__(self, target: Any, switch: str):
        self._target = target
        self._switch = switch

    def __getitem__(self, name: str) -> FaultSwitched:
        return FaultSwitched(self._target[name], self._switch)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if hasattr(value, "find_one"):  # db.tickets: a collection, not a call
            return FaultSwitched(value, self._switch)
        if not inspect.ismethod(value):
            return value
        switch = self._switch

        def call(*args, **kwargs):
            if os.path.exists(switch):
                raise _switched_fault(switch)
            return value(*args, **kwargs)

        return call


def _switched_fault(switch: str) -> Exception:
    """The error the fault switch stands for: a full disk if the file says so, else a lost
    store."""
    try:
        with open(switch, encoding="utf-8") as said:
            disk_full = "disk-full" in said.read(64)
    except OSError:
        disk_full = False
    if disk_full:
        return sqlite3.OperationalError("database or disk is full")
    return AutoReconnect(f"storage fault switch is on ({switch})")


class Storage(DependencyProvider):
    """Injects the service's store: ``store_class(database)``, connected once per container
    from the ``MONGO_URI``, ``DATABASE`` and ``DATABASE_PREFIX`` settings, its indexes made
    at start-up; behind the fault switch when ``STORAGE_FAULT_SWITCH`` names a file."""

    def __init__(self, store_class: Callable[[Database], Any]):
        self.store_class = store_class
        self.client: Any = None  # a pymongo, litemongo or mongomock client
        self.database: Any = None  # the service's database (behind the fault switch if set)
        self.store: Any = None

    def setup(self) -> None:
        config = self.container.config
        uri = config.get("MONGO_URI") or DEFAULT_MONGO_URI
        service = self.container.service_name
        database = database_name(config, service)
        self.client = open_client(uri, database)
        where, directory = place_of(uri, database)
        raw = self.client[database]
        # an in-memory store is new with every process: nothing there to mistake
        init = str(config.get("STORE_INIT") or "").lower() in ("1", "true", "yes") \
            or backend_of(uri) == "memory"
        try:
            marker = raw[store_marker.MARKER].find_one({"_id": store_marker.MARKER})
            decision = store_marker.judge(service, marker, raw.list_collection_names(),
                                          init=init, where=where)
            switch = config.get("STORAGE_FAULT_SWITCH")
            db: Any = FaultSwitched(raw, switch) if switch else raw
            self.database = db
            self.store = self.store_class(db)
            self.store.ensure_indexes()
            self._mark(raw, service, decision, marker, config)
        except store_marker.READ_ERRORS as error:
            refusal = store_marker.unreadable(service, where, error, directory)
            log.error("%s", refusal)
            raise refusal from None
        except store_marker.StoreRefused as refusal:
            log.error("%s", refusal)
            raise
        if decision != "use":
            log.info("%s: %s the store at %s", service,
                     "made" if decision == "make" else "marked", where)

    @staticmethod
    def _mark(db: Database, service: str, decision: str, marker: dict | None,
              config: dict) -> None:
        """Write the marker of a store made or adopted; add the collections a newer
        version of the service made to the marker of one in use."""
        collections = [name for name in db.list_collection_names()
                       if name != store_marker.MARKER]
        if decision in ("make", "adopt"):
            db[store_marker.MARKER].replace_one(
                {"_id": store_marker.MARKER},
                store_marker.new_marker(service, collections, clock.now(),
                                        config.get("DISTRICT")), upsert=True)
        elif set(collections) - set((marker or {}).get("collections") or ()):
            db[store_marker.MARKER].update_one({"_id": store_marker.MARKER}, {
                "$addToSet": {"collections": {"$each": collections}}})

    def stop(self) -> None:
        # An embedded store must be closed so the next process may open its files;
        # in-memory clients live as long as the process.
        if self.client is not None and not isinstance(self.client, mongomock.MongoClient):
            self.client.close()
        self.client = None

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> Any:
        return self.store


def storages_of(container: Any) -> list[Storage]:
    """The ``Storage`` dependencies of a service's container (what its timers' lease and
    its readiness read)."""
    return [found for found in container.dependencies if isinstance(found, Storage)]
