"""The four services together in this process, against RabbitMQ on localhost, in a vhost
of the test's own (nameko's ``rabbit_config``), each service with its own database
(``storage_config``)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from nameko.standalone.rpc import ClusterRpcProxy

from services.callback.service import CallbackService
from services.dispatch.service import DispatchService
from services.intake.service import IntakeService
from services.ledger.service import LedgerService

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERVICES = (IntakeService, DispatchService, CallbackService, LedgerService)


def service_settings() -> dict:
    """Every service's own settings from its deploy/ config, minus broker and storage."""
    settings: dict = {}
    for name in ("intake", "dispatch", "callback", "ledger"):
        text = (DEPLOY / f"{name}.yml").read_text(encoding="utf-8")
        loaded = yaml.safe_load(text)
        for key, value in loaded.items():
            if key not in ("AMQP_URI", "MONGO_URI", "DATABASE", "LOGGING") and \
                    not (isinstance(value, str) and value.startswith("${")):
                settings[key] = value
    return settings


@pytest.fixture
def settings(tmp_path):
    """Settings for the system under test; a test may change them before ``system`` starts."""
    values = service_settings()
    values.update({
        "DIRECTORY_FILE": str(DEPLOY / "directory.yml"),
        "POLICY_FILE": str(DEPLOY / "policy.yml"),
        "OVERDUE_CHECK_SECONDS": 0.2,
        "CALLBACK": {"delay_minutes": 0, "window": {"start": "00:00", "end": "24:00"},
                     "max_attempts": 3, "retry_minutes": 0, "lease_seconds": 30},
    })
    return values


@pytest.fixture
def system(rabbit_config, storage_config, settings, runner_factory):
    """Start intake, dispatch, callback and ledger; yield the config a client needs."""
    config = {**settings, **rabbit_config, **storage_config}
    runner = runner_factory(config, *SERVICES)
    runner.start()
    yield config
    runner.stop()


@pytest.fixture
def rpc(system):
    with ClusterRpcProxy(system, timeout=10) as proxy:
        yield proxy
