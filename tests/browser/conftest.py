"""The real-browser tests: the whole system as it runs on one machine, driven through
Chromium. They run only with ``--browser``, in a pytest process of their own (eventlet
must not patch playwright): ``pytest -q --browser tests/browser``.

Started once for the session, each part its own process as ``make run`` starts them
(deploy/single_machine.py): the services (``nameko run``) against a fresh RabbitMQ
vhost made through the management API and deleted after, each part as its own broker
user (the run's, tests/conftest.py ``broker_users``), on an embedded store in a
temporary folder; the console under gunicorn on a free port; then the demo logins and
stories (deploy/demo/load.py). Screenshots go to var/test-output/screenshots/.
"""
from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import socket
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "var" / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
MANAGEMENT = os.environ.get("RABBIT_MANAGEMENT", "http://guest:guest@localhost:15672")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    if config.getoption("--browser"):
        return
    skip = pytest.mark.skip(reason="a real-browser test: run with --browser, in its own "
                                   "pytest process (make browser)")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, config):
    if config.getoption("--browser") and SCREENSHOTS.exists():
        shots = sorted(SCREENSHOTS.glob("*.png"))
        terminalreporter.write_line(f"browser: {len(shots)} screenshots in {SCREENSHOTS}")


def module_at(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Vhost:
    """A RabbitMQ vhost of this run's own, through the management API."""

    def __init__(self):
        import requests

        self.requests = requests
        self.name = f"hotline_browser_{uuid.uuid4().hex[:8]}"
        self.url, self.auth = self._split(MANAGEMENT)

    @staticmethod
    def _split(uri: str) -> tuple[str, tuple[str, str]]:
        scheme, rest = uri.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user, password = credentials.split(":", 1)
        return f"{scheme}://{host}/api", (user, password)

    def create(self) -> str:
        self.requests.put(f"{self.url}/vhosts/{self.name}", auth=self.auth,
                          timeout=10).raise_for_status()
        return self.name

    def delete(self) -> None:
        self.requests.delete(f"{self.url}/vhosts/{self.name}", auth=self.auth, timeout=10)


@pytest.fixture(scope="session")
def running_system(tmp_path_factory, broker_users):
    """The whole system, started as ``make run`` starts it; yields {url, tickets (demo
    ticket number by story external_id), logins (deploy/demo/users.yml), amqp_uri (the
    console's broker user)}."""
    launcher = module_at(ROOT / "deploy" / "single_machine.py")
    vhost = Vhost()
    uris = broker_users.grant(vhost.create())
    amqp_uri = uris["console"]
    logs = OUTPUT / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    env = {**os.environ,
           "MONGO_URI": f"litemongo:{tmp_path_factory.mktemp('data')}",
           "CONSOLE_BIND": f"127.0.0.1:{free_port()}", "CONSOLE_WORKERS": "2",
           "CONSOLE_SECRET_KEY": secrets.token_urlsafe(32), "CONSOLE_PLAIN_HTTP": "1",
           "PYTHONUNBUFFERED": "1",
           "CALLBACK_DELAY_MINUTES": "60", "LOG_LEVEL": "INFO"}
    parts = {}
    try:
        parts.update(launcher.start_services(env, uris, logs, init=True))
        parts["console"] = launcher.start_console(env, uris, logs)
        demo = module_at(ROOT / "deploy" / "demo" / "load.py")
        numbers = demo.load(amqp_uri)
        stories = demo.yaml.safe_load(demo.STORIES.read_text(encoding="utf-8"))
        yield {"url": launcher.console_url(env), "amqp_uri": amqp_uri,
               "tickets": {story["external_id"]: number
                           for story, number in zip(stories, numbers, strict=True)},
               "units": holding_units(demo, amqp_uri, numbers),
               "logins": launcher.demo_logins()}
    finally:
        launcher.stop(parts)
        vhost.delete()


def holding_units(demo, amqp_uri: str, numbers: list[str]) -> dict[str, str | None]:
    """The unit holding each demo ticket, as dispatch says."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as rpc:
        return {number: demo.wait_for_status(rpc, number)["unit_id"] for number in numbers}


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder for this run's screenshots, emptied first."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
