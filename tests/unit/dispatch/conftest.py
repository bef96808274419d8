"""Fixtures for dispatch's unit tests: the clock, and the service built by worker_factory
on a real store over mongomock holding the small test directory."""
from __future__ import annotations

import pytest
from dispatch_support import DIRECTORY, POLICY, START, Clock, colleagues
from nameko.testing.services import worker_factory

from services.dispatch.directory import checked
from services.dispatch.policy import Policy
from services.dispatch.service import DispatchService
from services.dispatch.store import TicketStateStore
from services.shared import clock


@pytest.fixture
def now(monkeypatch) -> Clock:
    fake = Clock(START)
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def store(database) -> TicketStateStore:
    store = TicketStateStore(database("dispatch"))
    store.ensure_indexes()
    store.replace_directory(checked(DIRECTORY))
    return store


@pytest.fixture
def service(store, now):
    # calls without a request id, carried out each time; a test of redelivered requests
    # gives service.request_id the id its call comes with
    made = worker_factory(DispatchService, store=store, policy=Policy(POLICY), request_id=None)
    # accounts' word on a unit's active staff (assign): the test actors of each unit and a
    # second person of it
    made.accounts.colleagues.side_effect = colleagues
    return made
