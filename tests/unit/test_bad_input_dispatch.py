"""Generated bad input at every dispatch RPC: only documented errors, nothing stored, no
event sent, and dispatch still serves a valid call afterwards (bad_input.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "dispatch"))
from bad_input import Served, assert_refused, rpc_tests, worker  # noqa: E402
from dispatch_support import (  # noqa: E402
    ADMIN,
    DIRECTORY,
    DISPATCHER,
    GRID,
    KAICHEN,
    KAILU,
    NO,
    POLICY,
    START,
    SUPERVISOR,
    Clock,
    colleagues,
    created_event,
    jpeg,
    upload,
)

from services.dispatch.directory import checked  # noqa: E402
from services.dispatch.policy import Policy  # noqa: E402
from services.dispatch.service import DispatchService  # noqa: E402
from services.dispatch.store import TicketStateStore  # noqa: E402
from services.shared import clock  # noqa: E402
from services.shared.files import DiskFiles  # noqa: E402

ACTORS = st.sampled_from([ADMIN, DISPATCHER, SUPERVISOR, KAICHEN, GRID])
NOTE = st.sampled_from([None, "请尽快处理", "已电话联系，约定明天上门"])
UNIT = st.sampled_from(["grid-1", "kaichen", "kailu-committee", "centre"])
VALID = {
    "parked_count": {"actor": ACTORS},
    "get_status": {"ticket_no": NO, "actor": ACTORS},
    "queue": {"unit_id": UNIT, "actor": ACTORS, "states": st.sampled_from([None, ["dispatched"]])},
    "accept": {"ticket_no": NO, "actor": ACTORS},
    "return_ticket": {"ticket_no": NO, "actor": ACTORS, "reason": "不属于本单位职责"},
    "record_contact": {"ticket_no": NO, "actor": ACTORS, "note": NOTE},
    "resolve": {"ticket_no": NO, "actor": ACTORS, "resolution": "已安装扶手"},
    "reassign": {"ticket_no": NO, "actor": ACTORS, "unit_id": UNIT, "note": NOTE},
    "supervision": {"actor": ACTORS},
    "urge": {"ticket_no": NO, "actor": ACTORS, "note": "请尽快处理"},
    "request_extension": {"ticket_no": NO, "actor": ACTORS, "until": "2026-12-05T02:00:00.000Z",
                          "reason": "需等待配件", "deadline": "resolve"},
    "decide_extension": {"ticket_no": NO, "actor": ACTORS, "approve": st.booleans(),
                         "note": NOTE},
    "request_pause": {"ticket_no": NO, "actor": ACTORS, "reason": "市民外出",
                      "resume_on": st.sampled_from([None, "2026-12-01T01:00:00.000Z"])},
    "decide_pause": {"ticket_no": NO, "actor": ACTORS, "approve": st.booleans(), "note": NOTE},
    "resume": {"ticket_no": NO, "actor": ACTORS},
    "add_assist": {"ticket_no": NO, "actor": ACTORS, "unit_id": UNIT, "note": NOTE},
    "accept_assist": {"ticket_no": NO, "actor": ACTORS},
    "report_assist": {"ticket_no": NO, "actor": ACTORS, "report": "扶手已安装"},
    "release_assist": {"ticket_no": NO, "actor": ACTORS, "unit_id": UNIT, "note": NOTE},
    "assign": {"ticket_no": NO, "actor": ACTORS,
               "username": st.sampled_from(["unit_staff-kaichen", "second-kaichen", "nobody"])},
    "add_note": {"ticket_no": NO, "actor": ACTORS, "note": "老人下午在家"},
    "attach": {"ticket_no": NO, "actor": ACTORS, "files": [upload("现场.jpg", jpeg())]},
    "get_attachment": {"ticket_no": NO, "attachment_id": "0" * 32, "actor": ACTORS,
                       "thumbnail": st.booleans()},
    "route": {"address": KAILU, "category": "home_repair", "actor": ACTORS},
    "get_directory": {"actor": ACTORS},
    "ticket_counts": {"actor": ACTORS},
    "get_unit": {"unit_id": UNIT, "actor": ACTORS},
    "load_directory": {"directory": DIRECTORY, "actor": ACTORS},
    "put_unit": {"unit": {"id": "jiedao", "name": "殷行街道办", "kind": "department",
                          "place": "杨浦区/殷行街道"}, "actor": ACTORS},
    "put_rule": {"rule": {"category": "parking", "place": "杨浦区/殷行街道", "unit_id": "grid-1"},
                 "actor": ACTORS},
    "remove_rule": {"rule": {"category": "street_light", "place": "杨浦区/殷行街道"},
                    "actor": ACTORS},
}


@pytest.fixture
def served(database, monkeypatch, tmp_path) -> Served:
    monkeypatch.setattr(clock, "now", Clock(START))
    service, db = worker(DispatchService, TicketStateStore, database, policy=Policy(POLICY),
                         request_id=None, files=DiskFiles(tmp_path / "files"))
    service.store.replace_directory(checked(DIRECTORY))
    service.accounts.colleagues.side_effect = colleagues  # accounts' word on a unit's staff
    service.on_ticket_created(created_event(NO))
    return Served(service, [db], None, lambda: service.get_status(NO, ADMIN))


test_every_rpc_is_tried, test_bad_input_gets_a_documented_error_and_changes_nothing = \
    rpc_tests(DispatchService, lambda _: VALID)


# Found by the generated input: a lone surrogate in a note or a unit's name was stored,
# which a real MongoDB cannot encode. Each is now InvalidRequest.
@pytest.mark.parametrize("step", [
    lambda service: service.urge(NO, DISPATCHER, "请尽快\ud800"),
    lambda service: service.put_unit({"id": "jiedao", "name": "殷行\udfff", "kind": "department",
                                      "place": "杨浦区/殷行街道"}, ADMIN),
])
def test_a_lone_surrogate_is_refused_as_invalid(served, step):
    assert_refused(served.service, served.databases, lambda: step(served.service))
