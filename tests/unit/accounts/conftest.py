"""Fixtures for the accounts unit tests: the clock, and the service built by
worker_factory on a real store over mongomock, asking a stand-in dispatch about units."""
from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from accounts_support import ADMIN, CHEAP, FIRST, START, UNITS, WANG, ZHANG, Dispatch

sys.path.insert(0, str(Path(__file__).parents[1]))
from bad_input import worker  # noqa: E402  tests/unit/bad_input.py: a service on its store

from services.accounts import credentials  # noqa: E402
from services.accounts.service import AccountsService  # noqa: E402
from services.accounts.store import AccountStore  # noqa: E402
from services.shared import clock  # noqa: E402


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch) -> None:
    monkeypatch.setattr(credentials, "HASHER", CHEAP)


@pytest.fixture
def now(monkeypatch) -> SimpleNamespace:
    """The time the service sees; a test moves it on (``now.moment += 30 * SECOND``)."""
    time = SimpleNamespace(moment=START)
    monkeypatch.setattr(clock, "now", lambda: time.moment)
    return time


@pytest.fixture
def dispatch() -> Dispatch:
    return Dispatch(UNITS)


@pytest.fixture
def service(database, dispatch, now) -> AccountsService:
    service, _ = worker(AccountsService, AccountStore, database, directory=dispatch)
    return service


@pytest.fixture
def store(service) -> AccountStore:
    return service.store


@pytest.fixture
def users(service):
    """The first admin, then unit staff of kaichen and a dispatcher at the centre."""
    service.create_first_admin(FIRST)
    service.create_user(WANG, ADMIN)
    service.create_user(ZHANG, ADMIN)
    return service
