"""Supervision across the services: a joint ticket worked with an extension and a pause,
followed through the ledger's timeline and indicators."""
from __future__ import annotations

import datetime as dt

from integration_support import CALL_CENTRE
from test_ticket_life import call_back, in_state, lamp, recorded, staff, status_of

from services.shared import clock
from services.shared.schemas import SYSTEM_ACTOR

SUPERVISOR = {"id": "sv-1", "name": "督办员老王", "role": "supervisor", "unit_id": None}


def test_a_joint_ticket_extended_and_paused_is_resolved_and_counted(rpc):
    grab_bar = lamp(category="home_repair", caller={"name": "张老伯", "phone": "13800000001"},
                    description="老人买了浴缸扶手，物业没有合适的打孔工具无法安装",
                    address={"district": "杨浦区", "subdistrict": "殷行街道",
                             "community": "开鲁新村", "estate": "开鲁新村", "building": "12号"})
    number = rpc.intake.create_ticket(grab_bar, CALL_CENTRE)["ticket_no"]
    lead = in_state(rpc, number, "dispatched")["unit_id"]
    assert lead == "kaichen-property"  # the estate's property company answers for repairs
    rpc.dispatch.accept(number, staff(lead))

    # 联勤联动: the lead brings in the grid workstation, which must report before resolve
    helper = "yinhang-grid-1"
    rpc.dispatch.add_assist(number, staff(lead), helper, "协调上门")
    assert number in [item["ticket_no"] for item in rpc.dispatch.queue(helper, staff(helper))]
    rpc.dispatch.accept_assist(number, staff(helper))

    # 延期: asked by the unit, granted by a supervisor, the deadline moves
    due = status_of(rpc, number)["deadlines"]["resolve_by"]
    until = clock.iso(clock.parse_iso(due) + dt.timedelta(days=3))
    rpc.dispatch.request_extension(number, staff(lead), until, "等待配件")
    assert [item["ticket_no"] for item in rpc.dispatch.supervision(SUPERVISOR)["extensions"]] \
        == [number]
    rpc.dispatch.decide_extension(number, SUPERVISOR, True, "同意")
    assert status_of(rpc, number)["deadlines"]["resolve_by"] == until

    # 挂起: the resident asked for the visit later; the clock stands still meanwhile
    rpc.dispatch.request_pause(number, staff(lead), "老人要求下周上门")
    rpc.dispatch.decide_pause(number, SUPERVISOR, True, None)
    assert status_of(rpc, number)["paused"] is True
    rpc.dispatch.resume(number, staff(lead))

    rpc.dispatch.report_assist(number, staff(helper), "已上门打孔")
    rpc.dispatch.resolve(number, staff(lead), "扶手安装牢固")
    call_back(rpc, {"default": "satisfied"})
    assert in_state(rpc, number, "closed")["outcome"] == "satisfied"

    types = recorded(rpc, number, "ticket_closed")
    for expected in ("assist_added", "assist_accepted", "extension_requested",
                     "extension_decided", "pause_requested", "pause_decided",
                     "ticket_resumed", "assist_reported", "ticket_resolved"):
        assert expected in types
    assert types.index("assist_reported") < types.index("ticket_resolved")

    today = clock.local(clock.now()).date()
    figures = rpc.ledger.indicators(SYSTEM_ACTOR, today.isoformat(),
                                    (today + dt.timedelta(days=1)).isoformat(), ["unit"])
    row = next(row for row in figures["rows"] if row["unit_id"] == lead)
    assert (row["received"], row["accepted_on_time"], row["resolved_on_time"]) == (1, 1, 1)
    assert (row["satisfied"], row["satisfaction_rate"]) == (1, 1.0)


def test_a_supervisor_urges_a_unit_then_reassigns_the_ticket(rpc):
    number = rpc.intake.create_ticket(lamp(), CALL_CENTRE)["ticket_no"]
    unit_id = in_state(rpc, number, "dispatched")["unit_id"]

    rpc.dispatch.urge(number, SUPERVISOR, "请尽快签收")
    assert status_of(rpc, number)["urges"][0]["note"] == "请尽快签收"
    rpc.dispatch.reassign(number, SUPERVISOR, "kaichen-property", "改派物业")
    assert in_state(rpc, number, "dispatched")["unit_id"] == "kaichen-property"
    types = recorded(rpc, number, "ticket_dispatched")
    assert types.count("ticket_urged") == 1 and types.count("ticket_dispatched") == 2
    assert rpc.ledger.timeline(number, SYSTEM_ACTOR)[-1]["data"]["previous_unit_id"] == unit_id
