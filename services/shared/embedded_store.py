"""The embedded store: litemongo (SQLite files, mongomock's query engine) with its query
indexes kept on disk, in the collection's own SQLite file, instead of in memory.

litemongo finds the documents a query may match through hash indexes it builds in memory
from every document of a collection at the collection's first query: with 100,000 tickets
a ledger took 40 s to start and 3 GB of memory. Here each declared index path keeps a table
of (path, key, document) rows written in the same transaction as the document itself, so
opening a store reads nothing, memory stays with what queries return, and a crash leaves
index and documents agreeing. The keys are litemongo's own (``indexing._key_for``: values
MongoDB holds equal share a key), so candidates stay a superset of the matches and
mongomock still checks each against the whole filter: answers are mongomock's.

A query starts from the lookup that reads fewest keys (equalities, $in, ranges of times
and text, whose key texts sort as the values do) and narrows by the others; an $or of
plannable branches is the union of theirs. A compound index keys its first field alone
and its fields together, so that an equality on each (the last may be a range) reads just
the matches: a unit's 300 open tickets, not its 90,000 closed ones nor every open one.

Patched in mongomock's Collection, once at import, for this store's collections only:
``create_index`` of an index that exists with the same options returns at once (MongoDB's
no-op) instead of reading every document again to check a unique index that was checked
when it was made (each service asks for its indexes at every start); candidates that are
exactly the matches (DiskIndex.exact) are not filtered again; a projection of top-level
fields is taken from the freshly decoded document without a copy, and where those fields
hold single values and the index answers exactly, from the values the store kept of the
document while its bytes are the same (CollectionStore.find_fields). And in its Cursor, for
every litemongo collection: the next document is taken where it is, not from a copy of
the rest of the results made at every step (a walk of a ledger's sorted entries was
quadratic).

A collection written by litemongo alone (no key table, or fewer paths than its indexes
name) has its keys built the first time it is opened here: once, one pass over its
documents.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
import pathlib
from collections.abc import Iterable, Iterator
from typing import Any

import bson
import litemongo.client as litemongo_client
import litemongo.sqlite_store as sqlite_store
from litemongo._vendor.mongomock import collection as mongomock_collection
from litemongo._vendor.mongomock import indexing

KEYS = "query_keys"
PATHS = "index_paths"  # the info table's row naming the paths the key table holds
ID = "_id"
UNKEYED = "*"  # a document whose value at the path has no key: a candidate for any query
# Entries of an index counted at most, when choosing the field a query starts from (and,
# while every field has more, counted again up to four times as many, up to the second)
ENOUGH = 1000
ENOUGH_AT_LAST = 50_000
_CHUNK = 500  # parameters in one IN (...)
# Between the fields' names of a compound index's path, and between its fields' key texts
# in its keys: the ASCII unit separator, in no name and (checked: else unkeyed) no key.
COMPOUND = "\x1f"
MOST_COMPOUND_KEYS = 64  # a document's keys under one compound path, arrays multiplied
# Values a projection may share between answers: none can be changed in place.
_UNCHANGEABLE = (str, int, float, bool, type(None), dt.datetime, bson.ObjectId)
SCALARS_KEPT = 5000  # documents whose top-level unchangeable values a collection keeps
LOADED = "temp.loaded_keys"  # a load's keys, until they go into the key table in its order
LOAD_CACHE = -262144  # SQLite's page cache while a load writes (KiB): a year's ids in memory
DEFAULT_CACHE = -2000


def key_text(key: Any) -> str:
    """litemongo's index key (a tuple of its kind and value) as the text the table keeps."""
    kind = key[0]
    value: Any = key[1] if len(key) > 1 else None
    if kind == "n":
        return f"n:{value!r}"
    if kind == "t":
        return f"t:{value.isoformat()}"
    if kind == "x":
        return f"x:{bytes(value).hex()}"
    if kind == "nan":
        return "nan"
    return f"{kind}:{value}"  # 's' text, 'o' ObjectId


def document_keys(document: dict, path: str) -> list[str]:
    """The key texts under which ``document`` is found by a query on ``path`` (a field, or
    a compound index's fields joined by COMPOUND: compound_keys)."""
    if COMPOUND in path:
        return compound_keys(document, path.split(COMPOUND))
    if "." not in path:
        # the values most fields hold, keyed here as litemongo keys them
        # (key_text(_key_for)) without its general walk: a bulk load writes millions
        value: Any = document.get(path)
        kind = type(value)
        if value is None:  # or missing: found by no key
            return []
        if kind is str:
            return [f"s:{value}"]
        if kind is dt.datetime:
            if value.tzinfo is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return [f"t:{value.replace(microsecond=0).isoformat()}"]
        if kind is int and abs(value) < 2 ** 53:
            return [f"n:{float(value)!r}"]
    keys = indexing._doc_keys(document, path)
    if keys is None:
        return [UNKEYED]
    return [key_text(key) for key in keys]


def compound_keys(document: dict, fields: list[str]) -> list[str]:
    """The keys of a compound index: each of the document's keys of the first field, with
    each of the second's, and so on, joined by COMPOUND; none where a field has none (no
    equality on it can match), UNKEYED where one is unkeyed, a key holds the separator, or
    arrays make more than MOST_COMPOUND_KEYS."""
    joined = [""]
    for number, field in enumerate(fields):
        keys = document_keys(document, field)
        if not keys:
            return []
        if keys == [UNKEYED] or any(COMPOUND in key for key in keys) or \
                len(joined) * len(keys) > MOST_COMPOUND_KEYS:
            return [UNKEYED]
        joined = [f"{head}{COMPOUND}{key}" if number else key
                  for head in joined for key in keys]
    return joined


RANGES = {"$gt", "$gte", "$lt", "$lte"}
# The kinds of value whose key texts sort as MongoDB orders the values: UTC times as ISO
# text (to the second, so bounds are widened to whole seconds), and text (UTF-8 sorts by
# code point in both). Numbers' texts do not sort; a range of them reads every document.
_SORTED_KINDS = {str: "s", dt.datetime: "t"}


def condition_ranges(condition: Any) -> list[tuple[str, str]] | None:
    """For a range condition ($gt, $gte, $lt, $lte of one sortable kind), the key texts,
    lowest and highest, between which a matching value is keyed: one span per bound, since
    an array matches when one element meets the lower bound and another the upper. None
    for any other condition."""
    if not isinstance(condition, dict) or not condition or set(condition) - RANGES:
        return None
    kinds = {_SORTED_KINDS.get(type(value)) for value in condition.values()}
    if len(kinds) != 1 or None in kinds:
        return None
    kind = kinds.pop()
    spans = []
    for operator, value in condition.items():
        [bound] = document_keys({"v": value}, "v")
        if operator in ("$gt", "$gte"):
            spans.append((bound, f"{kind};"))  # up to every key of the kind: ':' < ';'
        else:
            spans.append((f"{kind}:", bound + "\uffff" if kind == "s" else bound))
    return spans


def condition_keys(condition: Any) -> list[str] | None:
    """The key texts a document must have one of to match ``condition`` on a field; None
    when the condition cannot narrow the search (a range, a regex, None, ...)."""
    keys = indexing.query_keys(condition)
    return None if keys is None else [key_text(key) for key in keys]


def id_keys(condition: Any, encode: Any) -> list[str] | None:
    """The stored keys of documents an ``_id`` condition may match: its text, ObjectId and
    number values (equality or $in), else None."""
    if isinstance(condition, dict):
        if set(condition) == {"$eq"}:
            return id_keys(condition["$eq"], encode)
        if set(condition) == {"$in"} and isinstance(condition["$in"], list | tuple):
            keys: list[str] = []
            for value in condition["$in"]:
                found = id_keys(value, encode)
                if found is None:
                    return None
                keys += found
            return keys
        return None
    if isinstance(condition, bool) or not isinstance(condition, str | int | float
                                                     | bson.ObjectId):
        return None
    return [encode(condition)]


def _texts(condition: Any) -> bool:
    """Whether a field's condition is an equality of text ("a", {"$eq": "a"}) or an $in
    of text the index reads in one lookup."""
    if isinstance(condition, dict) and len(condition) == 1:
        [(operator, value)] = condition.items()
        if operator == "$eq":
            return type(value) is str
        return operator == "$in" and isinstance(value, list | tuple) and \
            len(value) < _CHUNK and all(type(item) is str for item in value)
    return type(condition) is str


def _plain(filter: dict) -> bool:  # noqa: A002
    """Whether a filter holds only conditions on fields, and $and and $or of such, each a
    list of filters with something in each: what the index may answer for mongomock."""
    for field, condition in filter.items():
        if field in ("$and", "$or"):
            if not isinstance(condition, list | tuple) or not condition or not all(
                    isinstance(part, dict) and part and _plain(part) for part in condition):
                return False
        elif field.startswith("$"):
            return False
    return True


def _keyed_paths(indexes: Iterable[dict]) -> set[str]:
    """The paths keyed: the first field of each index, and a compound index's fields
    together (joined by COMPOUND). As on MongoDB, a compound index serves queries on its
    first field alone too, the filter checking the others (a ledger entry is found by its
    ticket, not by its place in the ticket's chain); with an equality or $in on every
    field it reads just the matches (a unit's open tickets, not every open ticket)."""
    paths = set()
    for index in indexes:
        keys = list(index["key"])
        paths.update(indexing.index_paths([{**index, "key": keys[:1]}]))
        if len(keys) > 1 and all(direction in (1, -1) and not field.startswith("$")
                                 for field, direction in keys):
            paths.add(COMPOUND.join(field for field, _ in keys))
    return paths


def key_rows(stored: str, document: dict, paths: Iterable[str]) -> list[tuple[str, str, str]]:
    """The key table's rows of a document (its stored key) on ``paths``."""
    return [(path, key, stored) for path in paths for key in document_keys(document, path)]


def _chunks(values: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class DiskIndex:
    """The query index of one collection, on disk: which documents may match a filter."""

    def __init__(self, store: CollectionStore):
        self.store = store

    def candidates(self, filter: Any, paths: frozenset[str]) -> set[str] | None:  # noqa: A002
        """The stored keys of the documents that may match ``filter``; None: every one.
        ``paths``: those keyed (CollectionStore.indexed_paths).

        Conditions that name documents outright (``_id``, an $or of plannable branches)
        are read whole; of the indexed fields, the one with the fewest entries starts (each
        counted up to ENOUGH), and the others only narrow it, looked up for its documents
        alone: a unit's queue reads its few open tickets, never the unit's closed ones."""
        if not isinstance(filter, dict) or not filter:
            return None
        best: set[str] | None = None
        # (SQL condition on the key table, its values). Each alternative names the path
        # itself, so that SQLite reads each from the primary key (an OR under one
        # ``path = ?`` made it read every key of the path: 0.2 s at 2.4 million entries).
        lookups: list[tuple[str, list]] = []
        conditions = list(self._conditions(filter))
        compound, covered = self._compound(conditions, paths)
        if compound is not None:
            best = self._documents_under(*compound)
        for field, condition in conditions:
            if field in (ID, "$or"):
                found = self._named(field, condition, paths)
                if found is not None:
                    best = found if best is None else best & found
            elif field in paths and covered.get(field) is not condition:
                keys, spans = condition_keys(condition), condition_ranges(condition)
                if keys is not None and len(keys) < _CHUNK:  # else: read them all
                    lookups.append((f"path = ? AND key IN "
                                    f"({','.join('?' * (len(keys) + 1))})",
                                    [field, UNKEYED, *keys]))
                for low, high in spans or ():
                    lookups.append(("(path = ? AND key = ?) OR "
                                    "(path = ? AND key BETWEEN ? AND ?)",
                                    [field, UNKEYED, field, low, high]))
        if best is None and lookups:
            best = self._documents_under(*self._smallest(lookups))
        for where, values in lookups:
            if not best:
                break
            best = self._documents_under(where, values, among=best)
        return best

    def _compound(self, conditions: list[tuple[str, Any]], paths: frozenset[str]
                  ) -> tuple[tuple[str, list] | None, dict[str, Any]]:
        """The lookup of the compound path with the most fields that every one of them
        has a condition to key (equalities or $in, the last a range of times or text too),
        and the condition it read of each field (a field may have more: those narrow it
        still); (None, none) if there is none."""
        named = {field: condition for field, condition in reversed(conditions)
                 if not field.startswith("$")}
        for path in sorted(paths, key=lambda path: -path.count(COMPOUND)):
            fields = path.split(COMPOUND)
            if len(fields) < 2 or not all(field in named for field in fields):
                continue
            heads = [""]
            for number, field in enumerate(fields[:-1]):
                keys = condition_keys(named[field])
                if keys is None or len(heads) * len(keys) >= _CHUNK:
                    break
                heads = [f"{head}{COMPOUND}{key}" if number else key
                         for head in heads for key in keys]
            else:
                last = named[fields[-1]]
                keys, spans = condition_keys(last), condition_ranges(last)
                if keys is not None and len(heads) * len(keys) < _CHUNK:
                    joined = [f"{head}{COMPOUND}{key}" for head in heads for key in keys]
                    return (f"path = ? AND key IN ({','.join('?' * (len(joined) + 1))})",
                            [path, UNKEYED, *joined]), {field: named[field] for field in fields}
                if spans and len(heads) == 1 and len(spans) == 1:
                    [(low, high)] = spans
                    head = heads[0] + COMPOUND
                    return ("(path = ? AND key = ?) OR (path = ? AND key BETWEEN ? AND ?)",
                            [path, UNKEYED, path, head + low, head + high]), \
                        {field: named[field] for field in fields}
        return None, {}

    def exact(self, filter: Any, paths: frozenset[str]) -> bool:  # noqa: A002
        """Whether the candidates of ``filter`` are exactly its matches, so that no filter
        need look at them: every condition an equality (or $in) of text on ``_id`` or on
        a keyed field where every document has a key (an $and or $or of such). Text is
        keyed as it is, and an array is keyed by each element, as MongoDB matches it.
        Judged on the conditions as candidates reads them ($and's parts together), so a
        condition counts as read only where candidates read it."""
        if not isinstance(filter, dict) or not filter or not _plain(filter):
            return False
        conditions = list(self._conditions(filter))
        _, covered = self._compound(conditions, paths)  # the conditions it read together
        for field, condition in conditions:
            if field == "$or":
                if not all(self.exact(part, paths) for part in condition):
                    return False
            elif not _texts(condition):
                return False
            elif field != ID and covered.get(field) is not condition and (
                    field not in paths or self._has_unkeyed(field)):
                return False
        # a document unkeyed under a compound path is a candidate of every query there
        return not any(self._has_unkeyed(path) for path in paths if COMPOUND in path)

    def _has_unkeyed(self, path: str) -> bool:
        return self.store._connection.execute(
            f"SELECT 1 FROM {KEYS} WHERE path = ? AND key = ? LIMIT 1",  # nosec
            (path, UNKEYED)).fetchone() is not None

    def _conditions(self, filter: dict) -> Iterator[tuple[str, Any]]:
        """The (field, condition) pairs every match must meet, $and's parts among them and
        $or as one."""
        for field, condition in filter.items():
            if field == "$and" and isinstance(condition, list | tuple):
                for part in condition:
                    if isinstance(part, dict):
                        yield from self._conditions(part)
            elif field == "$or" and isinstance(condition, list | tuple) or \
                    not field.startswith("$"):
                yield field, condition

    def _named(self, field: str, condition: Any, paths: frozenset[str]) -> set[str] | None:
        """The documents an ``_id`` condition names, or the union of an $or's branches'
        candidates (None if any branch has none)."""
        if field == ID:
            keys = id_keys(condition, self.store._documents.encode_key)
            return None if keys is None else set(keys)
        found: set[str] = set()
        for branch in condition:
            some = self.candidates(branch, paths)
            if some is None:
                return None
            found |= some
        return found

    def _smallest(self, lookups: list[tuple[str, list]]) -> tuple[str, list]:
        """The lookup that reads fewest entries (taken out of ``lookups``): each counted
        up to ENOUGH, and while every one has more, again up to four times as many (at
        most ENOUGH_AT_LAST), so that 1,300 open tickets of 300,000 are told from a unit's
        90,000 closed ones without counting those."""
        if len(lookups) == 1:  # nothing to choose between: nothing counted
            return lookups.pop()
        most = ENOUGH
        while True:
            sizes = [self._entries_up_to(*lookup, most + 1) for lookup in lookups]
            if min(sizes) <= most or most >= ENOUGH_AT_LAST:
                return lookups.pop(sizes.index(min(sizes)))
            most *= 4

    def _entries_up_to(self, where: str, values: list, most: int) -> int:
        return self.store._connection.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {KEYS} WHERE {where} LIMIT ?)",  # nosec
            (*values, most)).fetchone()[0]

    def _documents_under(self, where: str, values: list,
                         among: set[str] | None = None) -> set[str]:
        """The documents with a key that meets ``where`` (of those ``among``)."""
        connection = self.store._connection
        query = f"SELECT doc FROM {KEYS} WHERE ({where})"  # nosec
        if among is None:
            return {row[0] for row in connection.execute(query, values)}
        found: set[str] = set()
        for chunk in _chunks(list(among)):
            found.update(row[0] for row in connection.execute(
                f"{query} AND doc IN ({','.join('?' * len(chunk))})", (*values, *chunk)))
        return found


Encoded = tuple[list[tuple[str, bytes]], list[tuple[str, str, str]]]  # rows, their keys


@dataclasses.dataclass(frozen=True)
class Encoder:
    """How a collection keeps documents and their query keys: what another process needs
    to prepare a load (CollectionStore.load_encoded) without opening the collection."""

    codec_options: bson.CodecOptions
    key_format: int
    paths: frozenset[str]

    def encoded(self, documents: list[dict]) -> Encoded:
        """The documents' rows (stored key, BSON) and their key rows; a document without an
        ``_id`` is given one, as insert_many gives it."""
        rows, keys = [], []
        for document in documents:
            if ID not in document:
                document[ID] = bson.ObjectId()
            stored = (sqlite_store._encode_key_typed(document[ID])
                      if self.key_format == sqlite_store.KEY_FORMAT_TYPED
                      else sqlite_store._encode_key_legacy(document[ID]))
            rows.append((stored, bson.encode(document, codec_options=self.codec_options)))
            keys += key_rows(stored, document, self.paths)
        return rows, keys


class CollectionStore(sqlite_store.CollectionStore):
    """A litemongo collection whose query index is a table of its own file."""

    _paths: frozenset[str] | None = None

    def open(self) -> None:
        super().open()
        with self._connection:
            self._connection.execute(
                f"CREATE TABLE IF NOT EXISTS {KEYS}(path TEXT NOT NULL, key TEXT NOT NULL, "
                f"doc TEXT NOT NULL, PRIMARY KEY (path, key, doc)) WITHOUT ROWID")  # nosec
            self._connection.execute(
                f"CREATE INDEX IF NOT EXISTS {KEYS}_doc ON {KEYS}(doc)")  # nosec
        self._paths = None
        self._disk_index = DiskIndex(self)
        # stored key -> (its bytes, its top-level unchangeable values, its fields), as
        # find_fields last decoded it; oldest first
        self._scalars: collections.OrderedDict[str, tuple[bytes, dict, frozenset[str]]] = \
            collections.OrderedDict()

    def close(self) -> None:
        super().close()
        self._paths = None

    # ------------------------------------------------------------ the paths indexed

    def indexed_paths(self) -> frozenset[str]:
        """The paths the key table holds, made to match the declared indexes first (a path
        new to them is filled from every document, once; one no index names is dropped)."""
        wanted = frozenset(_keyed_paths(self.indexes.values())) - {ID}
        if self._paths == wanted:
            return wanted
        kept = self._kept_paths()
        if kept != wanted:
            self._rebuild_paths(kept, wanted)
        self._paths = wanted
        return wanted

    def _kept_paths(self) -> frozenset[str]:
        row = self._connection.execute(
            f"SELECT value FROM {self.INFO} WHERE key = ?", (PATHS,)).fetchone()  # nosec
        return frozenset(json.loads(row[0])) if row else frozenset()

    def _rebuild_paths(self, kept: frozenset[str], wanted: frozenset[str]) -> None:
        new = sorted(wanted - kept)
        with self._rwlock.writer(), self._connection:
            for path in kept - wanted:
                self._connection.execute(f"DELETE FROM {KEYS} WHERE path = ?",  # nosec
                                         (path,))
            if new:
                rows = self._connection.execute(
                    f"SELECT {self.ID}, {self.DOC} FROM {self.DOCUMENTS}")  # nosec
                decode = self._documents._decode_doc
                for batch in batches(rows, 2000):
                    self._connection.executemany(
                        f"INSERT OR IGNORE INTO {KEYS} VALUES (?, ?, ?)",  # nosec
                        [row for stored, raw in batch
                         for row in key_rows(stored, decode(raw), new)])
            self._connection.execute(
                f"INSERT OR REPLACE INTO {self.INFO} VALUES (?, ?)",  # nosec
                (PATHS, json.dumps(sorted(wanted))))

    # ------------------------------------------------------------ documents and keys

    def __setitem__(self, key: Any, value: dict) -> None:
        paths = self.indexed_paths()
        stored = self._documents.encode_key(key)
        encoded = self._documents._encode_doc(value)
        with self._rwlock.writer(), self._connection:
            self._connection.execute(
                f"INSERT INTO {self.DOCUMENTS} VALUES(?, ?) ON CONFLICT({self.ID}) "  # nosec
                f"DO UPDATE SET {self.DOC}=excluded.{self.DOC}", (stored, encoded))
            self._write_keys(stored, value, paths)

    def _write_keys(self, stored: str, document: dict, paths: Iterable[str]) -> None:
        """The document's keys as it is now: only those that changed are written (most
        writes, a version moved or an event pushed, change no indexed field)."""
        wanted = set(key_rows(stored, document, paths))
        kept = set(self._connection.execute(
            f"SELECT path, key, doc FROM {KEYS} WHERE doc = ?", (stored,)))  # nosec
        if kept - wanted:
            self._connection.executemany(
                f"DELETE FROM {KEYS} WHERE path = ? AND key = ? AND doc = ?",  # nosec
                list(kept - wanted))
        if wanted - kept:
            self._connection.executemany(
                f"INSERT OR IGNORE INTO {KEYS} VALUES (?, ?, ?)",  # nosec
                list(wanted - kept))

    def __delitem__(self, key: Any) -> None:
        stored = self._documents.encode_key(key)
        with self._rwlock.writer(), self._connection:
            gone = self._connection.execute(
                f"DELETE FROM {self.DOCUMENTS} WHERE {self.ID} = ?", (stored,))  # nosec
            self._connection.execute(f"DELETE FROM {KEYS} WHERE doc = ?", (stored,))  # nosec
        if gone.rowcount <= 0:
            raise KeyError(key)

    def insert_many_new(self, documents: list[dict]) -> None:
        """Documents known to be new, in one transaction (the bulk path: seeding, copying a
        store); no unique index is checked."""
        rows, keys = self.encoder().encoded(documents)
        with self._rwlock.writer(), self._connection:
            self._connection.executemany(
                f"INSERT INTO {self.DOCUMENTS} VALUES(?, ?)", rows)  # nosec
            self._connection.executemany(
                f"INSERT OR IGNORE INTO {KEYS} VALUES (?, ?, ?)", keys)  # nosec

    def encoder(self) -> Encoder:
        """How this collection keeps documents and their keys (for other processes to
        prepare a load), its key table made to match its indexes first."""
        return Encoder(self._codec_options, self._documents.key_format, self.indexed_paths())

    def load(self, documents: Iterable[dict], size: int) -> int:
        """New documents, ``size`` a transaction, no unique index checked (load_encoded);
        how many."""
        encoder = self.encoder()
        return self.load_encoded(encoder.encoded(batch) for batch in batches(documents, size))

    def load_encoded(self, encoded: Iterable[Encoded]) -> int:
        """New documents as Encoder.encoded gave them, a transaction each; how many. Their
        keys are kept apart and put into the key table once, in its order, at the end, and
        its index by document made after: a key table larger than SQLite's page cache takes
        rows in random order ten times slower than sorted (3 million rows: 75 s against
        7 s, then 4 s for the index). Until the end the info row naming the keyed paths is
        away, so a load that stops leaves documents whose keys the next open builds from
        them (indexed_paths). For a store no other process has open: one that reads it
        meanwhile misses what is being loaded."""
        paths = self.indexed_paths()
        connection = self._connection
        written = 0
        with self._rwlock.writer():
            connection.execute(f"PRAGMA cache_size = {LOAD_CACHE}")
            try:
                with connection:
                    connection.execute(f"DELETE FROM {self.INFO} WHERE key = ?",  # nosec
                                       (PATHS,))
                    connection.execute(f"DROP INDEX IF EXISTS {KEYS}_doc")  # nosec
                    connection.execute(f"CREATE TEMP TABLE {LOADED}(path, key, doc)")  # nosec
                for rows, keys in encoded:
                    with connection:
                        connection.executemany(
                            f"INSERT INTO {self.DOCUMENTS} VALUES(?, ?)", rows)  # nosec
                        connection.executemany(f"INSERT INTO {LOADED} VALUES (?, ?, ?)", keys)
                    written += len(rows)
                with connection:
                    connection.execute(
                        f"INSERT OR IGNORE INTO {KEYS} SELECT path, key, doc "  # nosec
                        f"FROM {LOADED} ORDER BY path, key, doc")
                    connection.execute(
                        f"INSERT OR REPLACE INTO {self.INFO} VALUES (?, ?)",  # nosec
                        (PATHS, json.dumps(sorted(paths))))
            finally:
                connection.execute(f"DROP TABLE IF EXISTS {LOADED}")  # nosec
                # also after a failure, and if another process's open made it meanwhile
                connection.execute(f"CREATE INDEX IF NOT EXISTS {KEYS}_doc ON {KEYS}(doc)")
                connection.execute(f"PRAGMA cache_size = {DEFAULT_CACHE}")
                self._paths = None  # read again: after a failed load, the keys are rebuilt
        return written

    def drop(self) -> None:
        super().drop()
        with self._connection:
            self._connection.execute(f"DELETE FROM {KEYS}")  # nosec
        self._paths = None

    def copy_from(self, source: sqlite_store.CollectionStore) -> None:
        super().copy_from(source)
        with self._connection:
            self._connection.execute(f"DELETE FROM {KEYS}")  # nosec
            self._connection.execute(f"DELETE FROM {self.INFO} WHERE key = ?",  # nosec
                                     (PATHS,))
        self._paths = None

    # ------------------------------------------------------------ queries

    def find_candidates(self, filter: Any) -> Iterator[dict]:  # noqa: A002
        """The documents that may match ``filter``, in the order they were first stored."""
        return self.find_planned(filter)[0]

    def find_planned(self, filter: Any) -> tuple[Iterator[dict], bool]:  # noqa: A002
        """The documents that may match ``filter`` in the order they were first stored,
        and whether they are exactly its matches (DiskIndex.exact)."""
        self._remove_expired_documents()
        paths = self.indexed_paths()
        keys = self._disk_index.candidates(filter, paths)
        if keys is None:
            return self.documents, False
        return self._in_natural_order(list(keys)), self._disk_index.exact(filter, paths)

    def find_fields(self, filter: Any, fields: list[str], with_id: bool  # noqa: A002
                    ) -> list[dict] | None:
        """``fields`` (top-level) of the documents that match ``filter``, in the order
        they were first stored, with their ``_id`` if ``with_id``; None where the index
        cannot answer the filter exactly or a field holds a list or a document. Values
        are taken from the documents as last decoded while the stored bytes are the same
        (a unit's queue asks for 300 tickets' versions: decoding them was most of it)."""
        self._remove_expired_documents()
        paths = self.indexed_paths()
        keys = self._disk_index.candidates(filter, paths)
        if keys is None or not self._disk_index.exact(filter, paths):
            return None
        kept = self._scalars
        wanted = [ID, *fields] if with_id else fields
        found = []
        for stored, raw in self._stored_in_natural_order(list(keys)):
            scalars = kept.get(stored)
            if scalars is None or scalars[0] != raw:
                document = self._documents._decode_doc(raw)
                scalars = kept[stored] = (raw, {
                    name: value for name, value in document.items()
                    if isinstance(value, _UNCHANGEABLE)}, frozenset(document))
                while len(kept) > SCALARS_KEPT:
                    kept.popitem(last=False)
            else:
                kept.move_to_end(stored)
            _, values, present = scalars
            projected = {}
            for name in wanted:
                if name in values:
                    projected[name] = values[name]
                elif name in present:
                    return None
            found.append(projected)
        return found

    def _in_natural_order(self, keys: list[str]) -> Iterator[dict]:
        decode = self._documents._decode_doc
        return (decode(raw) for _, raw in self._stored_in_natural_order(keys))

    def _stored_in_natural_order(self, keys: list[str]) -> list[tuple[str, bytes]]:
        """The stored keys and bytes of these documents, in the order first stored."""
        found: list[tuple[int, str, bytes]] = []
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            found += self._connection.execute(
                f"SELECT ROWID, {self.ID}, {self.DOC} FROM {self.DOCUMENTS} "  # nosec
                f"WHERE {self.ID} IN ({marks})", chunk).fetchall()
        found.sort(key=lambda row: row[0])
        return [(stored, raw) for _, stored, raw in found]


def insert_new(collection: Any, documents: Iterable[dict], size: int = 2000) -> int:
    """New documents into ``collection`` in batches of ``size``: through this store's bulk
    path (insert_many_new: no unique index checked) where the collection is one of its,
    else insert_many. Returns how many."""
    bulk = collection_store(collection)
    if bulk is not None and bulk.is_empty:
        return bulk.load(documents, size)
    written = 0
    for batch in batches(documents, size):
        if bulk is not None:
            bulk.insert_many_new(batch)
        else:
            collection.insert_many(batch, ordered=True)
        written += len(batch)
    return written


def batches(rows: Iterable, size: int) -> Iterator[list]:
    """``rows`` in lists of ``size`` (the last shorter), read as they come."""
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class DatabaseStore(sqlite_store.DatabaseStore):
    def __getitem__(self, col_name: str) -> CollectionStore:
        if col_name not in self._collections:
            self._collections[col_name] = CollectionStore(
                self._dirpath / col_name, codec_options=self._codec_options)
        return self._collections[col_name]


class ServerStore(sqlite_store.ServerStore):
    def __getitem__(self, db_name: str) -> DatabaseStore:
        if db_name not in self._databases:
            self._databases[db_name] = DatabaseStore(self._dirpath / db_name)
        return self._databases[db_name]


def connect(directory: str | pathlib.Path, tz_aware: bool = True) -> Any:
    """A pymongo-shaped client whose databases are folders below ``directory``."""
    return litemongo_client.MongoClient(ServerStore(directory), tz_aware=tz_aware)


def collection_store(collection: Any) -> CollectionStore | None:
    """The disk store behind a collection of this backend (the bulk path), else None."""
    store = getattr(collection, "_store", None)
    return store if isinstance(store, CollectionStore) else None


# ---------------------------------------------------------------- create_index, patched

_create_index = mongomock_collection.Collection.create_index


def _create_index_once(self: Any, keys: Any, cache_for: int = 300, session: Any = None,
                       **kwargs: Any) -> str:
    """mongomock's create_index, but an index that exists with the same options is not
    made again: a unique index was checked against every document when it was made, and
    every write since kept it."""
    if isinstance(self._store, CollectionStore):
        index_list = mongomock_collection.helpers.create_index_list(keys)
        name = kwargs.get("name") or mongomock_collection.helpers.gen_index_name(index_list)
        existing = self._store.indexes.get(name)
        if existing is not None and existing == _index_config(index_list, kwargs):
            return name
    made = _create_index(self, keys, cache_for=cache_for, session=session, **kwargs)
    if isinstance(self._store, CollectionStore):
        self._store.indexed_paths()  # its keys written now, not at the next query
    return made


def _index_config(index_list: list, kwargs: dict) -> dict:
    """An index's options as mongomock keeps them (Collection.create_index)."""
    config: dict = {"key": index_list}
    if kwargs.get("sparse"):
        config["sparse"] = True
    if kwargs.get("unique"):
        config["unique"] = True
    if kwargs.get("expireAfterSeconds") is not None:
        config["expireAfterSeconds"] = kwargs["expireAfterSeconds"]
    if kwargs.get("partialFilterExpression") is not None:
        config["partialFilterExpression"] = kwargs["partialFilterExpression"]
    return config


mongomock_collection.Collection.create_index = _create_index_once  # type: ignore[method-assign]


# ---------------------------------------------------------------- reading, patched
# Every document this store answers is decoded afresh for the query, so what mongomock
# does to keep its in-memory documents apart from what it hands out (a filter over
# candidates that are the matches already, a deep copy under a projection) is skipped.

_iter_documents = mongomock_collection.Collection._iter_documents
_copy_only_fields = mongomock_collection.Collection._copy_only_fields


def _iter_planned(self: Any, filter: Any) -> Iterator[dict]:  # noqa: A002
    """mongomock's _iter_documents, the filter left out where the index answered
    exactly."""
    if not isinstance(self._store, CollectionStore):
        return _iter_documents(self, filter)
    if self._store.is_empty:  # mongomock checks the filter even with nothing to match
        mongomock_collection.filter_applies(filter, {})
    documents, exact = self._store.find_planned(filter)
    if exact:
        return documents
    return (document for document in documents
            if mongomock_collection.filter_applies(filter, document))


_get_dataset = mongomock_collection.Collection._get_dataset


def _get_dataset_of_fields(self: Any, spec: Any, sort: Any, fields: Any,
                           as_class: Any) -> Iterator[Any]:
    """mongomock's _get_dataset, but an unsorted projection of top-level fields that the
    index answers exactly is taken from this store's kept values (find_fields)."""
    if isinstance(self._store, CollectionStore) and not sort:
        wanted = _top_level(fields)
        if wanted is not None:
            found = self._store.find_fields(spec, wanted, bool(fields.get(ID, 1)))
            if found is not None:
                return iter(found) if as_class is dict else \
                    (as_class(document) for document in found)
    return _get_dataset(self, spec, sort, fields, as_class)


def _top_level(fields: Any) -> list[str] | None:
    """The fields a projection takes when it takes top-level fields only (``_id`` as
    it says), else None."""
    if not isinstance(fields, dict) or not fields:
        return None
    wanted = [name for name in fields if name != ID]
    if wanted and all(fields[name] in (1, True) and "." not in name and name[0] != "$"
                      for name in wanted) and fields.get(ID, 1) in (0, 1, False, True):
        return wanted
    return None


def _project_fresh(self: Any, document: dict, fields: Any, container: Any) -> Any:
    """mongomock's projection, but a plain list of top-level fields is taken from the
    freshly decoded document as it is."""
    wanted = _top_level(fields) if isinstance(self._store, CollectionStore) else None
    if wanted is None:
        return _copy_only_fields(self, document, fields, container)
    projected = container()
    if fields.get(ID, 1) and ID in document:
        projected[ID] = document[ID]
    for name in wanted:
        if name in document:
            projected[name] = document[name]
    return projected


def _next_in_place(self: Any) -> Any:
    """mongomock's Cursor.__next__ without copying the rest of the results at every
    document (it sliced them from ``skip`` each time: a walk of 90,000 sorted ledger
    entries took a minute)."""
    results = self._compute_results()
    position = (self._skip or 0) + self._emitted
    if self._limit and self._emitted >= abs(self._limit) or position >= len(results):
        raise StopIteration
    self._emitted += 1
    return results[position]


mongomock_collection.Cursor.__next__ = _next_in_place  # type: ignore[method-assign]
mongomock_collection.Cursor.next = _next_in_place
mongomock_collection.Collection._iter_documents = _iter_planned  # type: ignore[method-assign]
mongomock_collection.Collection._copy_only_fields = _project_fresh  # type: ignore[method-assign]
mongomock_collection.Collection._get_dataset = _get_dataset_of_fields  # type: ignore[method-assign]
