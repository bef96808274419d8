"""The register's unit-test setup: a RegisterService on an in-memory store, dispatch's
directory naming the demo's units, and the ledger a stand-in asked for tickets."""
import pytest
from nameko.testing.services import worker_factory

from services.register.service import RegisterService
from services.register.store import RegisterStore

UNITS = [{"id": "yinhang-grid-1", "name": "殷行街道第一网格工作站", "kind": "grid"},
         {"id": "kaichen-property", "name": "凯晨物业", "kind": "property"}]


@pytest.fixture
def store(database):
    store = RegisterStore(database("register"))
    store.ensure_indexes()
    return store


@pytest.fixture
def service(store):
    service = worker_factory(RegisterService, store=store)
    service.directory.get_directory.return_value = {"units": UNITS, "places": [], "rules": []}
    return service
