"""Time that steps: the project's clock (services/shared/clock.py) put an hour back, then an
hour forward of the right time, while a ticket is worked through the services over
RabbitMQ. Its history still reads in the order things happened, it stands where its last
step put it, and its callback is made once."""
from __future__ import annotations

import datetime as dt

import pytest
from integration_support import CALL_CENTRE
from test_ticket_life import call_back, in_state, lamp, recorded, staff

from services.shared import clock
from services.shared.schemas import SYSTEM_ACTOR

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def stepped_clock():
    yield clock.step_by
    clock.unstep()


def test_a_ticket_worked_across_clock_steps_reads_in_the_order_it_was_worked(
        rpc, stepped_clock):
    number = rpc.intake.create_ticket(lamp(), CALL_CENTRE)["ticket_no"]
    unit_id = in_state(rpc, number, "dispatched")["unit_id"]

    stepped_clock(-HOUR)  # put back an hour: what follows says it came first
    rpc.dispatch.accept(number, staff(unit_id))
    rpc.dispatch.record_contact(number, staff(unit_id), "已电联市民")
    stepped_clock(2 * HOUR)  # an hour ahead of the right time
    rpc.dispatch.resolve(number, staff(unit_id), "更换损坏零部件，路灯恢复照明")
    call_back(rpc, {"default": "satisfied"})  # due an hour after the right time: now
    clock.unstep()  # put right: an hour back again

    assert in_state(rpc, number, "closed")["outcome"] == "satisfied"
    assert recorded(rpc, number, "ticket_closed") == [
        "ticket_created", "ticket_dispatched", "ticket_accepted", "ticket_contacted",
        "ticket_resolved", "callback_scheduled", "callback_completed", "ticket_closed"]
    timeline = rpc.ledger.timeline(number, SYSTEM_ACTOR)
    said_at = [entry["occurred_at"] for entry in timeline]
    assert said_at != sorted(said_at), "the clocks did disagree: time alone misorders it"
    assert rpc.ledger.ticket_view(number, SYSTEM_ACTOR)["state"] == "closed"
    [task] = rpc.callback.tasks_for_ticket(number, SYSTEM_ACTOR)
    assert [attempt["outcome"] for attempt in task["attempts"]] == ["satisfied"]


def test_the_services_here_keep_what_they_handle_per_green_thread():
    """The suite patches the process before the services are imported, as `nameko run`
    does: "the event being handled" is each green thread's own. Were it the OS thread's,
    a handler's event would become the cause of other handlers' events, stamping them
    after it (an hour ahead, after the test above)."""
    import eventlet.corolocal

    from services.shared import events

    assert isinstance(events._handling, eventlet.corolocal.local)
