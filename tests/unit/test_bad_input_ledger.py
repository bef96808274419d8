"""Generated bad input at every ledger RPC: only documented errors, nothing stored, and the
ledger still serves a valid call afterwards (bad_input.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "ledger"))
from bad_input import Served, rpc_tests, worker  # noqa: E402
from ledger_events import READER, said  # noqa: E402

from services.ledger.service import LedgerService  # noqa: E402
from services.ledger.store import LedgerStore  # noqa: E402

NO = "YP20261123-0001"
DAYS = st.sampled_from(["2026-11-01", "2026-11-23", "2026-11-22T16:00:00.000Z"])
GROUPS = st.sampled_from([None, ["unit"], ["subdistrict", "category"]])
INTERVALS = st.sampled_from([None, "day", "week"])


def valid(_context: None) -> dict:
    """Valid arguments of each RPC."""
    return {
        "parked_count": {"actor": READER},
        "timeline": {"ticket_no": NO, "actor": READER},
        "ticket_view": {"ticket_no": NO, "actor": READER},
        "tickets": {"actor": READER,
                    "start": st.sampled_from([None, "2026-11-01T00:00:00.000Z"]), "end": None,
                    "status": st.sampled_from([None, "open", "closed"]), "limit": 100,
                    "ticket_nos": st.sampled_from([None, [NO]]),
                    "categories": st.sampled_from([None, ["street_light"]])},
        "public_requests": {"start": st.sampled_from([None, "2026-11-01T00:00:00.000Z"]),
                            "end": None, "status": st.sampled_from([None, "open", "closed"]),
                            "limit": 100, "ticket_nos": st.sampled_from([None, [NO]]),
                            "categories": st.sampled_from([None, ["street_light"]])},
        "public_request": {"ticket_no": NO},
        "search": {"actor": READER,
                   "query": st.sampled_from([{}, {"words": "路灯", "phone": "138 1234 5678"},
                                             {"states": ["closed"], "sort": "oldest",
                                              "limit": 5, "offset": 1}])},
        "tickets_of_resident": {"resident_id": st.sampled_from(["r-1", "R-nobody"]),
                                "actor": READER},
        "indicators": {"actor": READER, "start": DAYS, "end": "2026-12-01", "group_by": GROUPS,
                       "interval": INTERVALS},
        "indicators_xlsx": {"actor": READER, "start": DAYS, "end": "2026-12-01", "group_by": GROUPS,
                            "interval": INTERVALS},
        "recent": {"actor": READER, "limit": st.integers(1, 500)},
        "verify": {"actor": READER, "ticket_no": st.sampled_from([None, NO])},
        "changes": {"actor": READER,
                    "scope": st.sampled_from(["centre", "supervision", "queue:yinhang-grid-1"]),
                    "since": st.sampled_from([None, "2026-11-23T02:00:00.000Z"])},
    }


@pytest.fixture
def served(database) -> Served:
    service, db = worker(LedgerService, LedgerStore, database)
    for event_type in ("ticket_created", "ticket_dispatched", "ticket_accepted"):
        getattr(service, f"on_{event_type}")(said(event_type, NO, "2026-11-23T02:00:00.000Z"))
    return Served(service, [db], None, lambda: service.timeline(NO, READER))


test_every_rpc_is_tried, test_bad_input_gets_a_documented_error_and_changes_nothing = \
    rpc_tests(LedgerService, valid)
