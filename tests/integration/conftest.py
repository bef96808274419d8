"""The services together in this process, against RabbitMQ on localhost, in a vhost
of the test's own (``rabbit_config``), each service as its own broker user and with its
own database (``storage_config``); clients connect as the console's user."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from integration_support import SERVICES, PartRunners
from nameko.standalone.rpc import ClusterRpcProxy

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


# How long a service's queue consumer waits for a message before it looks for work of its
# own (kombu's ConsumerMixin: one second, as in production): cancelling its consumers and
# ending are such work, so a service takes two or three of these waits to stop, and every
# test stops the services it started. Shorter waits change when a stop is noticed, not
# what the services do; they took the teardown of a test's system from 2.7 s to 0.3 s.
CONSUMER_WAIT_SECONDS = 0.1


@pytest.fixture(scope="session", autouse=True)
def services_stop_promptly():
    """Each service's queue consumer waits CONSUMER_WAIT_SECONDS at a time for messages."""
    from kombu.mixins import ConsumerMixin
    from nameko.messaging import QueueConsumer

    def run(self, **kwargs):
        return ConsumerMixin.run(self, safety_interval=CONSUMER_WAIT_SECONDS, **kwargs)

    patch = pytest.MonkeyPatch()
    patch.setattr(QueueConsumer, "run", run, raising=False)
    yield
    patch.undo()


@pytest.fixture
def rabbit_config(vhost_pipeline, broker_users):
    """nameko's fixture of the same name, with the parts' users: a fresh vhost where the
    run's hotline users have their rights; ``AMQP_URI`` is the console's (a client's), and
    ``BROKER_URIS`` each user's, by name (``runner_factory`` starts each service with its
    own)."""
    with vhost_pipeline.get() as vhost:
        uris = broker_users.grant(vhost)
        yield {"AMQP_URI": uris["console"], "vhost": vhost, "BROKER_URIS": uris}


@pytest.fixture
def runner_factory():
    """nameko's fixture of the same name, each service as its own broker user
    (integration_support.PartRunners); killed at the end of the test."""
    made: list[PartRunners] = []

    def make_runner(config: dict, *service_classes) -> PartRunners:
        runner = PartRunners(config, *service_classes)
        made.append(runner)
        return runner

    yield make_runner
    for runner in made:
        try:
            runner.kill()
        except Exception:  # already stopped by the test
            pass


def service_settings() -> dict:
    """Every service's own settings from its deploy/ config, minus broker and storage."""
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()  # read the files as `nameko run` does: ${VAR:default} filled in
    settings: dict = {}
    for service in SERVICES:
        name = service.name
        text = (DEPLOY / f"{name}.yml").read_text(encoding="utf-8")
        loaded = yaml.safe_load(text)
        for key, value in loaded.items():
            if key not in ("AMQP_URI", "MONGO_URI", "DATABASE", "LOGGING"):
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
    """Start every service of SERVICES; yield the config a client needs."""
    config = {**settings, **rabbit_config, **storage_config}
    runner = runner_factory(config, *SERVICES)
    runner.start()
    yield config
    runner.stop()


@pytest.fixture
def rpc(system):
    with ClusterRpcProxy(system, timeout=10) as proxy:
        yield proxy


# The console's tests share one running system per test module: starting the services
# takes seconds, and each test works tickets of its own.
CONSOLE_USERS = {
    "admin": {"username": "admin", "name": "系统管理员", "role": "admin", "unit_id": None},
    "agent": {"username": "zhou", "name": "话务员小周", "role": "agent", "unit_id": None},
    "dispatcher": {"username": "chen", "name": "派单员老陈", "role": "dispatcher",
                   "unit_id": "centre"},
    "supervisor": {"username": "wang", "name": "督办员老王", "role": "supervisor",
                   "unit_id": None},
    "grid": {"username": "li", "name": "网格员李琳", "role": "unit_staff",
             "unit_id": "yinhang-grid-1"},
    "kaichen": {"username": "kc", "name": "凯晨物业小张", "role": "unit_staff",
                "unit_id": "kaichen-property"},
}
CONSOLE_PASSWORD = "test-password-1"
# console_system's services by its AMQP_URI, for a test that stops one part of them
CONSOLE_RUNNERS: dict[str, PartRunners] = {}


@pytest.fixture(scope="module")
def console_system(rabbit_manager, broker_users):
    """The services in a vhost of this module's own, each as its own broker user, with the
    console's users of CONSOLE_USERS (password CONSOLE_PASSWORD); yields the clients'
    config (the console's broker user)."""
    import uuid

    from services.shared import storage

    vhost = f"hotline_console_{uuid.uuid4().hex[:8]}"
    rabbit_manager.create_vhost(vhost)
    uris = broker_users.grant(vhost)
    prefix = f"c{uuid.uuid4().hex[:8]}_"
    config = {**service_settings(), "DIRECTORY_FILE": str(DEPLOY / "directory.yml"),
              "POLICY_FILE": str(DEPLOY / "policy.yml"), "OVERDUE_CHECK_SECONDS": 1,
              "CALLBACK": {"delay_minutes": 0, "window": {"start": "00:00", "end": "24:00"},
                           "retry_minutes": 0},
              "AMQP_URI": uris["console"], "BROKER_URIS": uris,
              "MONGO_URI": f"mongomock://console-{prefix}", "DATABASE_PREFIX": prefix}
    runner = PartRunners(config, *SERVICES)
    runner.start()
    CONSOLE_RUNNERS[config["AMQP_URI"]] = runner
    with ClusterRpcProxy(config, timeout=10) as rpc:
        admin = CONSOLE_USERS["admin"]
        rpc.accounts.create_first_admin({"username": admin["username"], "name": admin["name"],
                                         "password": CONSOLE_PASSWORD})
        admin_actor = {"id": "admin", "name": admin["name"], "role": "admin", "unit_id": None}
        for key, user in CONSOLE_USERS.items():
            if key != "admin":
                rpc.accounts.create_user({**user, "password": CONSOLE_PASSWORD}, admin_actor)
    yield config
    runner.kill()
    CONSOLE_RUNNERS.pop(config["AMQP_URI"], None)
    storage.forget_memory(config["MONGO_URI"])
    rabbit_manager.delete_vhost(vhost)


@pytest.fixture(scope="module")
def console_app(console_system):
    """The console (Flask) talking to ``console_system`` over RPC, as gunicorn would run it."""
    from services.console.app import create_app
    from services.console.settings import Settings

    app = create_app(Settings(amqp_uri=console_system["AMQP_URI"], secret_key="test-secret",
                              testing=True))
    yield app
    app.extensions["hotline_services"].close()
