"""Years of history in the stores before the services start: ``count`` tickets' documents
in every service that keeps something per ticket, written through each service's own
store class in batches (``insert_many``), never through the pipeline. The bench measures
its reads and the services' start on it, and a test (tests/integration/
test_history_start.py) starts every service on it.

The documents are copies of tickets the real services took through their whole life
in-process (``templates``: one closed and one open per place and category the load uses),
each copy with a number of its own, moved back in time, with event ids of its own made
from its number (so that each store's copy, written in a process of its own, names the
same events as the others'):

- intake: the ticket as received, and the day counters that numbered them;
- dispatch: the ticket's state (open ones in a unit's queue);
- callback: the callback tasks a closed ticket left;
- ledger: the entries (chained again, so that ``verify`` finds them whole), the read
  model's row with its search fields, and the indicators' day buckets the rows add to.

Received PER_DAY a day up to yesterday; the newest OPEN_AT_READ_UNIT of READ_UNIT's and the
newest OPEN_ELSEWHERE of the others' are open, received in the last 20 minutes.

    .venv/bin/python deploy/history.py DATA_DIR [--tickets 300000] [--out seeded.json]
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing
import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from queue import Empty
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

from bench_calls import PLACES, ticket_request  # noqa: E402

from services.shared import clock, embedded_store  # noqa: E402
from services.shared.statements import vouch  # noqa: E402

READ_UNIT = "yinhang-grid-1"        # the unit whose queue the bench times
OPEN_AT_READ_UNIT = 300             # of the stored tickets, open in that unit's queue
OPEN_ELSEWHERE = 0.005              # share of the other stored tickets still open
PER_DAY = 1000                      # stored tickets received a day, going back from today
TICKETS = 300_000                   # years of a subdistrict's calls (about 70,000 a year)
BATCH = 2000
# The parts whose documents that many processes make (one writes them): the ledger's, most
# of the work (each entry chained with a hash, each row keyed by the words of its ticket).
SHARES = {"ledger entries": 2, "ledger rows": 2}
# What each service's store holds of a ticket (the service's database, then what of it),
# each part written by a process of its own. The ledger's two write collections of their
# own: in the embedded store each collection is a file of its own.
PARTS = ("intake", "dispatch", "callback", "ledger entries", "ledger rows")
# The collection each part's documents go to in its service's database.
COLLECTIONS = {"intake": "tickets", "dispatch": "tickets", "callback": "tasks",
               "ledger entries": "entries", "ledger rows": "tickets"}
DATABASES = ("intake", "dispatch", "callback", "ledger")
AGENT = {"id": "bench", "name": "压测", "role": "agent", "unit_id": None}
CALLBACK_WORKER = {"id": "bench-callback-worker", "name": "压测外呼", "role": "callback_worker",
                   "unit_id": None}

Plan = list[tuple[dict, str, dt.timedelta]]  # (template, ticket_no, moved by)


def store_uri(data_dir: Path) -> str:
    """The default embedded store (storage.DEFAULT_MONGO_URI's kind) in ``data_dir``."""
    from services.shared import storage

    return urlparse(storage.DEFAULT_MONGO_URI)._replace(path=str(data_dir)).geturl()


# ---------------------------------------------------------------- the templates

class InProcess:
    """The ticket's services built by nameko's worker_factory on in-memory stores, each event
    one says handed to every handler of it, as the broker would: for taking a few tickets
    through their whole life to copy from (``templates``)."""

    def __init__(self) -> None:
        from nameko.events import EventHandler
        from nameko.testing.services import worker_factory

        from services.callback.service import CallbackService
        from services.callback.store import TaskStore
        from services.dispatch import directory as directory_rules
        from services.dispatch.policy import read_file as read_policy
        from services.dispatch.service import DispatchService
        from services.dispatch.store import TicketStateStore
        from services.intake.service import IntakeService
        from services.intake.store import TicketStore
        from services.ledger.service import LedgerService
        from services.ledger.store import LedgerStore
        from services.shared import storage
        from services.shared.files import files_for

        uri = f"mongomock://history-templates-{uuid.uuid4().hex[:8]}"
        stores = {"intake": TicketStore, "dispatch": TicketStateStore, "callback": TaskStore,
                  "ledger": LedgerStore}
        self.stores: dict[str, Any] = {name: store(storage.connect(uri, name))
                                       for name, store in stores.items()}
        for store in self.stores.values():
            store.ensure_indexes()
        self.stores["dispatch"].replace_directory(
            directory_rules.read_file(str(ROOT / "deploy" / "directory.yml")))
        # request_id None: each call a request of its own (a mock would be stored as one)
        self.intake = worker_factory(IntakeService, store=self.stores["intake"],
                                     request_id=None)
        self.intake.config = {"TICKET_NUMBERS": {"prefixes": {"杨浦区": "YP", "普陀区": "PT"}}}
        self.dispatch = worker_factory(
            DispatchService, store=self.stores["dispatch"],
            policy=read_policy(str(ROOT / "deploy" / "policy.yml")), grid_categories=frozenset(),
            request_id=None, files=files_for(uri, "dispatch"))
        self.callback = worker_factory(CallbackService, store=self.stores["callback"],
                                       request_id=None)
        self.callback.config = {"CALLBACK": {"delay_minutes": 0,
                                             "window": {"start": "00:00", "end": "24:00"}}}
        self.ledger = worker_factory(LedgerService, store=self.stores["ledger"])
        self.services = (self.intake, self.dispatch, self.callback, self.ledger)
        self.speakers = (self.intake, self.dispatch, self.callback)  # the ledger says nothing
        self.handlers: dict[tuple, list] = {}
        for service in self.services:
            for name in dir(type(service)):
                method = getattr(type(service), name, None)
                for entrypoint in getattr(method, "nameko_entrypoints", ()):
                    if isinstance(entrypoint, EventHandler):
                        self.handlers.setdefault(
                            (entrypoint.source_service, entrypoint.event_type), []).append(
                            getattr(service, name))

    def settle(self) -> None:
        """Deliver what the services said until they say nothing more."""
        while True:
            said = []
            for service in self.speakers:
                said += [call.args[1] for call in service.publisher.call_args_list]
                service.publisher.reset_mock()
            if not said:
                return
            for event in said:
                for handle in self.handlers.get((event["source"], event["event_type"]), []):
                    handle(event)

    def life(self, request: dict, close: bool) -> str:
        """A ticket received, dispatched and, with ``close``, accepted, contacted, resolved,
        called back satisfied and closed; its number."""
        number = self.intake.create_ticket({**request, "merge": False}, vouch(AGENT))["ticket_no"]
        self.settle()
        if close:
            status = self.dispatch.get_status(number, vouch(AGENT))
            unit_id = status["unit_id"]
            staff = vouch({"id": f"s-{unit_id}", "name": "承办人", "role": "unit_staff",
                           "unit_id": unit_id})
            self.dispatch.accept(number, staff)
            self.dispatch.record_contact(number, staff, "已电话联系")
            self.dispatch.resolve(number, staff, "已派人维修，问题已解决",
                                  site_photos(status["photos_required"]))
            self.settle()
            worker = vouch(CALLBACK_WORKER)
            task = self.callback.claim("bench-seed", worker)
            self.callback.complete(task["task_id"], "bench-seed", "satisfied", worker)
            self.settle()
        return number

    def template(self, number: str) -> dict:
        """What each service keeps of the ticket."""
        stores = self.stores
        return {"ticket_no": number,
                "ticket": stores["intake"].tickets.find_one({"_id": number}),
                "state": stores["dispatch"].tickets.find_one({"_id": number}),
                "tasks": list(stores["callback"].tasks.find({"ticket_no": number})),
                "entries": sorted(stores["ledger"].entries.find({"ticket_no": number}),
                                  key=lambda entry: entry["seq"]),
                "row": stores["ledger"].tickets.find_one({"_id": number})}

    def kept_once(self) -> dict[str, list[dict]]:
        """The ledger's documents that are not a ticket's (units' names, the search index's
        version), as its store keeps them."""
        ledger = self.stores["ledger"]
        return {"units": list(ledger.units.find()), "meta": list(ledger.meta.find())}


def templates() -> list[dict]:
    """One closed and one open ticket per place and category the load uses."""
    system, chance = InProcess(), random.Random(7)
    made = []
    for address, categories in PLACES:
        for category in categories:
            request = {**ticket_request(chance), "address": address, "category": category}
            for close in (True, False):
                made.append({**system.template(system.life(request, close)), "closed": close})
    made[0]["kept_once"] = system.kept_once()
    return made


def site_photos(count: int) -> list[dict]:
    """``count`` small photos of the site, as resolve takes them: what the policy asks of
    some categories (photos_at_resolve)."""
    import base64
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), "gray").save(out, "JPEG")
    content = base64.b64encode(out.getvalue()).decode("ascii")
    return [{"name": f"现场{index + 1}.jpg", "content": content} for index in range(count)]


# ---------------------------------------------------------------- the plan

def stored_plan(count: int, made: list[dict], now: dt.datetime) -> Plan:
    """(template, ticket_no, moved by) for ``count`` tickets received PER_DAY a day up to
    yesterday, oldest first. The newest OPEN_AT_READ_UNIT of READ_UNIT's and the newest
    OPEN_ELSEWHERE of the others' are open (received in the last 20 minutes, so that none
    is due for a warning yet); the rest closed."""
    from services.intake import numbering

    closed = [t for t in made if t["closed"]]
    opened = {t["state"]["unit_id"] + "|" + t["state"]["category"] + "|" +
              t["state"]["address"]["estate"]: t for t in made if not t["closed"]}
    chance = random.Random(11)
    picks = [chance.choice(closed) for _ in range(count)]
    at_unit = [i for i, t in enumerate(picks) if t["state"]["unit_id"] == READ_UNIT]
    elsewhere = [i for i, t in enumerate(picks) if t["state"]["unit_id"] != READ_UNIT]
    open_ones = set(at_unit[-OPEN_AT_READ_UNIT:])
    open_ones |= set(elsewhere[len(elsewhere) - int(len(elsewhere) * OPEN_ELSEWHERE):])
    plan: Plan = []
    sequences: dict[str, int] = {}
    fresh = 0
    for index, template in enumerate(picks):
        prefix = template["ticket_no"].split("2", 1)[0]  # "YP20261123-0001" -> "YP"
        if index in open_ones:
            state = template["state"]
            template = opened[state["unit_id"] + "|" + state["category"] + "|" +
                              state["address"]["estate"]]
            received = now - dt.timedelta(minutes=20 * chance.random())
            fresh += 1  # numbered apart from what the live run numbers today
            number = numbering.ticket_no(numbering.counter_key(prefix, now), 50_000 + fresh)
        else:
            # from yesterday back: today's numbers are the live run's
            received = now - dt.timedelta(days=1 + (count - index) / PER_DAY)
            key = numbering.counter_key(prefix, received)
            sequences[key] = sequences.get(key, 0) + 1
            number = numbering.ticket_no(key, sequences[key])
        plan.append((template, number, received - template["state"]["received_at"]))
    return plan


# ---------------------------------------------------------------- one ticket's copies

Copy = Callable[[dt.timedelta, dict[str, str]], Any]  # a copy's value: (moved by, renames)


def copier(value: Any, names: frozenset[str]) -> Copy:
    """How a copy makes ``value``: every datetime in it (and every time written as text, as
    events carry them) moved by the copy's delta and every text of ``names`` (the
    template's number and event ids) renamed. Worked out once per template: what holds
    none of these is the template's own value, shared by every copy (no one changes a
    document once made), so a ledger row of some 250 values is copied by the few dozen
    that change."""
    copy = _copier(value, names)
    return copy if copy is not None else lambda delta, renames: value


# A time as the services write it in events and answers (clock.iso): moved with the copy.
ISO_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")


def _copier(value: Any, names: frozenset[str]) -> Copy | None:
    """None where every copy has ``value`` as it is."""
    if isinstance(value, str):
        if value in names:
            return lambda delta, renames: renames[value]
        if ISO_TIME.fullmatch(value):
            moment = clock.parse_iso(value)
            return lambda delta, renames: clock.iso(moment + delta)
        return None
    if isinstance(value, dt.datetime):
        return lambda delta, renames: value + delta
    if isinstance(value, dict):
        changing = [(key, copy) for key, item in value.items()
                    if (copy := _copier(item, names)) is not None]
        if not changing:
            return None
        return lambda delta, renames: {**value, **{key: copy(delta, renames)
                                                   for key, copy in changing}}
    if isinstance(value, list):
        copies = [_copier(item, names) for item in value]
        if all(copy is None for copy in copies):
            return None
        return lambda delta, renames: [item if copy is None else copy(delta, renames)
                                       for item, copy in zip(value, copies, strict=True)]
    return None


# By the template's id and part, each with its template (an id is reused once its object
# is gone): this process's own.
_COPIERS: dict[tuple[int, str], tuple[dict, Copy]] = {}


def _copy_of(template: dict, part: str) -> Copy:
    """The copier of the template's ``part`` (its entries without their place in the chain,
    which linking gives each copy again)."""
    found = _COPIERS.get((id(template), part))
    if found is None or found[0] is not template:
        value = template[part]
        if part == "entries":
            value = [{key: item for key, item in entry.items()
                      if key not in ("seq", "prev_hash", "hash")} for entry in value]
        found = _COPIERS[(id(template), part)] = (
            template, copier(value, frozenset(renames_of(template, ""))))
    return found[1]


def renames_of(template: dict, number: str) -> dict[str, str]:
    """The template's number and ids as the copy numbered ``number`` has them: the same in
    every process that copies it (made from the number and the template's id)."""
    ids = [entry["_id"] for entry in template["entries"]]
    ids += [task["_id"] for task in template.get("tasks") or ()]
    return {template["ticket_no"]: number,
            **{old: hashlib.md5(f"{number}/{old}".encode()).hexdigest() for old in ids}}


def seeded_state(template: dict, number: str, delta: dt.timedelta) -> dict:
    """Dispatch's state of the ticket."""
    return _copy_of(template, "state")(delta, renames_of(template, number))


def seeded_ticket(template: dict, number: str, delta: dt.timedelta) -> dict:
    """Intake's ticket as received."""
    return _copy_of(template, "ticket")(delta, renames_of(template, number))


def seeded_tasks(template: dict, number: str, delta: dt.timedelta) -> list[dict]:
    """Callback's tasks of the ticket (a closed one's callback, done)."""
    return _copy_of(template, "tasks")(delta, renames_of(template, number))


def seeded_entries(template: dict, number: str, delta: dt.timedelta) -> list[dict]:
    """The template's ledger entries as this ticket's: its event ids, moved in time,
    chained again (chain.py) so that ledger.verify finds them whole."""
    from services.ledger import chain
    from services.ledger.store import RECORDED_MINUTE, recorded_minute

    entries, previous = [], None
    for fields in _copy_of(template, "entries")(delta, renames_of(template, number)):
        previous = chain.link(fields, previous)
        entries.append({**previous, RECORDED_MINUTE: recorded_minute(previous["recorded_at"])})
    return entries


def seeded_row(template: dict, number: str, delta: dt.timedelta) -> tuple[dict, list[dict]]:
    """The ledger's read-model row of the ticket, and the facts it adds to the indicators'
    buckets: what is kept of a day (the search index's hour and day, each contribution's
    day) made again for the day it was received."""
    from services.ledger import contributions, search

    row = {**_copy_of(template, "row")(delta, renames_of(template, number))}  # its own
    row[search.RECEIVED_HOUR] = search.received_hour(row["received_at"])
    row[search.RECEIVED_DAY] = search.received_day(row["received_at"])
    row["contributions"], facts = contributions.settle(
        [], contributions.contributions_of(row), fact_prefix=f"history:{number}")
    return row, facts


class Buckets:
    """The indicators' day buckets the seeded rows add to, summed here and written once,
    as the ledger's store would have left them fact by fact (LedgerStore._apply_fact)."""

    def __init__(self) -> None:
        self.by_id: dict[str, dict] = {}

    def add(self, facts: list[dict]) -> None:
        from services.ledger.store import bucket_id, figure_shard

        for fact in facts:
            key = bucket_id(fact["bucket"], figure_shard(fact))
            bucket = self.by_id.setdefault(key, {**fact["bucket"], "_id": key, "n": {},
                                                 "applied": []})
            bucket["applied"].append(fact["id"])
            for name, value in (fact["inc"] or {}).items():
                bucket["n"][name] = bucket["n"].get(name, 0) + value
            if fact["push_hours"]:
                bucket.setdefault("hours", []).append(fact["push_hours"])

    def merge(self, documents: list[dict]) -> None:
        """Another's buckets (``documents``) added to these."""
        for document in documents:
            bucket = self.by_id.setdefault(document["_id"], {
                **{key: value for key, value in document.items() if key != "hours"},
                "n": {}, "applied": []})
            bucket["applied"] += document["applied"]
            for name, value in document["n"].items():
                bucket["n"][name] = bucket["n"].get(name, 0) + value
            if document.get("hours"):
                bucket.setdefault("hours", []).extend(document["hours"])

    def documents(self) -> list[dict]:
        return list(self.by_id.values())


def counters(plan: Plan) -> list[dict]:
    """Intake's day counters as numbering the plan's tickets left them (the open ones,
    numbered apart today, leave today's counter to the live run)."""
    last: dict[str, int] = {}
    for template, number, _ in plan:
        if template["closed"]:
            key, sequence = number.rsplit("-", 1)
            last[key] = max(last.get(key, 0), int(sequence))
    return [{"_id": key, "seq": sequence} for key, sequence in last.items()]


# ---------------------------------------------------------------- writing

def _store(uri: str, database: str) -> Any:
    """The service's store class on its database."""
    from services.callback.store import TaskStore
    from services.dispatch.store import TicketStateStore
    from services.intake.store import TicketStore
    from services.ledger.store import LedgerStore
    from services.shared import storage

    classes: dict[str, Any] = {"intake": TicketStore, "dispatch": TicketStateStore,
                               "callback": TaskStore, "ledger": LedgerStore}
    return classes[database](storage.connect(uri, database))


def _make_indexes(uri: str, database: str) -> None:
    """The service's indexes, made before its documents: a store that keeps its indexes
    writes their keys with the documents (one pass, no uniqueness check against all)."""
    store = _store(uri, database)
    store.ensure_indexes()
    store.db.client.close()


def _write(uri: str, part: str, plan: Plan, kept_once: dict, done: Any) -> None:
    """One part's documents for ``plan`` through its service's store, in batches, counting
    the tickets written in ``done``: made here, or by SHARES[part] processes of their own
    where the store takes encoded documents (the embedded one), this one writing them."""
    store = _store(uri, part.split()[0])
    collection = store.db[COLLECTIONS[part]]
    bulk = embedded_store.collection_store(collection)
    buckets = Buckets()
    if part in SHARES and bulk is not None and bulk.is_empty:
        bulk.load_encoded(_encoded_by_others(bulk.encoder(), part, plan, done, buckets))
    else:
        write(collection, _documents(part, plan, buckets, done))
    if part == "intake":
        write(store.counters, counters(plan))
    if part == "ledger rows":
        write(store.figures, buckets.documents())
        for name, kept in kept_once.items():  # the search index's version, made already
            for document in kept:
                store.db[name].replace_one({"_id": document["_id"]}, document, upsert=True)
    done.value = len(plan)
    store.db.client.close()


def _documents(part: str, plan: Plan, buckets: Buckets, done: Any) -> Iterator[dict]:
    """The part's documents for ``plan``, adding to ``done`` every 500 tickets (and the
    facts of the ledger's rows to ``buckets``)."""
    make: Callable[[dict, str, dt.timedelta], list[dict]]
    if part in ("intake", "dispatch"):
        seeded = seeded_ticket if part == "intake" else seeded_state
        make = lambda t, n, d: [seeded(t, n, d)]  # noqa: E731
    elif part == "callback":
        make = seeded_tasks
    elif part == "ledger entries":
        make = seeded_entries
    else:
        def make(template: dict, number: str, delta: dt.timedelta) -> list[dict]:
            row, facts = seeded_row(template, number, delta)
            buckets.add(facts)
            return [row]

    for index, (template, number, delta) in enumerate(plan):
        yield from make(template, number, delta)
        if index % 500 == 499:
            with done.get_lock():
                done.value += 500


def _encoded_by_others(encoder: embedded_store.Encoder, part: str, plan: Plan, done: Any,
                       buckets: Buckets) -> Iterator[embedded_store.Encoded]:
    """The part's documents, encoded by SHARES[part] processes, each making every n-th
    ticket's; the indicators' buckets they added to, summed into ``buckets``."""
    context = multiprocessing.get_context("fork")
    shares = SHARES[part]
    queue = context.Queue(maxsize=4 * shares)
    # daemons: a writer that fails does not wait on encoders blocked on a full queue
    jobs = [context.Process(target=_encode, args=(encoder, part, plan[share::shares], done,
                                                  queue), daemon=True)
            for share in range(shares)]
    for job in jobs:
        job.start()
    finished = 0
    try:
        while finished < shares:
            try:
                kind, value = queue.get(timeout=5)
            except Empty:
                failed = [job.exitcode for job in jobs if job.exitcode]
                if failed:
                    raise SystemExit(
                        f"history: encoding {part} failed (exit {failed[0]})") from None
                continue
            if kind == "encoded":
                yield value
            else:
                buckets.merge(value)
                finished += 1
    finally:
        for job in jobs:
            if job.is_alive() and finished < shares:
                job.terminate()
            job.join()


def _encode(encoder: embedded_store.Encoder, part: str, plan: Plan, done: Any,
            queue: Any) -> None:
    buckets = Buckets()
    for batch in embedded_store.batches(_documents(part, plan, buckets, done), BATCH):
        queue.put(("encoded", encoder.encoded(batch)))
    queue.put(("buckets", buckets.documents()))


def write(collection: Any, documents: Iterable[dict]) -> None:
    """New documents into ``collection`` in batches, through the store's bulk path."""
    embedded_store.insert_new(collection, documents, BATCH)


def seed(data_dir: Path, count: int = TICKETS, say: Callable[[str], None] = print,
         every: float = 10.0) -> dict:
    """``count`` tickets' history in the default embedded store under ``data_dir``, before
    the services start: each service's indexes, then each part (PARTS) written by a
    process of its own. Says how far it is every ``every`` seconds (tickets a second).
    What was stored, how long it took, and a sample of the numbers stored."""
    started = time.monotonic()
    made = templates()
    plan = stored_plan(count, made, dt.datetime.now(dt.UTC))
    uri = store_uri(data_dir)
    planned = time.monotonic()
    context = multiprocessing.get_context("fork")
    indexes = [context.Process(target=_make_indexes, args=(uri, database))
               for database in DATABASES]
    for job in indexes:
        job.start()
    for job in indexes:
        job.join()
        if job.exitcode:
            raise SystemExit(f"history: making the indexes failed (exit {job.exitcode})")
    done = {part: context.Value("i", 0) for part in PARTS}
    jobs = [context.Process(target=_write,
                            args=(uri, part, plan, made[0]["kept_once"], done[part]))
            for part in PARTS]
    for job in jobs:
        job.start()
    while any(job.is_alive() for job in jobs):
        for job in jobs:
            job.join(timeout=max(0.0, every / len(jobs)))
        slowest = min(value.value for value in done.values())
        elapsed = time.monotonic() - planned
        say(f"  history: {slowest} of {count} tickets in every store after {elapsed:.0f} s "
            f"({slowest / max(elapsed, 1e-9):.0f} tickets/s; "
            + ", ".join(f"{part} {value.value}" for part, value in done.items()) + ")")
    failed = [job.exitcode for job in jobs if job.exitcode]
    if failed:
        raise SystemExit(f"history: writing failed (exit {failed[0]})")
    written = time.monotonic()
    open_numbers = [number for template, number, _ in plan if not template["closed"]]
    closed_numbers = [number for template, number, _ in plan if template["closed"]]
    figures = {"tickets": count, "entries": sum(len(t["entries"]) for t, _, _ in plan),
               "open": len(open_numbers),
               "open_at_read_unit": sum(t["state"]["unit_id"] == READ_UNIT
                                        for t, _, _ in plan if not t["closed"]),
               "plan_seconds": round(planned - started, 1),
               "write_seconds": round(written - planned, 1),
               "seconds": round(written - started, 1),
               "per_s": round(count / max(written - started, 1e-9)),
               "sample": random.Random(3).sample([number for _, number, _ in plan],
                                                 min(200, count)),
               "sample_closed": closed_numbers[-1:], "sample_open": open_numbers[-1:]}
    say(f"  history: {count} tickets ({figures['entries']} ledger entries, {figures['open']} "
        f"open, {figures['open_at_read_unit']} at {READ_UNIT}) stored in {figures['seconds']} s "
        f"({figures['per_s']} tickets/s: plan {figures['plan_seconds']} s, indexes and "
        f"writing {figures['write_seconds']} s)")
    return figures


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("data_dir", type=Path, help="an empty directory for the stores")
    options.add_argument("--tickets", type=int, default=TICKETS)
    options.add_argument("--out", type=Path, help="what was stored, as JSON (numbers among it)")
    args = options.parse_args(argv)
    import os

    from services.shared import statements

    if not os.environ.get(statements.VERIFY_KEYS_VARIABLE):  # alone: keys of its own
        statements.use_keys(statements.ensure_keys(args.data_dir / "keys"))
    figures = seed(args.data_dir, args.tickets)
    if args.out:
        args.out.write_text(json.dumps(figures, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
