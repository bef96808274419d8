"""Fixtures for intake's unit tests: the service built by worker_factory on a real store
over the test's database."""
from __future__ import annotations

import pytest
from intake_support import CONFIG
from nameko.testing.services import worker_factory

from services.intake.service import IntakeService
from services.intake.store import TicketStore


@pytest.fixture
def store(database) -> TicketStore:
    store = TicketStore(database("intake"))
    store.ensure_indexes()
    return store


@pytest.fixture
def service(store):
    # calls without a request id, received each time; a test of redelivered requests gives
    # service.request_id the id its call comes with
    service = worker_factory(IntakeService, store=store, request_id=None)
    service.config = CONFIG
    return service
