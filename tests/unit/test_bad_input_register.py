"""Generated bad input at every register RPC: only documented errors, nothing stored, no
event sent, and the register still serves a valid call afterwards (bad_input.py). A
spreadsheet to import may be any bytes at all."""
from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "register"))
from bad_input import Served, assert_refused, rpc_tests, worker  # noqa: E402
from conftest import UNITS  # noqa: E402
from test_register_residents import ADMIN, AGENT, GRID, PROPERTY, SUPERVISOR, zhang  # noqa: E402
from test_register_sheets import committee_sheet  # noqa: E402

from services.register.service import RegisterService  # noqa: E402
from services.register.store import RegisterStore  # noqa: E402

ACTORS = st.sampled_from([ADMIN, GRID, PROPERTY, AGENT, SUPERVISOR])
MAYBE_ACTOR = st.sampled_from([None, ADMIN, GRID])
SHEETS = st.one_of(st.just(committee_sheet()),
                   st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode()))
GRID_UNITS = st.sampled_from([None, "yinhang-grid-1"])
FILTERS = {"place": st.sampled_from([None, "杨浦区/殷行街道"]),
           "living_status": st.sampled_from([None, "alone"]),
           "group": st.sampled_from([None, "childless"]), "min_age": st.sampled_from([None, 80])}


def valid(resident_id: str | None) -> dict:
    """Valid arguments of each RPC, ``resident_id`` a resident of yinhang-grid-1."""
    return {
        "parked_count": {"actor": ACTORS},
        "add_resident": {"resident": zhang(name="吴大娘", phones=["13800000009"]),
                         "actor": ACTORS},
        "change_resident": {"resident_id": resident_id, "changes": {"hobbies": "下棋"},
                            "actor": ACTORS, "version": st.sampled_from([None, 1])},
        "retire_resident": {"resident_id": resident_id, "actor": ACTORS, "reason": "迁出"},
        "pause_checkins": {"resident_id": resident_id, "actor": ACTORS,
                           "until": st.sampled_from([None, "2026-12-20"]), "reason": "住院"},
        "resume_checkins": {"resident_id": resident_id, "actor": ACTORS, "reason": None},
        "get_resident": {"resident_id": resident_id, "actor": ACTORS},
        "tickets_of_resident": {"resident_id": resident_id, "actor": ACTORS},
        "find_residents": {"actor": ACTORS, "phone": st.sampled_from([None, "13800000001"]),
                           **FILTERS, "grid_unit_id": GRID_UNITS,
                           "include_retired": st.booleans(), "limit": 1000},
        "birthdays": {"grid_unit_id": "yinhang-grid-1",
                      "start": st.sampled_from([None, "2026-11-23"]),
                      "days": 7, "actor": MAYBE_ACTOR},
        "register_words": {"actor": ACTORS},
        "register_template": {},
        "import_register": {"content_base64": SHEETS, "filename": "开鲁新村台账.xlsx",
                            "actor": ACTORS, "dry_run": st.booleans(),
                            "rows": st.sampled_from([None, [3, 4]]), "batch_id": None},
        "export_register": {"actor": ACTORS, "grid_unit_id": GRID_UNITS, **FILTERS},
        "card_views": {"resident_id": resident_id, "actor": ACTORS,
                       "limit": st.integers(1, 1000)},
    }


@pytest.fixture
def served(database) -> Served:
    service, db = worker(RegisterService, RegisterStore, database)
    service.directory.get_directory.return_value = {"units": UNITS, "places": [], "rules": []}
    service.ledger.tickets_of_resident.return_value = []
    resident_id = service.add_resident(zhang(), ADMIN)["resident_id"]
    return Served(service, [db], resident_id,
                  lambda: service.get_resident(resident_id, ADMIN))


test_every_rpc_is_tried, test_bad_input_gets_a_documented_error_and_changes_nothing = \
    rpc_tests(RegisterService, valid)


# A lone surrogate reaching a query (place, group) or the register fails in a real MongoDB,
# which cannot encode it; each is now InvalidRequest.
@pytest.mark.parametrize("step", [
    lambda service: service.find_residents(ADMIN, place="杨浦区/\ud800"),
    lambda service: service.find_residents(ADMIN, group="\ud800"),
    lambda service: service.export_register(ADMIN, place="杨浦区/\udfff"),
    lambda service: service.add_resident(zhang(name="吴\ud800大娘", phones=["13800000009"]), ADMIN),
])
def test_a_lone_surrogate_is_refused_as_invalid(served, step):
    assert_refused(served.service, served.databases, lambda: step(served.service))
