"""Copy every service's database from one store to another (``hotline-admin
migrate-store``): from a data directory of the embedded store as litemongo kept it to one
of the embedded store as it is now, or from the embedded store to a MongoDB.

For each database: its collections with their indexes (made first, so the target's keys
are written with the documents), the documents in batches through the target's bulk path
(the embedded store's insert_many_new; insert_many on MongoDB), the files beside an
embedded store copied with them; then every collection counted on both sides and each
document compared by a digest of its BSON. Nothing is written to a target database that
holds documents already, and the source is only read. The ledger's hash chains are then
walked on the copy (chain.problems, as ``ledger.verify`` walks them): a copy is good when
the counts and digests agree and no chain is broken.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bson

from services.shared import embedded_store, storage
from services.shared.files import beside_the_store

BATCH = 2000
# the services whose databases a store holds, in the order they are copied
SERVICES = ("accounts", "register", "intake", "dispatch", "callback", "ledger")
INDEX_OPTIONS = ("unique", "sparse", "partialFilterExpression", "expireAfterSeconds")


class CopyRefused(Exception):
    """The copy was not begun: what is wrong, and nothing was written."""


@dataclass
class Copied:
    """What a copy did, database by database."""

    documents: dict[str, dict[str, int]] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    differ: list[str] = field(default_factory=list)  # database.collection: why
    chains: int = 0
    entries: int = 0
    broken: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def good(self) -> bool:
        return not self.differ and not self.broken


def _digest(document: dict) -> bytes:
    return hashlib.blake2b(bson.encode(document), digest_size=16).digest()


def _collections(database: Any) -> list[str]:
    return sorted(name for name in database.list_collection_names()
                  if not name.startswith("system."))


@contextlib.contextmanager
def _opened(uri: str, name: str) -> Iterator[Any]:
    """A database, its client closed after (an in-memory one lives on)."""
    client = storage.open_client(uri, name)
    try:
        yield client[name]
    finally:
        if storage.backend_of(uri) != "memory":
            client.close()


def refuse_to_begin(source_uri: str, target_uri: str, databases: dict[str, str]) -> None:
    """CopyRefused when a target database holds a document already, or a source keeps
    files on disk that the target could not keep beside it (a MongoDB keeps them in
    GridFS, which this copy does not fill)."""
    for service, name in databases.items():
        with _opened(target_uri, name) as target:
            used = [collection for collection in _collections(target)
                    if target[collection].find_one({}, {"_id": 1}) is not None]
        if used:
            raise CopyRefused(f"the target's {service} database ({name}) holds documents "
                              f"already ({', '.join(used)}): copy into an empty store")
        held = _files_in(beside_the_store(source_uri, name))
        if held and beside_the_store(target_uri, name) is None:
            raise CopyRefused(f"{name} keeps {held} files on disk; a MongoDB keeps them "
                              f"in GridFS, which migrate-store does not fill")


def copy_indexes(source: Any, target: Any) -> None:
    for name, index in source.index_information().items():
        if name == "_id_":
            continue
        options = {option: index[option] for option in INDEX_OPTIONS if option in index}
        target.create_index(list(index["key"]), name=name, **options)


def compare(source: Any, target: Any) -> str | None:
    """Why the target's collection is not the source's, or None."""
    kept = {_digest(document) for document in source.find({})}
    copied = {_digest(document) for document in target.find({})}
    if len(kept) != source.count_documents({}) or len(copied) != target.count_documents({}):
        return "documents repeated"
    if kept != copied:
        return f"{len(kept - copied)} documents missing or different"
    return None


def copy_files(source_uri: str, target_uri: str, database: str) -> int:
    """The files beside an embedded store's database (files.py), copied beside the
    target's (refuse_to_begin made sure the target has a place for any)."""
    source_dir = beside_the_store(source_uri, database)
    target_dir = beside_the_store(target_uri, database)
    if source_dir is None or target_dir is None or not _files_in(source_dir):
        return 0
    shutil.copytree(source_dir, target_dir, dirs_exist_ok=True)
    return _files_in(target_dir)


def _files_in(folder: Path | None) -> int:
    return 0 if folder is None or not folder.is_dir() else \
        sum(1 for path in folder.rglob("*") if path.is_file())


def walk_chains(target_uri: str, database: str, copied: Copied) -> None:
    """The ledger's chains on the copy, as ledger.verify walks them."""
    from services.ledger import chain
    from services.ledger.store import LedgerStore

    with _opened(target_uri, database) as target:
        ledger = LedgerStore(target)
        for entries in itertools.chain(ledger.ticket_chains(), ledger.chains_without_ticket()):
            broken, _ = chain.problems(entries)
            copied.chains += 1
            copied.entries += len(entries)
            copied.broken += broken


def copy_store(source_uri: str, target_uri: str, databases: dict[str, str],
               say: Callable[[str], None] = print) -> Copied:
    """Copy ``databases`` ({service: database name}) from ``source_uri`` to ``target_uri``
    and check the copy. CopyRefused before anything is written when the two are one or
    the target holds documents."""
    if storage.place_of(source_uri, "x") == storage.place_of(target_uri, "x"):
        raise CopyRefused("the source and the target are the same store")
    refuse_to_begin(source_uri, target_uri, databases)
    started = time.monotonic()
    copied = Copied()
    for service, name in databases.items():
        counts: dict[str, int] = {}
        with _opened(source_uri, name) as source, _opened(target_uri, name) as target:
            for collection in _collections(source):
                copy_indexes(source[collection], target[collection])
                counts[collection] = embedded_store.insert_new(target[collection],
                                                               source[collection].find({}),
                                                               BATCH)
                say(f"  {service}.{collection}: {counts[collection]} documents "
                    f"({time.monotonic() - started:.0f} s)")
            copied.documents[service] = counts
            copied.files[service] = copy_files(source_uri, target_uri, name)
            for collection in counts:
                why = compare(source[collection], target[collection])
                if why:
                    copied.differ.append(f"{name}.{collection}: {why}")
        if service == "ledger":
            walk_chains(target_uri, name, copied)
    copied.seconds = round(time.monotonic() - started, 1)
    return copied
