"""Generated bad input at every intake RPC: only documented errors, nothing stored, no
event sent, and intake still serves a valid call afterwards (bad_input.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "intake"))
from bad_input import Served, assert_refused, rpc_tests, worker  # noqa: E402
from intake_support import CONFIG, lamp_request  # noqa: E402

from services.intake.service import IntakeService  # noqa: E402
from services.intake.store import TicketStore  # noqa: E402

AGENT = {"id": "agent-1", "name": "话务员 李琳", "role": "agent", "unit_id": None}
SUPERVISOR = {"id": "wang", "name": "督办员老王", "role": "supervisor", "unit_id": None}


def valid(first_ticket_no: str | None) -> dict:
    """Valid arguments of each RPC, ``first_ticket_no`` a ticket intake received."""
    return {
        "parked_count": {"actor": st.sampled_from([AGENT, SUPERVISOR])},
        "create_ticket": {"request": st.sampled_from([
            lamp_request(), lamp_request(external_id="call-1", urgency="urgent", merge=False),
            lamp_request(kind="praise", praise={"ticket_no": None, "unit_id": "grid-1"}),
            lamp_request(kind="consult", answer="请到街道服务中心办理")]), "actor": AGENT},
        "get_ticket": {"ticket_no": first_ticket_no, "actor": AGENT},
    }


@pytest.fixture
def served(database) -> Served:
    service, db = worker(IntakeService, TicketStore, database, CONFIG, request_id=None)
    first = service.create_ticket(lamp_request(external_id="first"), AGENT)["ticket_no"]
    return Served(service, [db], first, lambda: service.get_ticket(first, AGENT))


test_every_rpc_is_tried, test_bad_input_gets_a_documented_error_and_changes_nothing = \
    rpc_tests(IntakeService, valid)


# Found by the generated input: a lone surrogate passed validation and was stored, which a
# real MongoDB cannot encode (a 500 far from the caller).
@pytest.mark.parametrize("request_", [
    lamp_request(description="路灯\ud800不亮"),
    lamp_request(caller={"name": "王\udfff阿姨", "phone": "13812345678"}),
])
def test_a_lone_surrogate_is_refused_as_invalid(served, request_):
    assert_refused(served.service, served.databases,
                   lambda: served.service.create_ticket(request_, AGENT))
