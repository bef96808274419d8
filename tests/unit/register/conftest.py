"""The register's unit-test setup: a RegisterService on an in-memory store, dispatch's
directory naming the demo's units, and the ledger a stand-in asked for tickets."""
import pytest
from nameko.testing.services import worker_factory

from services.register.service import RegisterService
from services.register.store import RegisterStore

UNITS = [{"id": "yinhang-grid-1", "name": "殷行街道第一网格工作站", "kind": "grid"},
         {"id": "kaichen-property", "name": "凯晨物业", "kind": "property"}]
# Who reads the register in these tests, and where its lone resident lives.
ADMIN = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
GRID = {"id": "zhou", "name": "网格员 周伟", "role": "unit_staff", "unit_id": "yinhang-grid-1"}
PROPERTY = {"id": "wang", "name": "凯晨物业 王丽", "role": "unit_staff",
            "unit_id": "kaichen-property"}
ADDRESS = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
           "estate": "开鲁新村", "building": "12号", "room": "302"}


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


@pytest.fixture
def resident(service) -> dict:
    """孤老张老伯, of the grid workstation's register, added by its staff."""
    return service.add_resident({"name": "孤老张老伯", "phones": ["13800000001"],
                                 "address": ADDRESS, "grid_unit_id": "yinhang-grid-1"}, GRID)
