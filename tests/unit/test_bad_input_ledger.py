"""Generated bad input at every ledger RPC, the record's and the register's alike: only
documented errors, nothing stored, no event sent, and the ledger still serves a valid call
afterwards (bad_input.py). A spreadsheet to import may be any bytes at all."""
from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "ledger"))
from bad_input import Served, assert_refused, rpc_tests, worker  # noqa: E402
from ledger_events import said  # noqa: E402
from test_register_residents import ADMIN, AGENT, GRID, PROPERTY, SUPERVISOR, zhang  # noqa: E402
from test_register_sheets import committee_sheet  # noqa: E402

from services.ledger.service import LedgerService  # noqa: E402
from services.ledger.store import LedgerStore  # noqa: E402

NO = "YP20261123-0001"
ACTORS = st.sampled_from([ADMIN, GRID, PROPERTY, AGENT, SUPERVISOR])
MAYBE_ACTOR = st.sampled_from([None, ADMIN, GRID])
SHEETS = st.one_of(st.just(committee_sheet()),
                   st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode()))
DAYS = st.sampled_from(["2026-11-01", "2026-11-23", "2026-11-22T16:00:00.000Z"])
GROUPS = st.sampled_from([None, ["unit"], ["subdistrict", "category"]])
INTERVALS = st.sampled_from([None, "day", "week"])
GRID_UNITS = st.sampled_from([None, "yinhang-grid-1"])
FILTERS = {"place": st.sampled_from([None, "杨浦区/殷行街道"]),
           "living_status": st.sampled_from([None, "alone"]),
           "group": st.sampled_from([None, "childless"]), "min_age": st.sampled_from([None, 80])}


def valid(resident_id: str | None) -> dict:
    """Valid arguments of each RPC, ``resident_id`` a resident of yinhang-grid-1."""
    return {
        "timeline": {"ticket_no": NO},
        "ticket_view": {"ticket_no": NO},
        "tickets": {"start": st.sampled_from([None, "2026-11-01T00:00:00.000Z"]), "end": None,
                    "status": st.sampled_from([None, "open", "closed"]), "limit": 100,
                    "ticket_nos": st.sampled_from([None, [NO]]),
                    "categories": st.sampled_from([None, ["street_light"]])},
        "indicators": {"start": DAYS, "end": "2026-12-01", "group_by": GROUPS,
                       "interval": INTERVALS},
        "indicators_xlsx": {"start": DAYS, "end": "2026-12-01", "group_by": GROUPS,
                            "interval": INTERVALS},
        "recent": {"limit": st.integers(1, 500)},
        "verify": {"ticket_no": st.sampled_from([None, NO])},
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
    }


@pytest.fixture
def served(database) -> Served:
    service, db = worker(LedgerService, LedgerStore, database)
    for event_type in ("ticket_created", "ticket_dispatched", "ticket_accepted"):
        getattr(service, f"on_{event_type}")(said(event_type, NO, "2026-11-23T02:00:00.000Z"))
    resident_id = service.add_resident(zhang(), ADMIN)["resident_id"]
    return Served(service, [db], resident_id, lambda: service.timeline(NO))


test_every_rpc_is_tried, test_bad_input_gets_a_documented_error_and_changes_nothing = \
    rpc_tests(LedgerService, valid)


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
