"""Generated bad input at every callback RPC: only documented errors, nothing stored, no
event sent, and callback still serves a valid call afterwards (bad_input.py)."""
from __future__ import annotations

import pytest
from bad_input import Served, assert_refused, rpc_tests, worker
from hypothesis import strategies as st

from services.callback.service import CallbackService
from services.callback.store import TaskStore
from services.shared.events import new_event
from services.shared.payloads import event_data

NO = "YP20261123-0001"
WORKERS = st.sampled_from(["dialer-1", "dialer-2"])
CONFIG = {"CALLBACK": {"delay_minutes": 0, "window": {"start": "00:00", "end": "24:00"},
                       "max_attempts": 3, "retry_minutes": 60, "lease_seconds": 120}}

# an admin of the whole city reads; the callback workers' account works the tasks
READER = {"id": "admin", "name": "管理员", "role": "admin", "unit_id": None}
CALLBACK_WORKER = {"id": "dialer", "name": "自动回访外呼", "role": "callback_worker",
                   "unit_id": None}



def valid(task_id: str | None) -> dict:
    """Valid arguments of each RPC, ``task_id`` a task held by dialer-1."""
    return {
        "parked_count": {"actor": st.sampled_from([READER, CALLBACK_WORKER])},
        "claim": {"worker_id": WORKERS, "actor": CALLBACK_WORKER},
        "complete": {"task_id": task_id, "worker_id": WORKERS, "actor": CALLBACK_WORKER,
                     "outcome": st.sampled_from(["satisfied", "unsatisfied", "unreachable",
                                                 "answered"]),
                     "note": st.sampled_from([None, "市民表示满意"])},
        "get_task": {"task_id": task_id, "actor": READER},
        "tasks_for_ticket": {"ticket_no": NO, "actor": READER},
        "checkins_for": {"resident_id": "R-0001", "actor": READER,
                         "limit": st.integers(1, 500)},
    }


def resolved(ticket_no: str) -> dict:
    caller = {"name": "王阿姨", "phone": "13812345678", "anonymous": False}
    return new_event("dispatch", "ticket_resolved",
                     event_data("ticket_resolved", unit_id="grid-1", resolution="路灯已修复",
                                caller=caller), ticket_no=ticket_no)


@pytest.fixture
def served(database) -> Served:
    service, db = worker(CallbackService, TaskStore, database, CONFIG, request_id=None)
    for ticket_no in (NO, "YP20261123-0002", "YP20261123-0003"):
        service.schedule_callback(resolved(ticket_no))
    held = service.claim("dialer-1", CALLBACK_WORKER)["task_id"]
    return Served(service, [db], held, lambda: service.get_task(held, READER))


test_every_rpc_is_tried, test_bad_input_gets_a_documented_error_and_changes_nothing = \
    rpc_tests(CallbackService, valid)


def test_a_lone_surrogate_in_a_note_is_refused_as_invalid(served):
    """Found by the generated input elsewhere: stored, it could not be encoded by MongoDB."""
    assert_refused(served.service, served.databases, lambda: served.service.complete(
        served.context, "dialer-1", "satisfied", CALLBACK_WORKER, "满意\ud800"))
