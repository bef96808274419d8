"""The embedded stores side by side, on the services' own queries (a part of the bench, or
alone): for each store and each number of stored tickets, in fresh processes of their own
(so that time and memory are the store's, not the last one's),

1. load: dispatch's ticket states and the ledger's entries of ``--tickets`` tickets (copied
   from tickets the real services took through their life in-process, as `make bench`
   seeds its stores: history.templates, history.stored_plan), inserted in batches through the
   services' store classes (``insert_many``), then their indexes made (``ensure_indexes``);
2. the ledger as its service starts: open, ``ensure_indexes``, a first timeline; then a
   ticket's timeline timed, and the ledger's append (numbered under its unique index)
   timed; resident memory of that process;
3. dispatch as its service starts: open, ``ensure_indexes``, a first read of a unit's
   queue (300 open tickets); then that queue timed (``handled_by``, as dispatch.queue
   reads it) and a new ticket's first state (``add_if_new``) timed; resident memory;
4. what the services ask of a store and the store refuses (a unique index that does not
   refuse a double, ``find_one_and_update``, an upsert…): each reported with its error.

A step that takes longer than ``--limit`` seconds is stopped and reported too slow with
how far it got; a store too slow at one size is not tried at a larger one. Prints a table
and writes var/bench/stores.json.

    .venv/bin/python deploy/stores.py [--tickets 10000 100000] [--stores litemongo ...]
                                      [--calls 200] [--limit 300] [--budget 30]
                                      [--quick]

A store joins the comparison by a line in STORES: its name and a function that opens
a database of a given name in a given directory (returning it and how to close it).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

OUT = ROOT / "var" / "bench"
BATCH = 2000
LIMIT_SECONDS = 300
BUDGET_SECONDS = 30  # a timed query or write is called ``calls`` times, or for this long
SIZES = [10_000, 100_000, 300_000]
QUICK_SIZES = [2_000]

Opened = tuple[Any, Callable[[], None]]  # a pymongo-shaped Database, and how to close it


# ---------------------------------------------------------------- the stores compared

def open_embedded(directory: Path, name: str) -> Opened:
    """As the services open it (storage.connect on a litemongo: URI): litemongo with its
    query indexes on disk (services/shared/embedded_store.py)."""
    from services.shared import storage

    client = storage.open_client(f"litemongo:{directory}", name)
    return client[name], client.close


def open_litemongo(directory: Path, name: str) -> Opened:
    """litemongo 0.2.0 as it comes: query indexes built in memory at the first query."""
    import litemongo.client

    client = litemongo.client.connect(f"{directory}/{name}?engine=sqlite", tz_aware=True)
    return client[name], client.close


def _montydb(engine: str, **config: Any) -> Callable[[Path, str], Opened]:
    def open_montydb(directory: Path, name: str) -> Opened:
        from montydb import MontyClient, set_storage

        repository = directory / name
        if not (repository / "monty.storage.cfg").exists():
            repository.mkdir(parents=True, exist_ok=True)
            set_storage(str(repository), storage=engine, **config)
        client = MontyClient(str(repository), tz_aware=True)
        return client[name], client.close
    return open_montydb


def open_mongita(directory: Path, name: str) -> Opened:
    from mongita import MongitaClientDisk

    client = MongitaClientDisk(host=str(directory / name))
    return client[name], client.close


# name -> how to open a database of that name under a directory. A store of the project's
# own joins the comparison here.
STORES: dict[str, Callable[[Path, str], Opened]] = {
    "embedded": open_embedded,
    "litemongo": open_litemongo,
    "montydb-sqlite": _montydb("sqlite"),
    # LMDB's map is its largest size: 10 MB unless told (64 GB of address space here)
    "montydb-lmdb": _montydb("lightning", map_size=64 * 2**30),
    "mongita": open_mongita,
}


# ---------------------------------------------------------------- figures

def spread_ms(times: list[float]) -> dict:
    if not times:
        return {}
    ordered = sorted(times)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)
    return {"p50": at(0.5), "p99": at(0.99), "max": round(ordered[-1] * 1000, 2),
            "calls": len(times)}


def resident_mb() -> dict:
    """This process's resident memory now and at its peak, in MB."""
    status = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
    fields = {line.split(":")[0]: line.split()[1] for line in status if line.startswith("Vm")}
    # VmHWM, not getrusage's peak: that one counts the parent's before the exec
    return {"rss_mb": round(int(fields.get("VmRSS", 0)) / 1024),
            "peak_mb": round(int(fields.get("VmHWM", 0)) / 1024)}


def size_mb(directory: Path) -> float:
    return round(sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())
                 / 2**20, 1)


def failure(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:200]}"


class Progress:
    """What a child process did so far, written after each step to a JSON file: what the
    parent reports when it stops the child."""

    def __init__(self, path: Path):
        self.path = path
        self.figures: dict = {"failures": {}}

    def note(self, **figures: Any) -> None:
        self.figures.update(figures)
        self.path.write_text(json.dumps(self.figures, ensure_ascii=False, default=str),
                             encoding="utf-8")

    def failed(self, what: str, error: BaseException) -> None:
        stage = self.figures.get("stage")
        self.figures["failures"][what] = failure(error) + (f" (while {stage})" if stage else "")
        self.note()


# ---------------------------------------------------------------- the children

def opened(store: str, directory: Path, part: str, store_class: Any,
           progress: Progress) -> tuple[Any, Callable[[], None]]:
    """``part``'s database on ``store`` in its service's store class, its indexes made as
    the service makes them at start (a store that cannot: reported), and how to close it."""
    db, close = STORES[store](directory, part)
    kept = store_class(db)
    try:
        kept.ensure_indexes()
    except Exception as error:  # noqa: BLE001  a store that cannot: reported
        progress.failed(f"{part} ensure_indexes", error)
    return kept, close


def load(store: str, directory: Path, plan: list[tuple], progress: Progress) -> None:
    """Both services' indexes (ensure_indexes, so that a store that keeps its indexes
    writes them with the documents), then their documents in batches through the store's
    bulk path (embedded_store.insert_new)."""
    import history

    from services.dispatch.store import TicketStateStore
    from services.ledger.store import LedgerStore
    from services.shared import embedded_store

    started = time.monotonic()
    dispatch, close_dispatch = opened(store, directory, "dispatch", TicketStateStore, progress)
    ledger, close_ledger = opened(store, directory, "ledger", LedgerStore, progress)
    indexed = time.monotonic()
    progress.note(stage="inserting", index_s=round(indexed - started, 1))
    parts = {"dispatch": (dispatch.tickets, lambda t, n, d: [history.seeded_state(t, n, d)]),
             "ledger": (ledger.entries, history.seeded_entries)}
    def documents(part: str, make: Callable[..., list[dict]]) -> Iterator[dict]:
        for index, (template, number, delta) in enumerate(plan):
            yield from make(template, number, delta)
            if index % 500 == 499 or index == len(plan) - 1:
                progress.note(stage=f"inserting {part}", tickets_done=index + 1,
                              seconds=round(time.monotonic() - started, 1))

    inserted = sum(embedded_store.insert_new(collection, documents(part, make), BATCH)
                   for part, (collection, make) in parts.items())
    close_dispatch()
    close_ledger()
    progress.note(stage="loaded", load_s=round(time.monotonic() - indexed, 1),
                  documents=inserted, disk_mb=size_mb(directory))


def timed(call: Callable[[], Any], times: int) -> list[float]:
    """How long each call took: ``times`` calls, or fewer (at least 5) once they have taken
    ``--budget`` seconds, so that a slow store gives its figures rather than none."""
    budget = float(os.environ.get("STORES_BUDGET", BUDGET_SECONDS))
    spent: list[float] = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spent.append(time.perf_counter() - started)
        if sum(spent) > budget and len(spent) >= 5:
            break
    return spent


def serve_ledger(store: str, directory: Path, numbers: list[str], calls: int,
                 progress: Progress) -> None:
    """The ledger as its service starts and answers: timelines, then appends."""
    from services.ledger.store import LedgerStore

    progress.note(baseline=resident_mb(), stage="starting")
    started = time.monotonic()
    ledger, close = opened(store, directory, "ledger", LedgerStore, progress)
    ledger.timeline(numbers[0])
    progress.note(stage="timelines", start_s=round(time.monotonic() - started, 2))
    chance = random.Random(5)
    progress.note(timeline_ms=spread_ms(timed(lambda: ledger.timeline(chance.choice(numbers)),
                                              calls)), stage="appends")

    def append() -> None:
        number = chance.choice(numbers)
        last = ledger.last_entry(number) or {}
        entry = {key: value for key, value in last.items()
                 if key not in ("_id", "seq", "prev_hash", "hash")}
        now = dt.datetime.now(dt.UTC)
        ledger.append({**entry, "_id": uuid.uuid4().hex, "ticket_no": number,
                       "occurred_at": now, "recorded_at": now})

    try:
        progress.note(append_ms=spread_ms(timed(append, calls)))
    except Exception as error:  # noqa: BLE001
        progress.failed("ledger append", error)
    progress.note(stage="done", memory=resident_mb())
    close()


def serve_dispatch(store: str, directory: Path, plan_open: list[tuple], calls: int,
                   progress: Progress) -> None:
    """Dispatch as its service starts and answers: the unit's queue, then new tickets."""
    import history

    from services.dispatch.store import TicketStateStore

    progress.note(baseline=resident_mb(), stage="starting")
    started = time.monotonic()
    dispatch, close = opened(store, directory, "dispatch", TicketStateStore, progress)
    size = len(dispatch.handled_by(history.READ_UNIT))
    progress.note(stage="queue", start_s=round(time.monotonic() - started, 2), queue_size=size)
    progress.note(queue_ms=spread_ms(timed(lambda: dispatch.handled_by(history.READ_UNIT),
                                           calls)), stage="new tickets")
    chance = random.Random(6)

    def add() -> None:
        template, _, delta = chance.choice(plan_open)
        state: Any = history.seeded_state(template, f"NEW-{uuid.uuid4().hex[:12]}", delta)
        if not dispatch.add_if_new(state):
            raise AssertionError("a new ticket was not stored")

    try:
        progress.note(add_ms=spread_ms(timed(add, calls)))
    except Exception as error:  # noqa: BLE001
        progress.failed("dispatch add_if_new", error)
    progress.note(stage="done", memory=resident_mb())
    close()


def refusals(store: str, directory: Path, progress: Progress) -> None:
    """What the services ask of a store, each tried on a scratch database: what it refuses
    (and how), or does wrong."""
    from pymongo import ReturnDocument
    from pymongo.errors import DuplicateKeyError

    progress.note(stage="checking what the services ask")
    db, close = STORES[store](directory, "scratch")
    checks: dict[str, str] = {}

    def check(name: str, attempt: Callable[[], str | None]) -> None:
        try:
            wrong = attempt()
        except Exception as error:  # noqa: BLE001
            wrong = failure(error)
            if type(error).__name__ == "DuplicateKeyError":  # the store's own, not pymongo's
                wrong = (f"raises {type(error).__module__}.DuplicateKeyError, which the "
                         f"services' except pymongo.errors.DuplicateKeyError misses")
        checks[name] = wrong or "ok"

    def unique_index() -> str | None:  # the ledger's numbering (ticket_seq_unique)
        db.entries.create_index([("ticket_no", 1), ("seq", 1)], unique=True,
                                name="ticket_seq_unique",
                                partialFilterExpression={"ticket_no": {"$type": "string"}})
        db.entries.insert_one({"_id": "a", "ticket_no": "T1", "seq": 1})
        try:
            db.entries.insert_one({"_id": "b", "ticket_no": "T1", "seq": 1})
        except DuplicateKeyError:
            return None
        return "a second entry with the same (ticket_no, seq) was stored"

    def duplicate_id() -> str | None:
        db.ids.insert_one({"_id": "x"})
        try:
            db.ids.insert_one({"_id": "x"})
        except DuplicateKeyError:
            return None
        return "a second document with the same _id was stored"

    def upsert() -> str | None:  # dispatch.add_if_new, storage.keep_newer
        result = db.states.update_one({"_id": "T1"}, {"$setOnInsert": {"v": 1}}, upsert=True)
        return None if result.upserted_id == "T1" else f"upserted_id {result.upserted_id!r}"

    def find_and_update() -> str | None:  # dispatch.apply
        db.states.insert_one({"_id": "T2", "version": 1, "outbox": []})
        after = db.states.find_one_and_update(
            {"_id": "T2", "version": 1}, {"$set": {"version": 2}, "$push": {"outbox": 1}},
            return_document=ReturnDocument.AFTER)
        return None if after and after["version"] == 2 else f"answered {after!r}"

    def sorted_find_one() -> str | None:  # ledger.last_entry
        db.entries.insert_one({"_id": "c", "ticket_no": "T1", "seq": 2})
        last = db.entries.find_one({"ticket_no": "T1"}, sort=[("seq", -1)])
        return None if last and last["seq"] == 2 else f"answered {last!r}"

    def pull_and_in() -> str | None:  # the outbox, the figures' buckets
        db.rows.insert_one({"_id": "r", "facts": [{"id": 1}, {"id": 2}], "tags": ["a"]})
        db.rows.update_one({"_id": "r"}, {"$pull": {"facts": {"id": 1}}})
        row = db.rows.find_one({"_id": {"$in": ["r"]}, "tags": "a"})
        return None if row and row["facts"] == [{"id": 2}] else f"answered {row!r}"

    def counted() -> str | None:
        return None if db.states.count_documents({}, limit=1) == 1 else "wrong count"

    def index_information() -> str | None:  # ledger.ensure_index
        return None if "ticket_seq_unique" in db.entries.index_information() else \
            "the unique index is not listed"

    for name, attempt in (("unique compound index", unique_index),
                          ("duplicate _id refused", duplicate_id),
                          ("update_one upsert", upsert),
                          ("find_one_and_update", find_and_update),
                          ("find_one with sort", sorted_find_one),
                          ("$pull and $in", pull_and_in),
                          ("count_documents", counted),
                          ("index_information", index_information)):
        check(name, attempt)
    close()
    progress.note(checks=checks)


def child(args: argparse.Namespace) -> int:
    progress = Progress(Path(args.progress))
    directory = Path(args.directory)
    with open(args.plan, "rb") as kept:
        plan: list[tuple] = pickle.load(kept)
    try:
        if args.child == "load":
            load(args.store, directory, plan, progress)
            refusals(args.store, directory, progress)
        elif args.child == "ledger":
            numbers = random.Random(3).sample([number for _, number, _ in plan],
                                              min(200, len(plan)))
            serve_ledger(args.store, directory, numbers, args.calls, progress)
        else:
            serve_dispatch(args.store, directory,
                           [step for step in plan if not step[0]["closed"]], args.calls,
                           progress)
    except Exception as error:  # noqa: BLE001  what stopped it, for the table
        progress.failed(f"{args.child} stopped", error)
        traceback.print_exc()
        return 1
    return 0


# ---------------------------------------------------------------- the parent

def run_child(part: str, store: str, directory: Path, plan_file: Path, calls: int,
              limit: float, budget: float) -> dict:
    """One step in a fresh process, stopped after ``limit`` seconds; what it did."""
    progress = directory.parent / f"{directory.name}-{part}.json"
    progress.unlink(missing_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", part, "--store", store,
               "--directory", str(directory), "--plan", str(plan_file),
               "--progress", str(progress), "--calls", str(calls)]
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit,
                              check=False, env={**os.environ, "STORES_BUDGET": str(budget)})
        stopped = None if done.returncode == 0 else \
            f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
    except subprocess.TimeoutExpired:
        stopped = f"too slow: stopped after {limit:.0f} s"
    figures = json.loads(progress.read_text(encoding="utf-8")) if progress.exists() else {}
    figures["wall_s"] = round(time.monotonic() - started, 1)
    if stopped:
        figures["stopped"] = stopped
    return figures


def measure_one(store: str, count: int, plan: list[tuple], calls: int, limit: float,
                budget: float = BUDGET_SECONDS) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"hotline-stores-{store}-"))
    try:
        plan_file = work / "plan.pickle"
        with open(plan_file, "wb") as kept:
            pickle.dump(plan, kept)
        directory = work / "data"
        directory.mkdir()
        result: dict = {"store": store, "tickets": count,
                        "load": run_child("load", store, directory, plan_file, calls, limit,
                                          budget)}
        if "stopped" not in result["load"]:
            for part in ("ledger", "dispatch"):
                result[part] = run_child(part, store, directory, plan_file, calls, limit,
                                         budget)
        result["disk_mb"] = size_mb(directory)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def row_of(result: dict) -> dict:
    """The table's figures of one store at one size."""
    load, ledger, dispatch = (result.get(part) or {} for part in ("load", "ledger", "dispatch"))

    def p99(figures: dict, name: str) -> float | None:
        return (figures.get(name) or {}).get("p99")

    failures = {**load.get("failures", {}), **ledger.get("failures", {}),
                **dispatch.get("failures", {})}
    refused = {name: said for name, said in (load.get("checks") or {}).items() if said != "ok"}
    stopped = {part: figures["stopped"] for part, figures in
               (("load", load), ("ledger", ledger), ("dispatch", dispatch))
               if figures.get("stopped")}
    if "too slow" in load.get("stopped", ""):
        stopped["load"] += (f" at {load.get('tickets_done', 0)} of {result['tickets']} tickets"
                            f" ({load.get('stage', 'starting')})")
    return {
        "store": result["store"], "tickets": result["tickets"],
        "load_s": load.get("load_s"), "index_s": load.get("index_s"),
        "ledger_start_s": ledger.get("start_s"), "dispatch_start_s": dispatch.get("start_s"),
        "ledger_rss_mb": (ledger.get("memory") or {}).get("rss_mb"),
        "dispatch_rss_mb": (dispatch.get("memory") or {}).get("rss_mb"),
        "baseline_rss_mb": (ledger.get("baseline") or {}).get("rss_mb"),
        "append_p99_ms": p99(ledger, "append_ms"), "add_p99_ms": p99(dispatch, "add_ms"),
        "queue_p99_ms": p99(dispatch, "queue_ms"), "queue_size": dispatch.get("queue_size"),
        "timeline_p99_ms": p99(ledger, "timeline_ms"),
        "disk_mb": load.get("disk_mb", result.get("disk_mb")),
        "failures": failures, "refuses": refused, "stopped": stopped,
    }


COLUMNS = (("store", "store", "{}"), ("tickets", "tickets", "{}"),
           ("load_s", "load s", "{}"), ("index_s", "index s", "{}"),
           ("ledger_start_s", "ledger start s", "{}"),
           ("dispatch_start_s", "dispatch start s", "{}"),
           ("ledger_rss_mb", "ledger MB", "{}"), ("dispatch_rss_mb", "dispatch MB", "{}"),
           ("append_p99_ms", "append p99 ms", "{}"), ("queue_p99_ms", "queue p99 ms", "{}"),
           ("timeline_p99_ms", "timeline p99 ms", "{}"), ("disk_mb", "disk MB", "{}"))


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table, then what each store refused or where it stopped."""
    lines = ["| " + " | ".join(title for _, title, _ in COLUMNS) + " |",
             "|" + "|".join("---" for _ in COLUMNS) + "|"]
    notes = []
    for row in rows:
        lines.append("| " + " | ".join("—" if row.get(key) is None else form.format(row[key])
                                       for key, _, form in COLUMNS) + " |")
        for what in ("stopped", "failures", "refuses"):
            for name, said in (row.get(what) or {}).items():
                notes.append(f"- {row['store']} at {row['tickets']}: {what} {name}: {said}")
    return "\n".join(lines + ([""] + sorted(set(notes)) if notes else []))


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--tickets", type=int, nargs="+", default=None)
    options.add_argument("--stores", nargs="+", default=list(STORES), choices=list(STORES))
    options.add_argument("--calls", type=int, default=200)
    options.add_argument("--limit", type=float, default=LIMIT_SECONDS,
                         help="seconds a step may take before it is stopped as too slow")
    options.add_argument("--budget", type=float, default=BUDGET_SECONDS,
                         help="seconds after which a timed query stops (at least 5 calls)")
    options.add_argument("--quick", action="store_true",
                         help=f"a smoke run: {QUICK_SIZES[0]} tickets, 20 calls")
    options.add_argument("--out", default=str(OUT / "stores.json"))
    for hidden in ("--child", "--store", "--directory", "--plan", "--progress"):
        options.add_argument(hidden, help=argparse.SUPPRESS)
    args = options.parse_args(argv)
    if args.child:
        return child(args)
    sizes = args.tickets or (QUICK_SIZES if args.quick else SIZES)
    calls = min(args.calls, 20) if args.quick else args.calls

    import history

    from services.shared import statements

    keys = Path(tempfile.mkdtemp(prefix="hotline-stores-keys-"))
    try:
        if not os.environ.get(statements.VERIFY_KEYS_VARIABLE):  # alone: keys of its own
            statements.use_keys(statements.ensure_keys(keys / "keys"))
        made = history.templates()
    finally:
        shutil.rmtree(keys, ignore_errors=True)
    now = dt.datetime.now(dt.UTC)
    results, too_slow = [], set()
    for count in sizes:
        plan = history.stored_plan(count, made, now)
        for store in args.stores:
            if store in too_slow:
                results.append({"store": store, "tickets": count,
                                "load": {"stopped": "not tried: too slow at a smaller size"}})
                continue
            print(f"  {store} at {count} tickets…", flush=True)
            result = measure_one(store, count, plan, calls, args.limit, args.budget)
            if any("too slow" in str((result.get(part) or {}).get("stopped"))
                   for part in ("load", "ledger", "dispatch")):
                too_slow.add(store)
            results.append(result)
            write(Path(args.out), calls, results)  # so far: a long run stopped keeps them
    print(table(write(Path(args.out), calls, results)))
    return 0


def write(out: Path, calls: int, results: list[dict]) -> list[dict]:
    """The table's rows and every figure to ``out``; the rows."""
    rows = [row_of(result) for result in results]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"cores": os.cpu_count(), "calls": calls, "rows": rows,
                               "details": results}, ensure_ascii=False, indent=2,
                              default=str), encoding="utf-8")
    return rows


if __name__ == "__main__":
    sys.exit(main())
