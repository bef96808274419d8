"""The ledger's unit-test setup: a LedgerService on an in-memory store."""
import pytest
from nameko.testing.services import worker_factory

from services.ledger.service import LedgerService
from services.ledger.store import LedgerStore


@pytest.fixture
def store(database):
    store = LedgerStore(database("ledger"))
    store.ensure_indexes()
    return store


@pytest.fixture
def service(store):
    return worker_factory(LedgerService, store=store)


@pytest.fixture
def deliver(service):
    """Hand envelopes to the service's handlers, as the broker would, in the given order."""
    def deliver(*envelopes):
        for envelope in envelopes:
            getattr(service, f"on_{envelope['event_type']}")(envelope)
    return deliver
