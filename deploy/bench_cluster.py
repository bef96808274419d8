"""The bench's cluster part: every service (one copy each, on the embedded store) against
one RabbitMQ node with classic queues, then against a cluster of three nodes in a vhost
of quorum queues (deploy/broker_cluster.py, deploy/rabbitmq/queues.py), every part given
the three addresses, saturated by the same clients as the pipeline (``intake.create_ticket``
as fast as answers come). Per broker: tickets a second, the call's latency and the calls
that failed. What quorum queues cost: every message written on a majority of three nodes
before it is confirmed, on the same two cores here as the services.

    .venv/bin/python deploy/bench_cluster.py [--seconds 8]
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
import queues  # noqa: E402  deploy/rabbitmq/queues.py
import single_machine  # noqa: E402
from bench_calls import ticket_request  # noqa: E402
from broker_cluster import BrokerCluster  # noqa: E402
from private_broker import PrivateBroker  # noqa: E402

from services.shared.rpc_client import ServiceProxy  # noqa: E402
from services.shared.statements import vouch  # noqa: E402


def saturated(broker: PrivateBroker | BrokerCluster, quorum: bool, seconds: float,
              work: Path, log_dir: Path) -> dict:
    """The services on ``broker`` (in a vhost of quorum queues if ``quorum``), saturated."""
    api = permissions.api_of(broker.api_uri)
    vhost = f"bench-{uuid.uuid4().hex[:6]}"
    if quorum:
        queues.apply(api, vhost)
    else:
        api.call("PUT", f"/api/vhosts/{api.quote(vhost)}", {})
    uris = permissions.RunUsers(api, broker.amqp_uri, prefix="").grant(vhost)
    env = bench.service_env(work / f"data-{vhost}")
    parts: dict = {}
    try:
        parts = single_machine.start_services(env, uris, log_dir / vhost, 120, init=True)
        proxy = ServiceProxy(uris["console"], 30)
        chance = random.Random(1)
        for _ in range(10):  # first calls load dictionaries and indexes
            proxy.call("intake", "create_ticket", ticket_request(chance),
                       vouch(bench.CALL_CENTRE))
        proxy.close()
        figures = bench.offer_load(uris["console"], "ticket", None, seconds)
        figures.pop("_rows")
        return figures
    finally:
        single_machine.stop(parts)


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=8)
    args = options.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("amqp").setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="hotline-bench-cluster-"))
    log_dir = ROOT / "var" / "bench" / "cluster-log"
    rows = []
    for name, broker, quorum in (
            ("one node, classic queues", PrivateBroker(work / "node"), False),
            ("3 nodes, quorum queues", BrokerCluster(work / "cluster"), True)):
        started = time.monotonic()
        broker.start()
        try:
            print(f"{name}: up in {time.monotonic() - started:.0f} s; saturating intake for "
                  f"{args.seconds:g} s", flush=True)
            figures = saturated(broker, quorum, args.seconds, work, log_dir)
        finally:
            broker.stop()
        rows.append((name, figures))
    print(f"\n{'broker':<26}{'tickets/s':>10}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
          f"{'failed':>8}")
    for name, figures in rows:
        latency = figures["latency_ms"]
        print(f"{name:<26}{figures['per_s']:>10}{latency['p50']:>8}{latency['p95']:>8}"
              f"{latency['p99']:>8}{figures['failed']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
