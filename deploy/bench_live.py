"""The live pages' part of `make bench` alone: the services on the local RabbitMQ (a vhost
of its own, the embedded store in a temporary directory), then the console with its 2 sync
workers answering one reader's queue requests, alone and while 50 open pages poll
/api/changes every 1.5 s and tickets keep coming. Prints the figures and writes
var/bench/live.json.

    .venv/bin/python deploy/bench_live.py [--seconds 10] [--pages 50]
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

import bench  # noqa: E402  deploy/bench.py
import bench_console  # noqa: E402
import permissions  # noqa: E402  deploy/rabbitmq/permissions.py
import single_machine  # noqa: E402

from services.shared.statements import vouch  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=10.0)
    options.add_argument("--pages", type=int, default=bench_console.LIVE_PAGES)
    args = options.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    bench.OUT.mkdir(parents=True, exist_ok=True)
    log_dir = bench.OUT / "log"
    data_dir = Path(tempfile.mkdtemp(prefix="hotline-bench-live-"))
    vhost = bench.make_vhost()
    users = permissions.RunUsers(permissions.api_of(bench.API), bench.AMQP,
                                 f"b{uuid.uuid4().hex[:8]}-")
    try:
        uris = users.grant(vhost)
        env = bench.service_env(data_dir)
        parts = single_machine.start_services(env, uris, log_dir, init=True)
        try:
            from nameko.standalone.rpc import ClusterRpcProxy

            chance = random.Random(1)
            with ClusterRpcProxy({"AMQP_URI": uris["console"]}, timeout=30) as rpc:
                def make() -> None:
                    rpc.intake.create_ticket(bench.ticket_request(chance),
                                             vouch(bench.CALL_CENTRE))

                for _ in range(20):  # tickets in the queue read, and warm services
                    make()
                live = bench_console.live_pollers(env, uris, log_dir, args.seconds,
                                                  args.pages, make_ticket=make)
        finally:
            single_machine.stop(parts)
        (bench.OUT / "live.json").write_text(json.dumps(live, ensure_ascii=False, indent=2),
                                             encoding="utf-8")
        print(json.dumps(live, ensure_ascii=False, indent=2))
        print(f"target: {bench.TARGETS['live_pages'].says}")
        return 0
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        bench.management("DELETE", f"/api/vhosts/{vhost}")
        users.remove()


if __name__ == "__main__":
    sys.exit(main())
