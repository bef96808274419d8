"""The automated callback worker: a process that claims due tasks from the ``callback``
service over RPC (callbacks after a resolution, and check-ins on a resident's plan),
places each call through a dialer adapter and reports the outcome (for a check-in, any
rating means someone answered).

    HOTLINE_TOKEN=hlt_… hotline-callback-worker --dialer scripted --script deploy/demo/dialer.yml

A worker acts under a callback worker's account of its own (role callback_worker), signed
in with the API token an admin issued to it (HOTLINE_TOKEN): the only role that may claim
and complete tasks, and one that reads nothing else. Many workers may run at once: a claim
hands each task to one worker only, under a lease; a worker that dies mid-call leaves its
task to be claimed again when the lease runs out. SIGINT/SIGTERM let the current call
finish, then the worker exits 0.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any

from services.callback.dialers import Dialer, build_dialer
from services.shared import privacy, signed_in
from services.shared.broker_address import without_passwords
from services.shared.errors import EXPECTED
from services.shared.states import CHECKIN_TASK

log = logging.getLogger("services.callback.worker")

DEFAULT_AMQP_URI = "pyamqp://guest:guest@localhost:5672/"
RPC_TIMEOUT_SECONDS = 30
COMPLETE_TRIES = 3  # a lost reply is retried; callback answers a repeat the same way


def masked_phone(phone: str | None) -> str:
    """A phone number fit for a log (138****0001)."""
    return privacy.mask_phone(phone) or "-"


def what_for(task: dict) -> str:
    """What a claimed task is about, for a log: a ticket's callback or a resident's check-in."""
    if task.get("kind") == CHECKIN_TASK:
        return f"the check-in of resident {task.get('resident_id')}"
    return f"ticket {task.get('ticket_no')}"


class CallbackWorker:
    """One worker's loop body: claim a due task, call, report. ``rpc_callback`` is the
    callback service's RPC proxy (anything with ``claim`` and ``complete``); ``signed``
    gives the statement of the worker's account each call carries (signed_in.SignedIn)."""

    def __init__(self, rpc_callback: Any, dialer: Dialer, worker_id: str,
                 signed: Callable[[], Any], retry_pause_seconds: float = 1.0):
        self.rpc = rpc_callback
        self.dialer = dialer
        self.worker_id = worker_id
        self.signed = signed
        self.retry_pause_seconds = retry_pause_seconds
        self._pause = threading.Event()  # never set: an interruptible sleep

    def work_once(self) -> bool:
        """Handle the next due task, if any. True if a task was claimed (so there may be
        more), False when nothing was due."""
        task = self.rpc.claim(self.worker_id, self.signed())
        if task is None:
            return False
        log.info("calling %s for %s (task %s, attempt %s)", masked_phone(task["phone"]),
                 what_for(task), task["task_id"], task["attempt"])
        try:
            result = self.dialer.dial(task)
        except Exception:
            # No outcome to report: the task comes back when its lease runs out.
            log.exception("could not call for task %s; it will be tried again", task["task_id"])
            return True
        self.report(task, result.outcome, result.note)
        return True

    def report(self, task: dict, outcome: str, note: str | None) -> dict | None:
        """Tell callback the outcome; the answer, or None if it was refused or lost."""
        for attempt in range(1, COMPLETE_TRIES + 1):
            try:
                answer = self.rpc.complete(task["task_id"], self.worker_id, outcome,
                                           self.signed(), note, task.get("fence"))
            except EXPECTED as exc:
                # Our lease ran out and another worker holds the task, or it is done.
                log.warning("result %s for task %s refused: %s", outcome, task["task_id"], exc)
                return None
            except Exception:
                if attempt == COMPLETE_TRIES:
                    log.exception("could not report %s for task %s; it will be called again",
                                  outcome, task["task_id"])
                    return None
                log.warning("reporting task %s failed; trying again", task["task_id"],
                            exc_info=True)
                self._pause.wait(self.retry_pause_seconds)
                continue
            if answer["final"]:
                log.info("task %s: %s (final)", task["task_id"], outcome)
            else:
                log.info("task %s: %s; attempt %s due at %s", task["task_id"], outcome,
                         answer["next_attempt"], answer["next_due_at"])
            return answer
        return None

    def run(self, stop: threading.Event, poll_seconds: float, once: bool = False) -> int:
        """Work until ``stop`` is set (or, with ``once``, until nothing is due). A call in
        progress always finishes. Returns how many tasks were handled."""
        handled = 0
        while not stop.is_set():
            try:
                worked = self.work_once()
            except Exception:
                if once:
                    raise
                log.exception("claiming failed; waiting before the next try")
                worked = False
            handled += worked
            if not worked:
                if once:
                    break
                stop.wait(poll_seconds)
        return handled


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hotline-callback-worker",
        description="Claim due callback tasks, place the calls, report the outcomes.")
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI,
                        help="RabbitMQ of the services (default: $AMQP_URI or localhost)")
    parser.add_argument("--worker-id", default=f"{socket.gethostname()}-{os.getpid()}",
                        help="this worker's name in tasks and events (default: host-pid)")
    parser.add_argument("--dialer", default="scripted", choices=("scripted", "http"),
                        help="how calls are placed (default: scripted)")
    parser.add_argument("--script", help="the scripted dialer's YAML script")
    parser.add_argument("--gateway-url", help="the http dialer's gateway URL")
    parser.add_argument("--poll-seconds", type=float, default=1.0,
                        help="pause when nothing is due (default: 1.0)")
    parser.add_argument("--once", action="store_true",
                        help="handle what is due now, then exit")
    return parser.parse_args(argv)


def signed_in_when_answered(services: Any, stop: threading.Event,
                            poll_seconds: float) -> signed_in.SignedIn | None:
    """The worker's account, signed in with HOTLINE_TOKEN once accounts answers (it may
    start after the worker); None, logged, if there is no token or accounts refuses it,
    or when stopped first."""
    from services.shared.rpc_client import ServicesUnavailable

    while not stop.is_set():
        try:
            return signed_in.by_token(services.of("accounts"))
        except (signed_in.NotSignedIn, *EXPECTED) as exc:
            log.error("cannot sign in: %s", exc)
            return None
        except ServicesUnavailable:
            log.warning("accounts does not answer yet; trying again")
            stop.wait(poll_seconds)
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s callback-worker %(levelname)s %(message)s")
    try:
        dialer = build_dialer(args.dialer, {"script": args.script, "url": args.gateway_url})
    except (OSError, ValueError) as exc:
        log.error("%s", exc)
        return 2

    stop = threading.Event()

    def finish_then_stop(signum, frame) -> None:
        log.info("signal %s: finishing the current call, then stopping", signum)
        stop.set()

    signal.signal(signal.SIGINT, finish_then_stop)
    signal.signal(signal.SIGTERM, finish_then_stop)

    # Imported here so that the module (and its unit tests) need no broker machinery.
    from services.shared.rpc_client import ServiceProxy

    log.info("worker %s: %s dialer, broker %s", args.worker_id, args.dialer,
             without_passwords(args.amqp_uri))
    # Reconnects after the broker went away: a worker outlives a RabbitMQ restart.
    services = ServiceProxy(args.amqp_uri, timeout=RPC_TIMEOUT_SECONDS)
    try:
        signed = signed_in_when_answered(services, stop, args.poll_seconds)
        if signed is None:
            return 2 if not stop.is_set() else 0
        worker = CallbackWorker(services.of("callback"), dialer, args.worker_id, signed)
        handled = worker.run(stop, args.poll_seconds, once=args.once)
    finally:
        services.close()
    log.info("worker %s stopped after %d tasks", args.worker_id, handled)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
