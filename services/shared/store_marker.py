"""The marker that says a store is this service's own, and whole.

A service writes it into its database the first time it makes the store (collection
``store``, one document): the service, the schema version, when, and the collections the
store holds. Each start reads it first:

- no marker and nothing else there: a new store, made only when told to (``STORE_INIT``
  set; ``make run`` sets it on a machine's first run), never by accident: an empty
  database is what a full disk during a copy or a botched restore leaves behind, and a
  service that took it for a new store would answer "not found" for every ticket;
- no marker but collections there: a store from before markers, adopted as it is;
- a marker of another service, or of a newer schema: refused;
- a collection the marker lists but the database has lost (an empty or missing file of
  the embedded store): refused, naming it; ``STORE_INIT`` does not override this.

A file of the embedded store that cannot be read at all stops the service with its path.
Every refusal is a ``StoreRefused`` whose message says what to do.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MARKER = "store"  # the collection; its one document's _id is the same
SCHEMA_VERSION = 1
SQLITE_HEADER = b"SQLite format 3\x00"
RESTORE = "restore it from a backup, or move it aside and start with STORE_INIT=1 for an " \
          "empty one"


class StoreRefused(Exception):
    """The service will not start on this store; the message says why and what to do."""


def new_marker(service: str, collections: Iterable[str], now: dt.datetime,
               district: str | None = None) -> dict[str, Any]:
    """The marker of a store ``service`` makes now."""
    return {"_id": MARKER, "service": service, "schema_version": SCHEMA_VERSION,
            "district": district, "created_at": now,
            "collections": sorted(set(collections) - {MARKER})}


def judge(service: str, marker: dict | None, present: Iterable[str], *, init: bool,
          where: str) -> str:
    """What to do with the store at ``where`` holding the ``present`` collections:
    "use" it, "adopt" a store from before markers, "make" a new one; StoreRefused
    otherwise."""
    present = set(present) - {MARKER}
    if marker is None:
        if present:
            return "adopt"
        if init:
            return "make"
        raise StoreRefused(
            f"{service}: the store at {where} is empty and has no marker: it is not a store "
            f"this service made (an empty file after a full disk, a restore that did not "
            f"finish?). Restore it from a backup; to start a new, empty store on purpose, "
            f"start once with STORE_INIT=1")
    if marker.get("service") != service:
        raise StoreRefused(f"{service}: the store at {where} is {marker.get('service')}'s, "
                           f"not {service}'s: check DATABASE and MONGO_URI")
    if int(marker.get("schema_version") or 0) > SCHEMA_VERSION:
        raise StoreRefused(f"{service}: the store at {where} was written by a newer version "
                           f"(schema {marker.get('schema_version')}, this is "
                           f"{SCHEMA_VERSION}): run the newer version")
    lost = sorted(set(marker.get("collections") or ()) - present)
    if lost:
        raise StoreRefused(f"{service}: the store at {where} has lost {', '.join(lost)} (an "
                           f"empty or missing file); {RESTORE}")
    return "use"


def unreadable_files(directory: Path) -> list[Path]:
    """The files of an embedded store's database directory that are not SQLite databases
    (garbled, or cut short before their header): what stops it from opening."""
    if not directory.is_dir():
        return []
    damaged = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.stat().st_size == 0 or "-" in path.name:
            continue  # empty files read as missing collections; -wal, -shm are SQLite's own
        with path.open("rb") as handle:
            if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                damaged.append(path)
    return damaged


def unreadable(service: str, where: str, error: Exception,
               directory: Path | None = None) -> StoreRefused:
    """The refusal for a store that cannot be read, naming the file where it can."""
    files = unreadable_files(directory) if directory is not None else []
    named = ", ".join(str(path) for path in files) or where
    return StoreRefused(f"{service}: cannot read its store ({named}: {error}); {RESTORE}")


READ_ERRORS = (sqlite3.DatabaseError,)
