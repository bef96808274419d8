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


def token_for_bench(amqp_uri: str) -> str:
    """An admin's API token (the bench's system starts with no accounts)."""
    from services.shared.rpc_client import ServiceProxy

    services = ServiceProxy(amqp_uri, timeout=30)
    try:
        services.call("accounts", "create_first_admin", ADMIN)
        # signed in as the admin it just made: accounts vouches for them
        admin = services.call("accounts", "authenticate", ADMIN["username"], ADMIN["password"])
        return services.call("accounts", "issue_token", ADMIN["username"], "压测",
                             admin["statement"])["token"]
    finally:
        services.close()


def load_console(base: str, token: str, numbers: list[str], seconds: float) -> dict:
    """CLIENTS threads, each GETting a ticket or the unit's queue in turn, as fast as
    answered, for ``seconds``."""
    latencies: list[float] = []
    failed = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(seed: int) -> None:
        chance = random.Random(seed)
        while time.monotonic() < stop_at:
            path = (f"/api/queues/{UNIT}" if chance.random() < 0.3
                    else f"/api/tickets/{chance.choice(numbers)}")
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
            "per_s": round(len(latencies) / elapsed, 1), "_latencies": latencies}


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
               "failed": figures["failed"], "latency_ms": spread(figures["_latencies"])}
        rows.append(row)
        print(f"  {count} console worker(s): {row['per_s']} requests/s, p99 "
              f"{row['latency_ms']['p99']} ms", flush=True)
    return rows
