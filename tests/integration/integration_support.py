"""What the integration tests share besides fixtures."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from nameko.runners import ServiceRunner
from nameko.utils.concurrency import SpawningProxy

from services.accounts.service import AccountsService
from services.callback.service import CallbackService
from services.dispatch.service import DispatchService
from services.intake.service import IntakeService
from services.ledger.service import LedgerService
from services.register.service import RegisterService

# Every service of the system, as `make run` starts them.
SERVICES = (IntakeService, DispatchService, CallbackService, LedgerService, RegisterService,
            AccountsService)


ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
from wire_store import WireStoreProcess  # noqa: E402  (deploy/wire_store.py)

__all__ = ["WireStoreProcess"]


def eventually(check, timeout: float = 30.0, interval: float = 0.05):
    """``check()``'s first truthy answer, or its last answer as an AssertionError.
    Used where a flow crosses several services and events. The ceiling is generous: a
    passing check returns at once, and on a loaded 2-core machine a flow through four
    services in one eventlet process once took more than 10 s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = check()
            if answer:
                return answer
        except Exception as error:  # not there yet (e.g. NotFound)
            answer = error
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s; last answer: {answer!r}")
        time.sleep(interval)


class PartRunners:
    """Services each in a nameko ServiceRunner of its own, connected as its own broker user
    (``config["BROKER_URIS"]``, by service name, when the config has them; else all with
    ``config["AMQP_URI"]``); started and stopped together, all at once, as one ServiceRunner
    starts and stops its containers: a container takes two or three of its queue
    consumer's waits for messages to stop (conftest.CONSUMER_WAIT_SECONDS), and six one
    after the other took twelve seconds a test. ``config`` stays the clients'."""

    def __init__(self, config: dict, *service_classes) -> None:
        self.config = config
        uris = config.get("BROKER_URIS") or {}
        own = {key: value for key, value in config.items() if key != "BROKER_URIS"}
        self.runners = []
        for service_cls in service_classes:
            runner = ServiceRunner({**own, "AMQP_URI": uris.get(service_cls.name,
                                                                config["AMQP_URI"])})
            runner.add_service(service_cls)
            self.runners.append(runner)

    @property
    def containers(self) -> list:
        """Every service's container (nameko.testing.utils.get_container looks here)."""
        return [container for runner in self.runners for container in runner.containers]

    def start(self) -> None:
        SpawningProxy(self.runners).start()

    def stop(self) -> None:
        SpawningProxy(self.runners).stop()

    def kill(self) -> None:
        SpawningProxy(self.runners).kill()


# The programs, under accounts of their own: the call centre's software takes the calls,
# the automated callback workers call back.
CALL_CENTRE = {"id": "call-centre", "name": "话务系统", "role": "call_centre", "unit_id": None}
CALLBACK_WORKER = {"id": "dialer", "name": "自动回访外呼", "role": "callback_worker",
                   "unit_id": None}
# Check-ins tried three times with no wait between tries, so a miss comes at once.
CHECKINS_MISSED_AT_ONCE = {"plan_horizon_hours": 24, "replan_minutes": 60,
                           "catch_up_minutes": 30, "max_attempts": 3, "retry_minutes": 0}


def health_probe(runner: PartRunners, path: str) -> tuple[int, dict]:
    """GET ``path`` (/live, /ready) of the health probes of ``runner``'s one service
    (services/shared/health.py, on the port its HEALTH_ADDRESS gave it): the status and
    the JSON answer."""
    import json
    import urllib.error
    import urllib.request

    from services.shared.health import HealthProbes

    [container] = runner.containers
    [health] = [found for found in container.dependencies if isinstance(found, HealthProbes)]
    host, port = health.address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())
