"""The bench's copies part: every service as 1 copy, then as 2, on the wire store (MongoDB's
stand-in, deploy/wire_store.py, on the embedded store), each count on a store of its own,
saturated by the same clients as the pipeline (``intake.create_ticket`` as fast as answers
come). Per count: tickets a second, the call's latency, calls that failed, and whether
every ticket answered is stored once with a number of its own. On a machine of two cores
this shows what copies cost and that they stay correct, not a speed-up: every copy shares
the same two cores, and the wire store carries out one command at a time.

    .venv/bin/python deploy/bench_copies.py [--seconds 6] [--copies 1,2]
"""
from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

import bench  # noqa: E402
import permissions  # noqa: E402
import single_machine  # noqa: E402
from bench_calls import ticket_request  # noqa: E402
from wire_store import WireStoreProcess  # noqa: E402

from services.shared.schemas import SYSTEM_ACTOR  # noqa: E402
from services.shared.statements import vouch  # noqa: E402

CALL_CENTRE = bench.CALL_CENTRE


def with_copies(count: int, uris: dict[str, str], seconds: float, log_dir: Path,
                work: Path) -> dict:
    """``count`` copies of every service on a new wire store, saturated for ``seconds``."""
    from nameko.standalone.rpc import ClusterRpcProxy

    store = WireStoreProcess(work / f"wire-{count}")
    env = {**bench.service_env(work / f"data-{count}"), "MONGO_URI": store.uri}
    parts: dict = {}
    try:
        parts = single_machine.start_services(env, uris, log_dir / f"copies{count}", 120,
                                              init=True, copies=count)
        with ClusterRpcProxy({"AMQP_URI": uris["console"]}, timeout=30) as rpc:
            chance = random.Random(count)
            for _ in range(10):  # first calls load dictionaries and indexes
                rpc.intake.create_ticket(ticket_request(chance), vouch(CALL_CENTRE))
        figures = bench.offer_load(uris["console"], "ticket", None, seconds)
        rows = figures.pop("_rows")
        numbers = [row[3] for row in rows]
        sample = numbers[::10]
        with ClusterRpcProxy({"AMQP_URI": uris["console"]}, timeout=30) as rpc:
            stored = sum(stored_once(rpc, number) for number in sample)
        return {"copies": count, **figures, "sampled": len(sample), "sampled_stored": stored}
    finally:
        single_machine.stop(parts)
        store.stop()


def stored_once(rpc, number: str) -> bool:
    """Whether intake holds the ticket an answer numbered (the store a copy wrote)."""
    from services.shared.errors import NotFound

    try:
        return rpc.intake.get_ticket(number, vouch(SYSTEM_ACTOR))["ticket_no"] == number
    except NotFound:
        return False


def measure(uris: dict[str, str], counts: list[int], seconds: float, log_dir: Path) -> dict:
    """Each count of copies in turn; the figures by count."""
    work = Path(tempfile.mkdtemp(prefix="hotline-copies-"))
    runs = []
    for count in counts:
        print(f"  {count} cop{'y' if count == 1 else 'ies'} of every service on the wire "
              f"store…", flush=True)
        figures = with_copies(count, uris, seconds, log_dir, work)
        print(f"    {figures['per_s']} tickets/s, p50/p99 {figures['latency_ms']['p50']}/"
              f"{figures['latency_ms']['p99']} ms, {figures['failed']} failed; "
              f"{figures['sampled_stored']} of {figures['sampled']} sampled answers stored",
              flush=True)
        runs.append(figures)
    return {"runs": runs, "note": "2 cores: every copy shares them and the wire store "
                                  "carries out one command at a time, so this is the cost "
                                  "and the correctness of copies, not a speed-up"}


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=6.0)
    options.add_argument("--copies", default="1,2")
    args = options.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("amqp").setLevel(logging.ERROR)
    vhost = bench.make_vhost()
    users = permissions.RunUsers(permissions.api_of(bench.API), bench.AMQP,
                                 f"b{uuid.uuid4().hex[:8]}-")
    started = time.monotonic()
    try:
        uri = f"{bench.AMQP.rstrip('/')}/{vhost}"
        floor = bench.floor(uri, args.seconds, bench.OUT / "log")
        print(f"floor: {floor['per_s']} RPC/s")
        measure(users.grant(vhost), [int(n) for n in args.copies.split(",")], args.seconds,
                bench.OUT / "log")
    finally:
        bench.management("DELETE", f"/api/vhosts/{vhost}")
        users.remove()
    print(f"copies: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
