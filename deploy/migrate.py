"""Move what a service kept for another part into the database of the service that part
became: collections, whole, from one service's database to another's.

    .venv/bin/python deploy/migrate.py accounts   # dispatch's users → the accounts service
    .venv/bin/python deploy/migrate.py health-notes  # copies no service may keep, cleared
    .venv/bin/python deploy/migrate.py --list     # the steps there are (MOVES, FORGETS)

Run it from the project's folder with every service stopped (the embedded store lets one
process open a database), after installing the code whose services read the new home, and
before starting them. It finds each database as the services do: ``MONGO_URI`` from the
environment (default ``litemongo:var/data``; ``--mongo-uri`` for another) and each
service's ``DATABASE`` from ``deploy/<service>.yml``.

Every document goes as it is: its ``_id``, versions, times and whatever else it holds
(for accounts: password hashes, API tokens, the lock state; for the register: each
resident's history, and every read of a card), and events still waiting in its outbox,
which the new owner's sweep publishes on its own exchange: those the old owner said are
said as the new owner's (their ``source``), since a consumer takes an event only from the
exchange of the service it names. A document is written to the new
database, then, once the counts show that every one is there, removed from the old one,
and the emptied collection dropped. Running it again moves nothing twice: what is there
already, the same, is only counted. A document the new database holds differently under
the same ``_id`` stops the move before anything is removed. Exits 1, saying why, when the
counts afterwards do not add up or a document differs; nothing is removed from the old
database then.

A forget (FORGETS) clears a field from every document that holds it, where a service kept
a copy that is no longer its to keep: the residents' health notes, which now leave the
register only for the resident's grid, in the cards intake, dispatch and callback kept
from before (the ledger's entries keep theirs: its chain must not change, and it never
serves them outside the grid). Running it again clears nothing more.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pymongo.collection import Collection  # noqa: E402
from pymongo.errors import DuplicateKeyError  # noqa: E402

from services.shared import outbox, storage, store_marker  # noqa: E402

DEPLOY = ROOT / "deploy"

# A part that became a service of its own: (from service, to service, collections moved).
MOVES: dict[str, tuple[str, str, list[str]]] = {
    "accounts": ("dispatch", "accounts", ["users"]),
    "register": ("ledger", "register", ["residents", "card_views"]),
}


# A copy no service may keep any more: (service, collection, field) cleared everywhere.
FORGETS: dict[str, list[tuple[str, str, str]]] = {
    "health-notes": [
        ("intake", "residents", "card.health_notes"),
        ("intake", "tickets", "resident.health_notes"),
        ("dispatch", "tickets", "resident.health_notes"),
        ("callback", "residents", "card.health_notes"),
        ("callback", "tasks", "resident.health_notes"),
    ],
}


class MoveRefused(Exception):
    """The move cannot go on: counts that do not add up, or a document the new database
    holds differently. Nothing was removed from the old database (but where the removal
    itself fell short: then the new database holds every document, and the message says
    what is left)."""


@dataclass
class Moved:
    """What happened to one collection."""

    collection: str
    copied: int     # written to the new database by this run
    already: int    # there already, the same (an earlier run, stopped before it removed them)
    removed: int    # taken out of the old database
    held: int       # in the new database afterwards


def service_database(service: str, config: dict) -> str:
    """The service's database, as its Storage provider names it: ``DATABASE`` from
    deploy/<service>.yml (the service's name if it has no file yet), after the
    ``DATABASE_PREFIX`` of ``config``."""
    path = DEPLOY / f"{service}.yml"
    database = None
    if path.exists():
        with warnings.catch_warnings():  # nameko's command line imports pkg_resources
            warnings.simplefilter("ignore")
            from nameko.cli.main import setup_yaml_parser

        setup_yaml_parser()  # read the file as `nameko run` does: ${VAR:default} filled in
        database = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("DATABASE")
    return storage.database_name({**config, "DATABASE": database}, service)


def move_collections(config: dict, from_service: str, to_service: str,
                     collections: Sequence[str],
                     say: Callable[[str], Any] = print) -> list[Moved]:
    """Move ``collections`` from ``from_service``'s database to ``to_service``'s, on the
    store ``config`` names (``MONGO_URI``, ``DATABASE_PREFIX``). MoveRefused, with nothing
    removed from the old database, if the counts do not add up or a document differs."""
    uri = config.get("MONGO_URI") or storage.DEFAULT_MONGO_URI
    old = storage.connect(uri, service_database(from_service, config))
    new = storage.connect(uri, service_database(to_service, config))
    try:
        # every collection copied and counted before any is removed: a refusal of the last
        # leaves the old database whole
        copied = [_copy(old[name], new[name], from_service, to_service) for name in collections]
        moved = [_remove(old[done.collection], ids, done, from_service, to_service)
                 for done, ids in copied]
        # the old store's marker no longer expects them; the new one's learns of them when
        # its service next starts (services/shared/store_marker.py)
        old[store_marker.MARKER].update_one({"_id": store_marker.MARKER}, {
            "$pull": {"collections": {"$in": list(collections)}}})
    finally:
        if storage.backend_of(uri) != "memory":  # the embedded store's files are let go
            old.client.close()
            new.client.close()
    for done in moved:
        say(f"  {done.collection}: {done.copied} moved from {from_service} to {to_service}"
            f"{f' ({done.already} there already)' if done.already else ''}; "
            f"{to_service} holds {done.held}, {from_service} none")
    return moved


def restamped(document: dict, from_service: str, to_service: str) -> dict:
    """The document with the events waiting in its outbox that ``from_service`` said made
    ``to_service``'s, which publishes them now."""
    waiting = document.get(outbox.OUTBOX)
    if not waiting:
        return document
    return {**document, outbox.OUTBOX: [
        {**event, "source": to_service} if event.get("source") == from_service else event
        for event in waiting]}


def copy(target: Collection, document: dict) -> None:
    """Write one document to the new database (its own function: a test loses one here)."""
    target.insert_one(document)


def _copy(source: Collection, target: Collection, from_service: str,
          to_service: str) -> tuple[Moved, list[Any]]:
    """Copy what is not there yet and check the counts; the ids copied or found there."""
    name = source.name
    documents = list(source.find())
    held_before = target.count_documents({})
    waiting, already = [], 0
    documents = [restamped(document, from_service, to_service) for document in documents]
    for document in documents:  # first look at all, so that a refusal writes nothing
        there = target.find_one({"_id": document["_id"]})
        if there is None:
            waiting.append(document)
        elif there == document:
            already += 1
        else:
            raise MoveRefused(f"{name} {document['_id']!r}: {to_service} holds a different "
                              f"one already; nothing was moved")
    for document in waiting:
        try:
            copy(target, document)
        except DuplicateKeyError as clash:  # a unique index of the new owner's
            raise MoveRefused(f"{name} {document['_id']!r} clashes with what {to_service} "
                              f"holds ({clash}); nothing was removed from {from_service}"
                              ) from None
    ids = [document["_id"] for document in documents]
    found = target.count_documents({"_id": {"$in": ids}}) if ids else 0
    held = target.count_documents({})
    if found != len(ids) or held != held_before + len(waiting):
        raise MoveRefused(
            f"{name}: the counts do not match: {from_service} had {len(ids)}, {to_service} "
            f"holds {found} of them ({held} in all, {held_before} before and {len(waiting)} "
            f"written); nothing was removed from {from_service}")
    return Moved(name, len(waiting), already, 0, held), ids


def _remove(source: Collection, ids: list[Any], done: Moved, from_service: str,
            to_service: str) -> Moved:
    """Take the copied documents out of the old database, and the emptied collection."""
    removed = source.delete_many({"_id": {"$in": ids}}).deleted_count if ids else 0
    left = source.count_documents({})
    if removed != len(ids) or left:
        raise MoveRefused(f"{done.collection}: {removed} of {len(ids)} removed from "
                          f"{from_service}, {left} left there; {to_service} holds them all")
    source.drop()  # empty: its indexes go with it, which the old owner no longer makes
    return Moved(done.collection, done.copied, done.already, removed, done.held)


def forget_fields(config: dict, fields: Sequence[tuple[str, str, str]],
                  say: Callable[[str], Any] = print) -> int:
    """Clear each (service, collection, field) from every document holding it, on the
    store ``config`` names; how many documents were changed."""
    uri = config.get("MONGO_URI") or storage.DEFAULT_MONGO_URI
    changed = 0
    for service in dict.fromkeys(service for service, _, _ in fields):
        database = storage.connect(uri, service_database(service, config))
        try:
            for _, collection, field in (each for each in fields if each[0] == service):
                count = database[collection].update_many(
                    {field: {"$exists": True}}, {"$unset": {field: ""}}).modified_count
                say(f"  {service}.{collection}: {field} cleared from {count}")
                changed += count
        finally:
            if storage.backend_of(uri) != "memory":
                database.client.close()
    return changed


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("move", nargs="?", choices=sorted({**MOVES, **FORGETS}),
                         help="what to move or forget")
    options.add_argument("--list", action="store_true", help="the steps there are")
    options.add_argument("--mongo-uri", default=os.environ.get("MONGO_URI")
                         or storage.DEFAULT_MONGO_URI)
    args = options.parse_args(argv)
    if args.list:
        for name, (from_service, to_service, collections) in MOVES.items():
            print(f"{name}: {', '.join(collections)} from {from_service} to {to_service}")
        for name, fields in FORGETS.items():
            print(f"{name}: " + ", ".join(f"{service}.{collection}.{field}"
                                         for service, collection, field in fields))
        return 0
    if not args.move:
        options.error("name a move (--list shows them)")
    if args.move in FORGETS:
        print(f"migrate {args.move}: clearing ({args.mongo_uri})")
        changed = forget_fields({"MONGO_URI": args.mongo_uri}, FORGETS[args.move])
        print(f"migrate {args.move}: {changed} documents cleared" if changed
              else f"migrate {args.move}: nothing to clear (done before, or nothing there)")
        return 0
    from_service, to_service, collections = MOVES[args.move]
    config = {"MONGO_URI": args.mongo_uri}
    print(f"migrate {args.move}: {', '.join(collections)} from {from_service} to "
          f"{to_service} ({args.mongo_uri})")
    try:
        moved = move_collections(config, from_service, to_service, collections)
    except MoveRefused as refusal:
        print(f"migrate {args.move}: refused: {refusal}", file=sys.stderr)
        return 1
    copied = sum(done.copied for done in moved)
    print(f"migrate {args.move}: {copied} documents moved" if copied
          else f"migrate {args.move}: nothing to move (done before, or nothing there)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
