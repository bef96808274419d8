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
    """The ledger, with dispatch holding just the tickets it recorded (verify's counts)."""
    from services.shared import ticket_counts

    ledger = worker_factory(LedgerService, store=store)
    ledger.dispatch.ticket_counts.side_effect = \
        lambda actor: ticket_counts.by_day(store.created_numbers())
    return ledger


@pytest.fixture
def deliver(service):
    """Hand envelopes to the service's handlers, as the broker would, in the given order."""
    def deliver(*envelopes):
        for envelope in envelopes:
            getattr(service, f"on_{envelope['event_type']}")(envelope)
    return deliver
