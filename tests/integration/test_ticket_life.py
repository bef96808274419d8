"""Tickets walked through the services over RabbitMQ, as the issue's stories go."""
from __future__ import annotations

import time

import pytest
from integration_support import CALL_CENTRE, CALLBACK_WORKER, eventually
from nameko.standalone.events import event_dispatcher

from services.callback.dialers import ScriptedDialer
from services.callback.worker import CallbackWorker
from services.shared import outbox, storage
from services.shared.errors import IllegalTransition, InvalidRequest, NotPermitted
from services.shared.events import new_event
from services.shared.payloads import event_data
from services.shared.schemas import SYSTEM_ACTOR

AGENT = {"id": "a-1", "name": "话务员小周", "role": "agent", "unit_id": None}
DISPATCHER = {"id": "d-1", "name": "派单员老陈", "role": "dispatcher", "unit_id": "centre"}


def staff(unit_id: str) -> dict:
    return {"id": f"s-{unit_id}", "name": "承办人", "role": "unit_staff", "unit_id": unit_id}


def lamp(**changes) -> dict:
    request = {
        "channel": "hotline",
        "caller": {"name": "李先生", "phone": "13800000002"},
        "kind": "complaint",
        "category": "street_light",
        "description": "小区主道路有两处路灯不亮",
        "address": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
                    "estate": "国和小区"},
    }
    request.update(changes)
    return request


def status_of(rpc, ticket_no: str) -> dict:
    return rpc.dispatch.get_status(ticket_no, AGENT)


def in_state(rpc, ticket_no: str, state: str) -> dict:
    return eventually(lambda: (s := status_of(rpc, ticket_no))["state"] == state and s)


def timeline_types(rpc, ticket_no: str) -> list[str]:
    return [entry["event_type"] for entry in rpc.ledger.timeline(ticket_no, SYSTEM_ACTOR)]


def recorded(rpc, ticket_no: str, *expected: str) -> list[str]:
    """The timeline's event types once it holds ``expected`` in order (and nothing after)."""
    return eventually(lambda: (t := timeline_types(rpc, ticket_no))[-len(expected):] ==
                      list(expected) and t)


def work_to_resolved(rpc, ticket_no: str) -> str:
    unit_id = in_state(rpc, ticket_no, "dispatched")["unit_id"]
    rpc.dispatch.accept(ticket_no, staff(unit_id))
    rpc.dispatch.record_contact(ticket_no, staff(unit_id), "已电联市民")
    rpc.dispatch.resolve(ticket_no, staff(unit_id), "更换损坏零部件，路灯恢复照明")
    return unit_id


def call_back(rpc, script: dict, tasks: int = 1) -> None:
    """An automated callback worker with a scripted dialer handles ``tasks`` calls."""
    worker = CallbackWorker(rpc.callback, ScriptedDialer(script), "dialer-test",
                            lambda: CALLBACK_WORKER)
    for _ in range(tasks):
        eventually(worker.work_once)


def test_happy_path_from_call_to_closed_satisfied(rpc):
    ticket = rpc.intake.create_ticket(lamp(), CALL_CENTRE)
    number = ticket["ticket_no"]

    dispatched = in_state(rpc, number, "dispatched")
    assert dispatched["unit_id"] == "yinhang-grid-1"
    assert set(dispatched["deadlines"]) == {"accept_by", "contact_by", "resolve_by"}

    work_to_resolved(rpc, number)
    call_back(rpc, {"default": "satisfied"})

    closed = in_state(rpc, number, "closed")
    assert closed["outcome"] == "satisfied"
    assert recorded(rpc, number, "ticket_closed") == [
        "ticket_created", "ticket_dispatched", "ticket_accepted", "ticket_contacted",
        "ticket_resolved", "callback_scheduled", "callback_completed", "ticket_closed"]
    timeline = rpc.ledger.timeline(number, SYSTEM_ACTOR)
    assert [entry["seq"] for entry in timeline] == sorted(entry["seq"] for entry in timeline)
    assert timeline[2]["actor"]["unit_id"] == "yinhang-grid-1"
    assert all(entry["summary"] for entry in timeline)


def test_a_consultation_answered_at_intake_is_closed_without_dispatch(rpc):
    ticket = rpc.intake.create_ticket(lamp(
        kind="consult", category="elevator", description="加装电梯需要多少业主同意",
        answer="需三分之二以上业主参与表决"), CALL_CENTRE)

    assert ticket["status"] == "answered"
    closed = in_state(rpc, ticket["ticket_no"], "closed")
    assert closed["outcome"] == "answered"
    assert recorded(rpc, ticket["ticket_no"], "ticket_closed") == [
        "ticket_created", "ticket_answered", "ticket_closed"]


def test_returned_to_the_centre_and_reassigned(rpc):
    number = rpc.intake.create_ticket(lamp(category="home_repair"), CALL_CENTRE)["ticket_no"]
    unit_id = in_state(rpc, number, "dispatched")["unit_id"]

    rpc.dispatch.return_ticket(number, staff(unit_id), "非本单位职责，应由物业处理")
    assert in_state(rpc, number, "pending")["unit_id"] == "centre"
    assert number in [item["ticket_no"] for item in rpc.dispatch.queue("centre", DISPATCHER)]

    rpc.dispatch.reassign(number, DISPATCHER, "kaichen-property", "请凯晨物业上门")
    reassigned = in_state(rpc, number, "dispatched")
    assert reassigned["unit_id"] == "kaichen-property"
    assert number in [item["ticket_no"] for item in
                      rpc.dispatch.queue("kaichen-property", staff("kaichen-property"))]
    assert recorded(rpc, number, "ticket_returned", "ticket_dispatched")
    last = rpc.ledger.timeline(number, SYSTEM_ACTOR)[-1]
    assert last["data"]["reason"] == "reassigned"
    assert last["data"]["previous_unit_id"] == "centre"


def test_unsatisfied_reopens_with_the_same_unit_then_closes_satisfied(rpc):
    number = rpc.intake.create_ticket(lamp(caller={"phone": "13800000008"}),
                                      CALL_CENTRE)["ticket_no"]
    unit_id = work_to_resolved(rpc, number)
    script = {"numbers": {"13800000008": ["unsatisfied", "satisfied"]}}

    call_back(rpc, script)
    reopened = in_state(rpc, number, "dispatched")
    assert (reopened["unit_id"], reopened["reopen_count"]) == (unit_id, 1)

    work_to_resolved(rpc, number)
    # second resolution, second task: the script gives attempt 1 again, so use a new script
    call_back(rpc, {"numbers": {"13800000008": ["satisfied"]}})
    assert in_state(rpc, number, "closed")["outcome"] == "satisfied"
    assert recorded(rpc, number, "ticket_closed").count("ticket_reopened") == 1


def test_unreachable_is_tried_again_until_final_then_closed(rpc):
    number = rpc.intake.create_ticket(lamp(caller={"phone": "13800000009"}),
                                      CALL_CENTRE)["ticket_no"]
    work_to_resolved(rpc, number)

    call_back(rpc, {"numbers": {"13800000009": ["unreachable"]}}, tasks=3)

    assert in_state(rpc, number, "closed")["outcome"] == "unreachable"
    types = recorded(rpc, number, "ticket_closed")
    assert types.count("callback_completed") == 3
    assert types.count("callback_scheduled") == 3
    [task] = rpc.callback.tasks_for_ticket(number, SYSTEM_ACTOR)
    assert task["status"] == "done" and len(task["attempts"]) == 3


@pytest.fixture
def short_deadlines(settings, tmp_path):
    policy = tmp_path / "policy.yml"
    # 0.0005 h is under two seconds: the accept deadline passes while the test waits.
    policy.write_text("rules:\n  - deadlines: {accept: {hours: 0.0005}, contact: {hours: 1},"
                      " resolve: {hours: 2}}\n")
    settings["POLICY_FILE"] = str(policy)


def test_a_missed_deadline_is_reported_once(short_deadlines, rpc):
    number = rpc.intake.create_ticket(lamp(), CALL_CENTRE)["ticket_no"]

    overdue = eventually(lambda: status_of(rpc, number)["overdue"])
    assert [item["deadline"] for item in overdue] == ["accept"]
    recorded(rpc, number, "ticket_overdue")
    # the timer keeps checking every 0.2 s; a second later there is still exactly one
    time.sleep(1)
    assert timeline_types(rpc, number).count("ticket_overdue") == 1


def test_an_illegal_step_is_refused_and_changes_nothing(rpc):
    number = rpc.intake.create_ticket(lamp(), CALL_CENTRE)["ticket_no"]
    before = in_state(rpc, number, "dispatched")
    recorded(rpc, number, "ticket_dispatched")

    with pytest.raises(IllegalTransition):
        rpc.dispatch.resolve(number, staff(before["unit_id"]), "已修好")
    with pytest.raises(NotPermitted):
        rpc.dispatch.accept(number, staff("kaichen-property"))

    assert status_of(rpc, number) == before
    assert timeline_types(rpc, number) == ["ticket_created", "ticket_dispatched"]


def test_bad_input_is_refused_with_nothing_stored_and_nothing_said(rpc):
    with pytest.raises(InvalidRequest) as refused:
        rpc.intake.create_ticket(lamp(category="ufo", caller={"phone": "12"}), CALL_CENTRE)

    assert set(refused.value.errors) == {"category", "caller"}
    rpc.intake.create_ticket(lamp(),
                             CALL_CENTRE)  # a good one afterwards, to know the ledger is listening
    eventually(lambda: len(rpc.ledger.recent(SYSTEM_ACTOR, 10)) >= 2)
    tickets = {entry["ticket_no"] for entry in rpc.ledger.recent(SYSTEM_ACTOR, 50)}
    assert len(tickets) == 1


def test_the_same_external_id_twice_gives_one_ticket(rpc):
    first = rpc.intake.create_ticket(lamp(external_id="cc-20261123-0001"), CALL_CENTRE)
    second = rpc.intake.create_ticket(lamp(external_id="cc-20261123-0001"), CALL_CENTRE)

    assert second["ticket_no"] == first["ticket_no"]
    recorded(rpc, first["ticket_no"], "ticket_dispatched")
    assert timeline_types(rpc, first["ticket_no"]).count("ticket_created") == 1


def test_an_event_delivered_twice_is_recorded_once(system, rpc):
    number = rpc.intake.create_ticket(lamp(), CALL_CENTRE)["ticket_no"]
    recorded(rpc, number, "ticket_dispatched")
    unit_id = status_of(rpc, number)["unit_id"]
    # the same envelope twice, as a broker redelivery would bring it
    event = new_event("dispatch", "ticket_overdue",
                      event_data("ticket_overdue", unit_id=unit_id, deadline="accept",
                                 due_at="2026-11-23T02:00:00.000Z"), ticket_no=number)
    # said as dispatch says it: with dispatch's broker user, on dispatch.events
    publish = event_dispatcher({"AMQP_URI": system["BROKER_URIS"]["dispatch"]})
    publish("dispatch", "ticket_overdue", event)
    publish("dispatch", "ticket_overdue", event)

    recorded(rpc, number, "ticket_overdue")
    # anything after both copies; kept apart, or intake would merge the repeat into `number`
    marker = rpc.intake.create_ticket(lamp(merge=False), CALL_CENTRE)["ticket_no"]
    recorded(rpc, marker, "ticket_dispatched")
    assert timeline_types(rpc, number).count("ticket_overdue") == 1


def test_an_event_left_in_the_outbox_by_a_crash_is_published_by_the_sweep(system, rpc):
    # A ticket written by a process that died before publishing: state and event are in
    # intake's store, nothing went out. The running intake's sweep must send it.
    created = rpc.intake.create_ticket(lamp(), CALL_CENTRE)
    created.pop("merged")  # the answer's, not the ticket's
    recorded(rpc, created["ticket_no"], "ticket_dispatched")
    intake_db = storage.connect(system["MONGO_URI"], storage.database_name(system, "intake"))
    orphan = {**intake_db.tickets.find_one({"_id": created["ticket_no"]})}
    number = created["ticket_no"][:-4] + "9999"
    event = new_event("intake", "ticket_created",
                      event_data("ticket_created", **{**created, "ticket_no": number}),
                      ticket_no=number)
    # As the writer's one update leaves it: the event, and the flag the sweep reads by.
    intake_db.tickets.insert_one({**orphan, "_id": number, "ticket_no": number,
                                  "external_id": None, outbox.OUTBOX: [event],
                                  **outbox.sweep_flag()})

    assert in_state(rpc, number, "dispatched")
    assert recorded(rpc, number, "ticket_dispatched") == ["ticket_created", "ticket_dispatched"]
    assert intake_db.tickets.find_one({"_id": number})[outbox.OUTBOX] == []
