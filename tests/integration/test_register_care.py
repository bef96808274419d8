"""Care that does not wait for a call, through the services over RabbitMQ: a resident
added to the register (register) is phoned on their plan (callback); nobody answering opens
one welfare check (intake) for their grid (dispatch); a paused plan calls nobody; a caller
in the register is answered first with their card."""
from __future__ import annotations

import pytest
from integration_support import (
    CALL_CENTRE,
    CALLBACK_WORKER,
    CHECKINS_MISSED_AT_ONCE,
    SERVICES,
    eventually,
)
from nameko.testing.services import entrypoint_waiter
from nameko.testing.utils import get_container

from services.callback.dialers import ScriptedDialer
from services.callback.worker import CallbackWorker
from services.intake.service import IntakeService
from services.shared import clock
from services.shared.schemas import SYSTEM_ACTOR

ADMIN = {"id": "admin-1", "name": "管理员", "role": "admin", "unit_id": None}
GRID = {"id": "li", "name": "网格员李琳", "role": "unit_staff", "unit_id": "yinhang-grid-1"}
UNREACHABLE_PHONE = "13800000009"  # never answers (deploy/demo/dialer.yml says so too)
KAILU_15 = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
            "estate": "开鲁新村", "building": "15号", "room": "502"}


@pytest.fixture
def settings(settings):
    settings["CHECKINS"] = dict(CHECKINS_MISSED_AT_ONCE)
    return settings


@pytest.fixture
def runner(rabbit_config, storage_config, settings, runner_factory):
    runner = runner_factory({**settings, **rabbit_config, **storage_config}, *SERVICES)
    runner.start()
    yield runner
    runner.stop()


@pytest.fixture
def system(runner):
    """The services as conftest's ``system`` starts them, their runner at hand."""
    return runner.config


def this_minute() -> str:
    """A plan time that has just come (Shanghai): check-ins catch up on it at once."""
    return f"{clock.local(clock.now()):%H:%M}"


def resident(**changes) -> dict:
    entry = {
        "name": "周奶奶", "phones": [UNREACHABLE_PHONE], "address": dict(KAILU_15),
        "birth_date": "1927-03-08", "living_status": "alone", "groups": ["childless"],
        "health_notes": "高血压，行动不便",
        "emergency_contacts": [{"name": "周建国", "relation": "儿子", "phone": "13900000001"}],
        "grid_unit_id": "yinhang-grid-1", "grid_worker": "李琳",
        "checkin_plan": {"days": [1, 2, 3, 4, 5, 6, 7], "times": [this_minute()]},
    }
    entry.update(changes)
    return entry


def never_answers(rpc) -> CallbackWorker:
    return CallbackWorker(rpc.callback, ScriptedDialer({"numbers": {UNREACHABLE_PHONE:
                                                                    ["unreachable"]}}),
                          "dialer-test",
                            lambda: CALLBACK_WORKER)


def welfare_checks(rpc) -> list[dict]:
    return [item for item in rpc.dispatch.queue("yinhang-grid-1", GRID)
            if item["category"] == "welfare_check"]


def test_a_missed_check_in_opens_one_welfare_check_first_in_the_grids_queue(rpc):
    # an ordinary ticket already waiting in the grid's queue
    lamp = rpc.intake.create_ticket({
        "channel": "hotline", "caller": {"name": "李先生", "phone": "13800000002"},
        "kind": "complaint", "category": "street_light", "description": "小区主道路路灯不亮",
        "address": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
                    "estate": "国和小区"}}, CALL_CENTRE)
    eventually(lambda: rpc.dispatch.queue("yinhang-grid-1", GRID))

    card = rpc.register.add_resident(resident(), ADMIN)
    worker = never_answers(rpc)
    for _ in range(3):  # the planned call and two retries, nobody answering
        eventually(worker.work_once)

    [welfare] = eventually(lambda: welfare_checks(rpc))
    queue = rpc.dispatch.queue("yinhang-grid-1", GRID)
    assert [item["ticket_no"] for item in queue] == [welfare["ticket_no"], lamp["ticket_no"]]
    assert (welfare["priority"], welfare["urgency"], welfare["state"]) == (
        "high", "urgent", "dispatched")
    # the queue names the resident; the ticket shows the grid their card (a recorded view)
    assert welfare["resident"] == {"resident_id": card["resident_id"], "name": "周奶奶"}
    status = rpc.dispatch.get_status(welfare["ticket_no"], GRID)
    assert (status["unit_id"], status["route"]) == ("yinhang-grid-1", "resident's grid")
    assert status["caller"]["name"] == "周奶奶"
    shown = status["resident"]
    assert shown["emergency_contacts"] == [
        {"name": "周建国", "relation": "儿子", "phone": "+8613900000001"}]
    eventually(lambda: [view for view in rpc.register.card_views(card["resident_id"], ADMIN)
                        if view["via"] == f"ticket {welfare['ticket_no']}"])
    assert "3次未接通" in welfare["description"] and "周建国（儿子）" in welfare["description"]
    assert rpc.intake.get_ticket(welfare["ticket_no"], SYSTEM_ACTOR)["channel"] == "checkin"

    history = rpc.callback.checkins_for(card["resident_id"], SYSTEM_ACTOR)
    missed = [entry for entry in history if entry["result"] == "missed"]
    assert len(missed) == 1 and missed[0]["attempt"] == 3
    assert worker.work_once() is False  # tomorrow's check-in is not due yet
    assert len(welfare_checks(rpc)) == 1


def test_a_paused_plan_calls_nobody_and_a_resumed_one_calls_again(rpc):
    card = rpc.register.add_resident(resident(), ADMIN)
    resident_id = card["resident_id"]
    eventually(lambda: rpc.callback.checkins_for(resident_id, SYSTEM_ACTOR))

    rpc.register.pause_checkins(resident_id, ADMIN, reason="住院治疗")

    eventually(lambda: {entry["result"] for entry
                        in rpc.callback.checkins_for(resident_id, SYSTEM_ACTOR)} == {"cancelled"})
    assert never_answers(rpc).work_once() is False
    assert welfare_checks(rpc) == []

    rpc.register.resume_checkins(resident_id, ADMIN, reason="已出院")
    # the plan as it was: its time (just past, caught up) is called again
    eventually(lambda: [entry for entry in rpc.callback.checkins_for(resident_id, SYSTEM_ACTOR)
                        if entry["result"] is None])
    assert never_answers(rpc).work_once() is True


def test_a_caller_in_the_register_is_answered_first_with_their_card(rpc, runner):
    intake = get_container(runner, IntakeService)
    with entrypoint_waiter(intake, "keep_resident", timeout=10):
        card = rpc.register.add_resident(resident(phones=["13800000021"], checkin_plan=None),
                                       ADMIN)

    ticket = rpc.intake.create_ticket({
        "channel": "hotline", "caller": {"name": "周奶奶", "phone": "138 0000 0021"},
        "kind": "help", "category": "home_repair", "description": "卫生间水龙头漏水",
        "address": dict(KAILU_15)}, CALL_CENTRE)

    assert (ticket["priority"], ticket["priority_reasons"]) == ("high", ["registered_resident"])
    assert ticket["resident"]["resident_id"] == card["resident_id"]
    assert ticket["resident"]["living_status"] == "alone"
    status = eventually(lambda: rpc.dispatch.get_status(ticket["ticket_no"], GRID))
    # the estate's property company would take home repairs; the resident's grid does
    assert (status["unit_id"], status["route"]) == ("yinhang-grid-1", "resident's grid")
    assert status["resident"]["phones"] == ["+8613800000021"]
