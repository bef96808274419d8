"""`make bench`: the hotline's figures under load beside the framework's own floor, in one
run on the local RabbitMQ (a vhost of its own) with every part its own OS process:

1. the floor: a trivial nameko service answering an RPC and emitting one event that a
   second trivial service consumes (deploy/bench_floor.py);
2. the pipeline: the services (``nameko run``, the embedded store in a temporary
   directory) while concurrent clients call ``intake.create_ticket`` at rising rates until
   it saturates; per rate the RPC's latency, tickets a second, and the time from the RPC's
   return until the ticket is dispatched and until the ledger has recorded it;
3. 1, 2 and 4 callback workers claiming and completing callback tasks, and 1, 2 and 4
   console workers (gunicorn) answering the JSON API (deploy/bench_console.py); then 50
   open pages polling what changed every 1.5 s while tickets keep coming, and one reader's
   latency alone and meanwhile (``deploy/bench_live.py`` runs this part alone);
4. reads: ``ledger.timeline`` and ``dispatch.queue`` timed over RPC one call at a time,
   after the pipeline, and again with ``--stored`` tickets in the stores: before the
   services start once more (on a data directory of their own), every store that keeps
   something per ticket is seeded with that many tickets' history through the services'
   store classes in batches (deploy/history.py), most closed and a few hundred open in
   the measured unit's queue; then each service is started alone and timed from its
   process's start to its first answer, and its resident memory read from /proc;
5. search and lists: ``--searched`` tickets' rows (300,000 by default) stored in the
   ledger's read model on the embedded store, and ``ledger.search`` timed as the RPC runs
   it: words, a phone, the centre's and a unit's list page (deploy/bench_search.py);
6. copies: every service as 1 copy, then 2, on the wire store (MongoDB's stand-in),
   saturated as the pipeline is (deploy/bench_copies.py).

Prints a table and the issue's targets beside the figures with PASS or MISS
(deploy/bench_targets.py; never asserted), writes var/bench/bench.json and
var/bench/bench.png (an SVG drawn here, rendered by Chromium). With ``--profile``, py-spy
samples the services during the pipeline: flame graphs and the top frames under
var/bench/ (deploy/bench_profile.py).

    .venv/bin/python deploy/bench.py [--seconds 6] [--rates 10,25,50,100,200,400]
                                     [--stored 300000] [--searched 300000] [--profile]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

import bench_console  # noqa: E402
import bench_profile  # noqa: E402  deploy/bench_profile.py
import bench_search  # noqa: E402  deploy/bench_search.py
import bench_targets  # noqa: E402  deploy/bench_targets.py
import history  # noqa: E402  deploy/history.py
import permissions  # noqa: E402  deploy/rabbitmq/permissions.py
import picture  # noqa: E402
import run_lock  # noqa: E402  deploy/run_lock.py
import single_machine  # noqa: E402  deploy/single_machine.py (puts deploy/rabbitmq on the path)
from bench_calls import SPREAD, YINHANG_ESTATES, ticket_request  # noqa: E402
from history import AGENT, CALLBACK_WORKER, READ_UNIT, site_photos  # noqa: E402

from services import service_process  # noqa: E402
from services.shared.schemas import SYSTEM_ACTOR  # noqa: E402
from services.shared.statements import vouch  # noqa: E402

OUT = ROOT / "var" / "bench"
API = os.environ.get("RABBIT_API", "http://guest:guest@localhost:15672")
AMQP = os.environ.get("RABBIT_AMQP", "pyamqp://guest:guest@localhost:5672")
PROCESSES, THREADS = 2, 16          # client processes x threads, each thread its own proxy
SATURATED_SHARE = 0.85              # under this share of the offered rate: saturated
SAMPLE_PER_RATE = 60                # tickets per rate whose dispatch and record are timed
# the programs, as accounts would vouch for their accounts (the bench holds accounts' key)
CALL_CENTRE = {"id": "bench-call-centre", "name": "压测话务系统", "role": "call_centre",
               "unit_id": None}
READER = {"id": "bench-grid", "name": "网格员", "role": "unit_staff", "unit_id": READ_UNIT}
TARGETS = bench_targets.TARGETS  # the issue's, printed beside the figures with PASS/MISS


# ---------------------------------------------------------------- figures

def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def spread(values: list[float]) -> dict:
    """p50/p95/p99 in milliseconds."""
    return {f"p{int(p * 100)}": ms(percentile(values, p)) for p in (0.5, 0.95, 0.99)}


# ---------------------------------------------------------------- broker

def management(method: str, path: str, body: dict | None = None) -> None:
    """One call of RabbitMQ's management API (RABBIT_API: http://user:password@host:port)."""
    from urllib.parse import urlparse

    import requests

    api = urlparse(API)
    requests.request(method, f"{api.scheme}://{api.hostname}:{api.port}{path}", json=body,
                     auth=(api.username or "", api.password or ""),
                     timeout=10).raise_for_status()


def make_vhost() -> str:
    """A vhost of this run's own, for RABBIT_AMQP's user."""
    from urllib.parse import urlparse

    vhost = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    management("PUT", f"/api/vhosts/{vhost}")
    management("PUT", f"/api/permissions/{vhost}/{urlparse(AMQP).username}",
               {"configure": ".*", "write": ".*", "read": ".*"})
    return vhost


# ---------------------------------------------------------------- load

def _client_process(uri: str, what: str, rate: float | None, seconds: float, threads: int,
                    start_at: float, seed: int, results) -> None:
    """One client process: ``threads`` threads, each with its own RPC proxy, sending at
    ``rate`` a second between them (as fast as answers come when None) for ``seconds``."""
    from nameko.standalone.rpc import ClusterRpcProxy

    logging.getLogger("amqp").setLevel(logging.ERROR)
    rows: list[tuple] = []
    lock = threading.Lock()

    from services.shared.replies import ClassicStandaloneReplyListener

    def thread(index: int) -> None:
        chance = random.Random(seed * 100 + index)
        # classic reply queues, as every caller of the services has (replies.py): on a
        # vhost of quorum queues nameko's own would be quorum queues (bench_cluster.py)
        with ClusterRpcProxy({"AMQP_URI": uri}, timeout=30,
                             reply_listener_cls=ClassicStandaloneReplyListener) as rpc:
            interval = threads / rate if rate else 0.0
            next_at = start_at + index * interval / threads
            while True:
                now = time.time()
                if now < next_at:
                    time.sleep(next_at - now)
                if time.time() > start_at + seconds:
                    return
                next_at += interval
                me = vouch(CALL_CENTRE) if what != "floor" else None  # not timed
                sent = time.time()
                try:
                    if what == "floor":
                        rpc.floor.ping(sent)
                        number = None
                    else:
                        number = rpc.intake.create_ticket(ticket_request(chance),
                                                          me)["ticket_no"]
                    row = (sent, time.time() - sent, True, number)
                except Exception as error:  # a timeout under overload: counted, not fatal
                    row = (sent, time.time() - sent, False, repr(error)[:200])
                with lock:
                    rows.append(row)

    workers = [threading.Thread(target=thread, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(rows)


def offer_load(uri: str, what: str, rate: float | None, seconds: float) -> dict:
    """Calls from PROCESSES x THREADS clients; returns the calls as (sent, latency, ok, x)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.time() + 1.0  # every proxy connected before the clock starts
    processes = [context.Process(target=_client_process, args=(
        uri, what, rate / PROCESSES if rate else None, seconds, THREADS, start_at, seed,
        results)) for seed in range(PROCESSES)]
    for process in processes:
        process.start()
    rows = [row for _ in processes for row in results.get()]
    for process in processes:
        process.join()
    good = [row for row in rows if row[2]]
    ended = max((sent + latency for sent, latency, *_ in good), default=start_at + seconds)
    elapsed = max(ended, start_at + seconds) - start_at
    return {"offered_per_s": rate, "calls": len(rows), "failed": len(rows) - len(good),
            "per_s": round(len(good) / elapsed, 1), "latency_ms": spread([r[1] for r in good]),
            "errors": sorted({row[3] for row in rows if not row[2]})[:3], "_rows": good}


# ---------------------------------------------------------------- parts

def floor(uri: str, seconds: float, log_dir: Path) -> dict:
    from nameko.standalone.rpc import ClusterRpcProxy

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": str(ROOT / "deploy")}
    parts = {name: single_machine.start(f"bench-{name}", [
        str(bin_dir / "nameko"), "run", "--broker", uri, f"bench_floor:{cls}"], env, log_dir)
        for name, cls in (("floor", "FloorService"), ("listener", "FloorListener"))}
    try:
        with ClusterRpcProxy({"AMQP_URI": uri}, timeout=2) as rpc:
            wait(lambda: rpc.floor.ping(time.time()) and rpc.floor_listener.delays_heard(), 30)
        figures = offer_load(uri, "floor", None, seconds)
        time.sleep(0.5)
        with ClusterRpcProxy({"AMQP_URI": uri}, timeout=10) as rpc:
            heard = rpc.floor_listener.delays_heard()
        figures["events_heard"] = len(heard)
        figures["event_delay_ms"] = spread(heard)
        return figures
    finally:
        single_machine.stop(parts)


def wait(check, seconds: float):
    """``check()``'s first answer other than None; errors meanwhile mean not yet."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = check()
            if answer is not None:
                return answer
        except Exception:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"not reached in {seconds} s")
        time.sleep(0.2)


def parse_time(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def follow_through(rpc, rows: list[tuple]) -> dict:
    """For a sample of the tickets: milliseconds from created (intake's ticket_created)
    until dispatched (dispatch's ticket_dispatched) and until the ledger recorded the
    creation, and how many of them were both before the caller had the RPC's answer."""
    sample = rows[:: max(1, len(rows) // SAMPLE_PER_RATE)]
    dispatched, recorded, before_return, missing = [], [], 0, 0
    deadline = time.monotonic() + 30
    for sent, latency, _, number in sample:
        entries: dict = {}
        while time.monotonic() < deadline:
            entries = {entry["event_type"]: entry
                       for entry in rpc.ledger.timeline(number, vouch(SYSTEM_ACTOR))}
            if "ticket_created" in entries and "ticket_dispatched" in entries:
                break
            time.sleep(0.1)
        else:
            missing += 1
            continue
        created = parse_time(entries["ticket_created"]["occurred_at"])
        dispatched_at = parse_time(entries["ticket_dispatched"]["occurred_at"])
        recorded_at = parse_time(entries["ticket_created"]["recorded_at"])
        dispatched.append(dispatched_at - created)
        recorded.append(recorded_at - created)
        before_return += max(dispatched_at, recorded_at) <= sent + latency
    return {"sampled": len(sample), "not_through": missing,
            "to_dispatched_ms": spread(dispatched), "to_recorded_ms": spread(recorded),
            "through_before_answer": before_return}


def service_env(data_dir: Path, keys_dir: Path | None = None) -> dict:
    """What the parts share (each gets its broker user's AMQP_URI from single_machine):
    the store in ``data_dir``, accounts' keys in ``keys_dir`` (the run's; default there
    too)."""
    return {**single_machine.statement_keys(dict(os.environ), (keys_dir or data_dir) / "keys"),
            **single_machine.DEFAULTS,
            "MONGO_URI": history.store_uri(data_dir), "LOG_LEVEL": "WARNING",
            "CALLBACK_DELAY_MINUTES": "0", "CALLBACK_WINDOW_START": "00:00",
            "CALLBACK_WINDOW_END": "24:00", "PYTHONUNBUFFERED": "1"}


def pipeline(uris: dict[str, str], rates: list[float], seconds: float, log_dir: Path,
             data_dir: Path, profile: bool = False) -> tuple[dict, dict]:
    """The services (each as its own broker user, ``uris``) under load from clients
    connected as the console's user; with ``profile``, py-spy samples PROFILED while the
    rates are offered (flame graphs under var/bench/)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    uri = uris["console"]
    parts = single_machine.start_services(service_env(data_dir), uris, log_dir, init=True)
    profilers: dict[str, list[subprocess.Popen]] = {}
    try:
        with ClusterRpcProxy({"AMQP_URI": uri}, timeout=30) as rpc:
            chance = random.Random(0)
            for _ in range(10):  # first calls load dictionaries and indexes
                rpc.intake.create_ticket(ticket_request(chance), vouch(CALL_CENTRE))
        if profile:
            profilers = {name: bench_profile.record(parts[name].pid, OUT / name)
                         for name in bench_profile.PROFILED}
        steps, numbers = [], []
        for rate in rates:
            figures = offer_load(uri, "ticket", rate, seconds)
            rows = figures.pop("_rows")
            # A call merged into an open ticket (a repeat) returns that ticket's number.
            unique = list(dict.fromkeys(row[3] for row in rows))
            figures["merged"] = len(rows) - len(unique)
            numbers += unique
            with ClusterRpcProxy({"AMQP_URI": uri}, timeout=30) as rpc:
                figures.update(follow_through(rpc, rows))
            steps.append(figures)
            print(f"  {rate:>5g}/s offered: {figures['per_s']:>6} tickets/s, "
                  f"p99 {figures['latency_ms']['p99']} ms", flush=True)
            # Rising until saturated, through 100/s at least (the targets' rate).
            saturated = figures["per_s"] < SATURATED_SHARE * rate or figures["failed"]
            if saturated and rate >= 100:
                break
        profiled = {name: bench_profile.finish(recorders, OUT / name)
                    for name, recorders in profilers.items()}
        profilers = {}
        with ClusterRpcProxy({"AMQP_URI": uri}, timeout=30) as rpc:
            reads = read_latency(rpc, numbers, len(numbers) + 10)
        workers = callback_workers(uris, numbers)
        console = bench_console.console_workers(service_env(data_dir), uris, numbers, log_dir)
        live = live_pages(uris, log_dir, data_dir)
        return {"steps": steps}, {"reads": reads, "workers": workers,
                                  "console_workers": console, "live_pages": live,
                                  "profiles": profiled}
    finally:
        for recorders in profilers.values():
            bench_profile.finish(recorders)
        single_machine.stop(parts)


def live_pages(uris: dict[str, str], log_dir: Path, data_dir: Path) -> dict:
    """50 open pages polling what changed (deploy/bench_console.py live_pollers) while
    tickets keep coming, and one reader's queue requests meanwhile."""
    from nameko.standalone.rpc import ClusterRpcProxy

    chance = random.Random(1)
    with ClusterRpcProxy({"AMQP_URI": uris["console"]}, timeout=30) as rpc:
        live = bench_console.live_pollers(
            service_env(data_dir), uris, log_dir,
            make_ticket=lambda: rpc.intake.create_ticket(ticket_request(chance),
                                                         vouch(CALL_CENTRE)))
    print(f"  {live['pages']} pages polling every {live['every_s']} s: a reader's p99 "
          f"{live['reader_alone_ms']['p99']} ms alone, {live['reader_with_pollers_ms']['p99']}"
          f" ms meanwhile; polls p99 {live['poll_ms']['p99']} ms", flush=True)
    return live


# The order the services start in, each alone, when their start is timed: dispatch before
# the services whose first answer may ask it.
START_ORDER = ("dispatch", "intake", "callback", "ledger", "register", "accounts")


def first_requests(seeded: dict) -> dict[str, Callable[[Any], Any]]:
    """What each service is asked first on the seeded stores: a request that reads what
    it keeps of the stored tickets (register and accounts keep none: their readiness
    probe). A refusal (HotlineError) is an answer too."""
    closed, number = seeded["sample_closed"][0], seeded["sample"][0]
    return {
        "dispatch": lambda rpc: rpc.dispatch.queue(READ_UNIT, vouch(READER)),
        "intake": lambda rpc: rpc.intake.get_ticket(closed, vouch(SYSTEM_ACTOR)),
        "callback": lambda rpc: rpc.callback.tasks_for_ticket(closed, vouch(SYSTEM_ACTOR)),
        "ledger": lambda rpc: rpc.ledger.timeline(number, vouch(SYSTEM_ACTOR)),
        "register": lambda rpc: rpc.register.register_template(),
        "accounts": lambda rpc: rpc.accounts.authenticate_token("hlt_ready_probe"),
    }


def resident_mb(pid: int) -> dict:
    """A process's resident memory now (VmRSS) and at its peak (VmHWM), in MB."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines()
    fields = {line.split(":")[0]: line.split()[1] for line in status if line.startswith("Vm")}
    return {"rss_mb": round(int(fields.get("VmRSS", 0)) / 1024),
            "peak_mb": round(int(fields.get("VmHWM", 0)) / 1024)}


def first_answer(rpc, ask: Callable[[Any], Any], process: subprocess.Popen,
                 deadline_seconds: float) -> None:
    """Ask until the service answers (its queue may not be there yet); stop if it died."""
    from nameko.exceptions import UnknownService

    from services.shared.errors import HotlineError

    deadline = time.monotonic() + deadline_seconds
    while True:
        if process.poll() is not None:
            raise SystemExit(f"bench: a service stopped at start (exit {process.poll()}); "
                             "see var/bench/log/")
        try:
            ask(rpc)
            return
        except HotlineError:
            return
        except UnknownService:  # not listening yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def start_in_turn(env: dict, uris: dict[str, str], log_dir: Path, seeded: dict,
                  deadline_seconds: float = 900) -> tuple[dict[str, subprocess.Popen], dict]:
    """Each service started alone (START_ORDER) on the seeded stores and timed from its
    process's start to its first answer (first_requests), its memory then; the services,
    and the figures by service."""
    from nameko.standalone.rpc import ClusterRpcProxy

    asks = first_requests(seeded)
    parts: dict[str, subprocess.Popen] = {}
    figures: dict[str, dict] = {}
    try:
        with ClusterRpcProxy({"AMQP_URI": uris["console"]}, timeout=deadline_seconds) as rpc:
            for name in START_ORDER:
                started = time.monotonic()
                parts[name] = single_machine.start_service(
                    name, {**env, "STORE_INIT": "1"}, uris, log_dir)
                first_answer(rpc, asks[name], parts[name], deadline_seconds)
                start_s = round(time.monotonic() - started, 2)
                at_start = resident_mb(parts[name].pid)
                figures[name] = {"start_s": start_s, "rss_at_start_mb": at_start["rss_mb"]}
                print(f"  {name} answered {start_s} s after its start, "
                      f"{at_start['rss_mb']} MB resident", flush=True)
    except BaseException:
        single_machine.stop(parts)
        raise
    return parts, figures


def stored_reads(uris: dict[str, str], stored: int, log_dir: Path, run_dir: Path) -> dict:
    """The services' start and memory and the reads again, on stores holding ``stored``
    tickets from before the services started (history.seed), in a data directory of
    their own (accounts' keys: the run's, in ``run_dir``)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    data_dir = Path(tempfile.mkdtemp(prefix="hotline-bench-stored-"))
    lock = run_lock.hold(data_dir, "bench")  # as `make run` holds its store
    try:
        seeded = history.seed(data_dir, stored)
        env = service_env(data_dir, run_dir)
        started = time.monotonic()
        parts, services = start_in_turn(env, uris, log_dir, seeded)
        seeded["ready_seconds"] = round(time.monotonic() - started, 1)
        try:
            with ClusterRpcProxy({"AMQP_URI": uris["console"]}, timeout=60) as rpc:
                reads = read_latency(rpc, seeded.pop("sample"), stored)
            for name, figures in services.items():  # the peak: start and reads
                figures.update(resident_mb(parts[name].pid))
        finally:
            single_machine.stop(parts)
        return {**reads, "services": services, "stored_before_start": seeded}
    finally:
        run_lock.release(lock)
        shutil.rmtree(data_dir, ignore_errors=True)


def read_latency(rpc, numbers: list[str], stored: int, calls: int = 200) -> dict:
    """The timelines of ``calls`` of these tickets and READ_UNIT's queue ``calls`` / 2
    times, one call at a time, with ``stored`` tickets in the stores."""
    timeline, queue = [], []
    for number in random.Random(1).sample(numbers, min(calls, len(numbers))):
        started = time.perf_counter()
        rpc.ledger.timeline(number, vouch(SYSTEM_ACTOR))
        timeline.append(time.perf_counter() - started)
    for _ in range(calls // 2):
        started = time.perf_counter()
        size = len(rpc.dispatch.queue(READ_UNIT, vouch(READER)))
        queue.append(time.perf_counter() - started)
    return {"tickets_stored": stored, "timeline_calls": len(timeline),
            "timeline_ms": spread(timeline), "queue_calls": len(queue),
            "queue_ms": spread(queue), "queue_size": size}


def _worker_process(uri: str, worker_id: str, budget, done) -> None:
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.callback.dialers import ScriptedDialer
    from services.callback.worker import CallbackWorker

    with ClusterRpcProxy({"AMQP_URI": uri}, timeout=30) as rpc:
        worker = CallbackWorker(rpc.callback, ScriptedDialer({"default": "satisfied"}),
                                worker_id, lambda: vouch(CALLBACK_WORKER))
        idle_since = None
        while True:
            with budget.get_lock():
                if budget.value <= 0:
                    return
                budget.value -= 1
            if not worker.work_once():
                with budget.get_lock():
                    budget.value += 1
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 2:  # nothing left to claim
                    return
                time.sleep(0.05)
                continue
            idle_since = None
            with done.get_lock():
                done.value += 1


def callback_workers(uris: dict[str, str], numbers: list[str], per_round: int = 100
                     ) -> list[dict]:
    """Resolve 3 x per_round tickets (callback tasks due at once, as the console's broker
    user), then let 1, 2 and 4 worker processes (the callback-worker broker user) claim,
    dial (a scripted, instant dialer) and complete per_round each."""
    from concurrent.futures import ThreadPoolExecutor

    from nameko.standalone.rpc import ClusterRpcProxy

    chosen = list(dict.fromkeys(numbers))[: 3 * per_round]
    uri = uris["console"]
    local = threading.local()
    proxies = []

    def resolve(number: str) -> None:
        if not hasattr(local, "rpc"):
            local.proxy = ClusterRpcProxy({"AMQP_URI": uri}, timeout=30)
            local.rpc = local.proxy.start()
            proxies.append(local.proxy)
        status = local.rpc.dispatch.get_status(number, vouch(AGENT))
        unit_id = status["unit_id"]
        staff = vouch({"id": f"s-{unit_id}", "name": "承办人", "role": "unit_staff",
                       "unit_id": unit_id})
        local.rpc.dispatch.accept(number, staff)
        local.rpc.dispatch.resolve(number, staff, "已处理",
                                   site_photos(status["photos_required"]))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(resolve, chosen))
    for proxy in proxies:
        proxy.stop()
    with ClusterRpcProxy({"AMQP_URI": uri}, timeout=30) as rpc:
        for number in chosen:  # callback makes each task on hearing ticket_resolved
            wait(lambda number=number: rpc.callback.tasks_for_ticket(number, vouch(SYSTEM_ACTOR))
                 or None, 30)
    context = multiprocessing.get_context("fork")
    rounds = []
    for count in (1, 2, 4):
        budget, done = context.Value("i", per_round), context.Value("i", 0)
        started = time.perf_counter()
        workers = [context.Process(target=_worker_process,
                                   args=(uris["callback-worker"], f"bench-{count}-{i}",
                                         budget, done))
                   for i in range(count)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        elapsed = time.perf_counter() - started
        rounds.append({"workers": count, "tasks": done.value,
                       "per_s": round(done.value / elapsed, 1)})
        print(f"  {count} callback worker(s): {rounds[-1]['per_s']} tasks/s", flush=True)
    return rounds


# ---------------------------------------------------------------- report

def chart(report: dict, path: Path) -> str:
    """An SVG of the pipeline's throughput and latency by offered rate, as a PNG."""
    steps = report["pipeline"]["steps"]
    width, height, left, top, plot_w, plot_h = 900, 420, 70, 40, 340, 300
    rates = [s["offered_per_s"] for s in steps]
    top_rate = max(rates + [s["per_s"] for s in steps] + [report["floor"]["per_s"]]) * 1.1
    top_ms = max([s["latency_ms"]["p99"] or 0 for s in steps] +
                 [s["to_recorded_ms"]["p99"] or 0 for s in steps] + [60]) * 1.1

    def x(rate, origin):
        return origin + plot_w * (rates.index(rate) + 0.5) / len(rates)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12"><rect width="100%" height="100%" '
             f'fill="white"/>']
    for origin, title, top_value in ((left, "tickets/s by offered rate", top_rate),
                                     (left + plot_w + 110, "latency ms by offered rate",
                                      top_ms)):
        parts.append(f'<text x="{origin}" y="{top - 15}" font-size="14">{title}</text>')
        parts.append(f'<rect x="{origin}" y="{top}" width="{plot_w}" height="{plot_h}" '
                     f'fill="none" stroke="#999"/>')
        for tick in range(5):
            value = top_value * tick / 4
            y = top + plot_h - plot_h * tick / 4
            parts.append(f'<text x="{origin - 8}" y="{y + 4:.1f}" text-anchor="end">'
                         f'{value:.0f}</text>')
        for rate in rates:
            parts.append(f'<text x="{x(rate, origin):.1f}" y="{top + plot_h + 18}" '
                         f'text-anchor="middle">{rate:g}</text>')
    def y_of(value, top_value):
        return top + plot_h - plot_h * (value or 0) / top_value

    right = left + plot_w + 110
    floor_y = y_of(report["floor"]["per_s"], top_rate)
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{floor_y:.1f}" y2="{floor_y:.1f}" '
                 f'stroke="#888" stroke-dasharray="4"/><text x="{left + 4}" '
                 f'y="{floor_y - 4:.1f}" fill="#666">floor {report["floor"]["per_s"]}/s</text>')
    parts.append(picture.polyline([(x(r, left), y_of(r, top_rate)) for r in rates], "#bbb"))
    parts.append(picture.polyline([(x(s["offered_per_s"], left), y_of(s["per_s"], top_rate))
                       for s in steps], "#1f6feb"))
    series = [("create p50", lambda s: s["latency_ms"]["p50"], "#1f6feb"),
              ("create p99", lambda s: s["latency_ms"]["p99"], "#0b3d91"),
              ("recorded p99", lambda s: s["to_recorded_ms"]["p99"], "#d1242f"),
              ("dispatched p99", lambda s: s["to_dispatched_ms"]["p99"], "#2da44e")]
    for index, (name, value, colour) in enumerate(series):
        parts.append(picture.polyline([(x(s["offered_per_s"], right), y_of(value(s), top_ms))
                           for s in steps], colour))
        parts.append(f'<text x="{right + 10}" y="{top + 16 + 15 * index}" fill="{colour}">'
                     f'{name}</text>')
    parts.append(f'<text x="{left}" y="{height - 12}" fill="#666">offered rate '
                 f'(tickets/s); grey: offered; dashed: the floor\'s RPC/s</text></svg>')
    return str(picture.as_png("".join(parts), path, width, height).relative_to(ROOT))


def at_rate(steps: list[dict], rate: float) -> dict | None:
    return next((s for s in steps if s["offered_per_s"] == rate), None)


def print_report(report: dict) -> None:
    if report.get("search"):
        print("\nsearch and lists: ledger.search as the RPC runs it, one call at a time")
        bench_search.print_figures(report["search"])
    floor_figures, steps = report["floor"], report["pipeline"]["steps"]
    print("\nfloor (trivial RPC + one event, "
          f"{PROCESSES * THREADS} clients as fast as answered)")
    print(f"  {floor_figures['per_s']} RPC/s; RPC ms p50/p95/p99 "
          f"{'/'.join(str(v) for v in floor_figures['latency_ms'].values())}; "
          f"events heard {floor_figures['events_heard']}/{floor_figures['calls']}, "
          f"delay ms p50/p99 {floor_figures['event_delay_ms']['p50']}/"
          f"{floor_figures['event_delay_ms']['p99']}")
    print("\npipeline: intake.create_ticket at rising rates (every service, embedded store; "
          f"{sum(s['merged'] for s in steps)} calls merged as repeats)")
    print(f"  {'offered/s':>9} {'tickets/s':>9} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} | {'created→dispatched':>18} | {'created→recorded':>16} | "
          f"{'done before answer':>18}")
    print(f"  {'':>9} {'':>9} {'':>6} {'':>7} {'':>7} {'':>7} | {'p50/p99 ms':>18} | "
          f"{'p50/p99 ms':>16} |")
    for s in steps:
        lat, dis, rec = s["latency_ms"], s["to_dispatched_ms"], s["to_recorded_ms"]
        print(f"  {s['offered_per_s']:>9g} {s['per_s']:>9} {s['failed']:>6} {lat['p50']:>7} "
              f"{lat['p95']:>7} {lat['p99']:>7} | {str(dis['p50']) + '/' + str(dis['p99']):>18}"
              f" | {str(rec['p50']) + '/' + str(rec['p99']):>16} | "
              f"{s['through_before_answer']:>8}/{s['sampled'] - s['not_through']}")
    saturated = report["pipeline"]["saturated_per_s"]
    ratio = report["pipeline"]["ratio_to_floor"]
    print(f"\n  saturated throughput {saturated} tickets/s = {ratio} x the floor's "
          f"{floor_figures['per_s']} RPC/s")
    hundred = at_rate(steps, 100)
    if hundred:
        print(f"  at 100/s: create_ticket p99 {hundred['latency_ms']['p99']} ms, "
              f"created → recorded p99 {hundred['to_recorded_ms']['p99']} ms")
    for key, when in (("reads", "after the pipeline"), ("stored_reads", "stored before start")):
        reads = report.get(key)
        if not reads:
            continue
        before = reads.get("stored_before_start")
        how = (f", stored in {before['seconds']} s ({before['per_s']} tickets/s), every "
               f"service answering after {before['ready_seconds']} s" if before else "")
        print(f"  reads, {reads['tickets_stored']} tickets {when}{how}: timeline p50/p99 "
              f"{reads['timeline_ms']['p50']}/{reads['timeline_ms']['p99']} ms "
              f"({reads['timeline_calls']} calls), queue of {READ_UNIT} "
              f"({reads['queue_size']} open) p50/p99 {reads['queue_ms']['p50']}/"
              f"{reads['queue_ms']['p99']} ms ({reads['queue_calls']} calls)")
        for name, figures in (reads.get("services") or {}).items():
            print(f"    {name:9} started in {figures['start_s']} s (to its first answer), "
                  f"{figures['rss_at_start_mb']} MB resident then, {figures['rss_mb']} MB "
                  f"after the reads, peak {figures['peak_mb']} MB")
    print("\ncallback workers (claim → scripted instant dialer → complete)")
    for row in report["workers"]:
        print(f"  {row['workers']} worker(s): {row['per_s']} tasks/s ({row['tasks']} tasks)")
    print(f"\nconsole workers (gunicorn; {bench_console.CLIENTS} clients reading tickets and "
          f"a unit's queue over the JSON API with a Bearer token)")
    for row in report["console_workers"]:
        print(f"  {row['workers']} worker(s): {row['per_s']} requests/s, ms p50/p95/p99 "
              f"{'/'.join(str(v) for v in row['latency_ms'].values())}, the queue page's "
              f"{'/'.join(str(v) for v in row['queue_ms'].values())}"
              f"{', ' + str(row['failed']) + ' failed' if row['failed'] else ''}")
    live = report.get("live_pages")
    if live:
        print(f"\nlive pages ({live['pages']} open pages polling /api/changes every "
              f"{live['every_s']} s, {live['workers']} sync workers, "
              f"{live['tickets_made_meanwhile']} tickets made meanwhile)")
        print(f"  another reader's queue, ms p50/p95/p99: alone "
              f"{'/'.join(str(v) for v in live['reader_alone_ms'].values())}, meanwhile "
              f"{'/'.join(str(v) for v in live['reader_with_pollers_ms'].values())}")
        print(f"  polls: {live['polls']} ({live['polls_per_s']}/s), ms p50/p95/p99 "
              f"{'/'.join(str(v) for v in live['poll_ms'].values())}, "
              f"{live['polls_told_a_change']} told a change, {live['polls_failed']} failed")
    for name, profiled in (report.get("profiles") or {}).items():
        print(f"\nwhere {name}'s time went under the pipeline's load ({profiled.get('samples')} "
              f"samples; {profiled['flame_graph']}); running:")
        for frame, share in profiled.get("self") or []:
            print(f"  {share:5.1f}%  {frame}")
        print("  under the project's frames:")
        for frame, share in profiled.get("total") or []:
            print(f"  {share:5.1f}%  {frame}")
    copies = report.get("copies")
    if copies:
        print(f"\ncopies of every service on the wire store, saturated ({copies['note']}); "
              f"floor {report['floor']['per_s']} RPC/s:")
        for run in copies["runs"]:
            print(f"  {run['copies']} cop{'y' if run['copies'] == 1 else 'ies'}: "
                  f"{run['per_s']:>6} tickets/s, p50/p99 {run['latency_ms']['p50']}/"
                  f"{run['latency_ms']['p99']} ms, {run['failed']} failed; "
                  f"{run['sampled_stored']} of {run['sampled']} sampled answers stored")
    print(f"\ntargets (never asserted; {os.cpu_count()} cores):")
    print("\n".join(bench_targets.lines([bench_targets.Verdict(**verdict)
                                        for verdict in report["targets"]])))
    print(f"\nwrote {report['json']} and {report['chart']}")


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=6.0, help="per rate")
    options.add_argument("--rates", default="10,25,50,100,200,400")
    options.add_argument("--estates", type=int, default=len(YINHANG_ESTATES),
                         help="estates of 殷行街道 the calls come from besides the named "
                              "ones (0: only the three named estates, the worst case for "
                              "intake's repeat-call check)")
    options.add_argument("--stored", type=int, default=history.TICKETS,
                         help="tickets stored (deploy/history.py) before the services start "
                              "again, for their start, memory and reads (0: none)")
    options.add_argument("--searched", type=int, default=300_000,
                         help="tickets stored in the ledger's read model for the search "
                              "and list figures (0: none; about two minutes for 300000)")
    options.add_argument("--copies", default="1,2",
                         help="copies of every service measured on the wire store, in turn "
                              "(deploy/bench_copies.py; empty: none)")
    options.add_argument("--profile", action="store_true",
                         help="py-spy samples intake, dispatch, ledger and callback during "
                              "the pipeline: flame graphs under var/bench/")
    args = options.parse_args(argv)
    # The bench reads as a client does: its own full collections (a queue of 300 rows
    # decodes some 30,000 objects) must not be timed as the services' answers.
    service_process.tune_collector()
    rates = [float(rate) for rate in args.rates.split(",")]
    SPREAD["estates"] = max(0, min(args.estates, len(YINHANG_ESTATES)))  # forked clients see it
    # A timeout's SIGTERM stops the services and removes the vhost, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("amqp").setLevel(logging.ERROR)
    OUT.mkdir(parents=True, exist_ok=True)
    log_dir = OUT / "log"
    data_dir = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    lock = run_lock.hold(data_dir, "bench")  # as `make run` holds its store
    vhost = make_vhost()
    uri = f"{AMQP.rstrip('/')}/{vhost}"  # the admin's: nameko's own floor only
    # the hotline's parts, each as its own broker user (names of this run's own)
    users = permissions.RunUsers(permissions.api_of(API), AMQP, f"b{uuid.uuid4().hex[:8]}-")
    started = time.monotonic()
    try:
        print(f"bench: vhost {vhost}, store {data_dir}, logs {log_dir.relative_to(ROOT)}/")
        print("floor…", flush=True)
        report: dict = {"floor": floor(uri, args.seconds, log_dir)}
        report["floor"].pop("_rows")
        print(f"  {report['floor']['per_s']} RPC/s", flush=True)
        print("pipeline…", flush=True)
        uris = users.grant(vhost)
        pipe, more = pipeline(uris, rates, args.seconds, log_dir, data_dir, args.profile)
        report["pipeline"] = pipe
        report.update(more)
        if args.copies:
            import bench_copies  # deploy/bench_copies.py (it reads this module's parts)

            print("copies…", flush=True)
            report["copies"] = bench_copies.measure(
                uris, [int(n) for n in args.copies.split(",")], args.seconds, log_dir)
        if args.stored:
            print(f"reads with {args.stored} tickets stored…", flush=True)
            report["stored_reads"] = stored_reads(uris, args.stored, log_dir, data_dir)
        if args.searched:
            print(f"search with {args.searched} tickets stored…", flush=True)
            report["search"] = bench_search.measure(args.searched)
        saturated = max(step["per_s"] for step in pipe["steps"])
        pipe["saturated_per_s"] = saturated
        pipe["ratio_to_floor"] = round(saturated / report["floor"]["per_s"], 2)
        report["targets"] = [vars(verdict) for verdict in bench_targets.judge(
            bench_targets.figures_of(report), {"stored": args.stored, "searched": args.searched})]
        report["cores"] = os.cpu_count()
        report["seconds"] = round(time.monotonic() - started, 1)
        report["json"] = str((OUT / "bench.json").relative_to(ROOT))
        report["chart"] = chart(report, OUT / "bench.png")
        (OUT / "bench.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                        encoding="utf-8")
        print_report(report)
        print(f"bench: {report['seconds']} s")
        return 0
    finally:
        run_lock.release(lock)
        shutil.rmtree(data_dir, ignore_errors=True)
        management("DELETE", f"/api/vhosts/{vhost}")
        users.remove()


if __name__ == "__main__":
    sys.exit(main())
