"""The console's part of `make bench`: 1, 2 and 4 gunicorn workers answering the JSON API
(a ticket, a unit's queue) to concurrent clients, each request a Bearer token's, against
the services already running. Each worker holds one RPC connection (the console holds no
data), so copies of it are as many as the machine's cores allow.
"""
from __future__ import annotations

import json
import random
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

import single_machine  # noqa: E402
from private_broker import free_port  # noqa: E402

CLIENTS = 16
ADMIN = {"username": "bench-admin", "name": "压测管理员", "password": "bench-password-1"}
UNIT = "yinhang-grid-1"


_TOKENS: dict[str, str] = {}  # the token made for each broker, made once


def token_for_bench(amqp_uri: str) -> str:
    """An admin's API token (the bench's system starts with no accounts)."""
    from services.shared.rpc_client import ServiceProxy

    if amqp_uri in _TOKENS:
        return _TOKENS[amqp_uri]

    services = ServiceProxy(amqp_uri, timeout=30)
    try:
        services.call("accounts", "create_first_admin", ADMIN)
        # signed in as the admin it just made: accounts vouches for them
        admin = services.call("accounts", "authenticate", ADMIN["username"], ADMIN["password"])
        _TOKENS[amqp_uri] = services.call("accounts", "issue_token", ADMIN["username"],
                                          "压测", admin["statement"])["token"]
        return _TOKENS[amqp_uri]
    finally:
        services.close()


def load_console(base: str, token: str, numbers: list[str], seconds: float) -> dict:
    """CLIENTS threads, each GETting a ticket or the unit's queue in turn, as fast as
    answered, for ``seconds``."""
    latencies: list[float] = []
    queue_latencies: list[float] = []  # of the queue page alone (its own target)
    failed = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(seed: int) -> None:
        chance = random.Random(seed)
        while time.monotonic() < stop_at:
            queue = chance.random() < 0.3
            path = f"/api/queues/{UNIT}" if queue else f"/api/tickets/{chance.choice(numbers)}"
            request = urllib.request.Request(base + path,
                                             headers={"Authorization": f"Bearer {token}"})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    json.load(answer)
                ok = True
            except Exception:
                ok = False
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - started)
                    if queue:
                        queue_latencies.append(latencies[-1])
                else:
                    failed[0] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"requests": len(latencies), "failed": failed[0],
            "per_s": round(len(latencies) / elapsed, 1), "_latencies": latencies,
            "_queue_latencies": queue_latencies}


def console_workers(env: dict, uris: dict[str, str], numbers: list[str], log_dir: Path,
                    seconds: float = 5.0, counts: tuple[int, ...] = (1, 2, 4)) -> list[dict]:
    """Requests a second and latency with 1, 2 and 4 console workers (the console's broker
    user, ``uris["console"]``)."""
    from bench import spread  # deploy/bench.py

    token = token_for_bench(uris["console"])
    rows = []
    for count in counts:
        bind = f"127.0.0.1:{free_port()}"
        console_env = {**env, "CONSOLE_BIND": bind, "CONSOLE_WORKERS": str(count),
                       "CONSOLE_SECRET_KEY": env.get("CONSOLE_SECRET_KEY") or "bench-only"}
        console = single_machine.start_console(console_env, uris, log_dir)
        try:
            figures = load_console(single_machine.console_url(console_env).rstrip("/"), token,
                                   numbers, seconds)
        finally:
            single_machine.stop({"console": console})
        row = {"workers": count, "per_s": figures["per_s"], "requests": figures["requests"],
               "failed": figures["failed"], "latency_ms": spread(figures["_latencies"]),
               "queue_ms": spread(figures["_queue_latencies"])}
        rows.append(row)
        print(f"  {count} console worker(s): {row['per_s']} requests/s, p99 "
              f"{row['latency_ms']['p99']} ms", flush=True)
    return rows


# Pages that keep themselves up to date: each open page asks what changed every
# LIVE_EVERY_S (services/console/static/live.js)
LIVE_PAGES = 50
LIVE_EVERY_S = 1.5
LIVE_SCOPE = "supervision"  # every step dispatch takes: the page told the most


def _get(base: str, path: str, token: str) -> dict:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def probe(base: str, token: str, seconds: float, stop: threading.Event | None = None
          ) -> list[float]:
    """One reader asking for the unit's queue, one request after another, for ``seconds``:
    each answer's latency."""
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at and not (stop and stop.is_set()):
        started = time.perf_counter()
        _get(base, f"/api/queues/{UNIT}", token)
        latencies.append(time.perf_counter() - started)
    return latencies


def pollers(base: str, token: str, pages: int, stop: threading.Event) -> dict:
    """``pages`` open pages polling /api/changes every LIVE_EVERY_S until ``stop``: each
    poll's latency, how many polls told a change, and how many failed."""
    latencies: list[float] = []
    told, failed = [0], [0]
    lock = threading.Lock()

    def page(seed: int) -> None:
        since = None
        time.sleep(seed * LIVE_EVERY_S / pages)  # pages opened one after another
        while not stop.is_set():
            query = f"/api/changes?scope={LIVE_SCOPE}" + (f"&since={since}" if since else "")
            started = time.perf_counter()
            try:
                answer = _get(base, query, token)
                since = answer["cursor"]
                with lock:
                    latencies.append(time.perf_counter() - started)
                    told[0] += bool(answer["tickets"])
            except Exception:
                with lock:
                    failed[0] += 1
            stop.wait(LIVE_EVERY_S)

    threads = [threading.Thread(target=page, args=(n,), daemon=True) for n in range(pages)]
    for thread in threads:
        thread.start()
    stop.wait()
    for thread in threads:
        thread.join(timeout=35)
    return {"_latencies": latencies, "told": told[0], "failed": failed[0]}


def live_pollers(env: dict, uris: dict[str, str], log_dir: Path, seconds: float = 10.0,
                 pages: int = LIVE_PAGES, make_ticket=None) -> dict:
    """The console (gunicorn, its default 2 sync workers) answering one reader's queue
    requests alone, then while ``pages`` open pages poll what changed (``make_ticket``, if
    given, is called about twice a second meanwhile, so that polls have changes to tell):
    the reader's latency both times, and the polls'."""
    from bench import spread  # deploy/bench.py

    token = token_for_bench(uris["console"])
    bind = f"127.0.0.1:{free_port()}"
    console_env = {**env, "CONSOLE_BIND": bind, "CONSOLE_WORKERS": "2",
                   "CONSOLE_SECRET_KEY": env.get("CONSOLE_SECRET_KEY") or "bench-only"}
    console = single_machine.start_console(console_env, uris, log_dir)
    base = single_machine.console_url(console_env).rstrip("/")
    try:
        probe(base, token, 1.0)  # first requests warm the workers
        alone = probe(base, token, seconds)
        stop = threading.Event()
        polled: dict = {}
        polling = threading.Thread(target=lambda: polled.update(
            pollers(base, token, pages, stop)), daemon=True)
        polling.start()
        time.sleep(LIVE_EVERY_S * 2)  # every page open and polling
        made = [0]

        def making() -> None:
            while not stop.is_set() and make_ticket is not None:
                make_ticket()
                made[0] += 1
                stop.wait(0.5)

        maker = threading.Thread(target=making, daemon=True)
        maker.start()
        busy = probe(base, token, seconds)
        stop.set()
        polling.join(timeout=40)
        maker.join(timeout=40)
    finally:
        single_machine.stop({"console": console})
    polls = polled.get("_latencies", [])
    return {"pages": pages, "every_s": LIVE_EVERY_S, "workers": 2,
            "reader_alone_ms": spread(alone), "reader_with_pollers_ms": spread(busy),
            "poll_ms": spread(polls), "polls": len(polls),
            "polls_per_s": round(len(polls) / (seconds + LIVE_EVERY_S * 2), 1),
            "polls_told_a_change": polled.get("told", 0), "polls_failed": polled.get("failed"),
            "tickets_made_meanwhile": made[0]}
