"""Repeat calls (重复件) and praise calls (表扬) through the services over RabbitMQ."""
from __future__ import annotations

import pytest
from integration_support import CALL_CENTRE, eventually
from test_ticket_life import AGENT, call_back, in_state, lamp, recorded, work_to_resolved

from services.shared import storage
from services.shared.errors import NotFound

NEIGHBOUR = {"name": "周阿姨", "phone": "13900000077"}


def test_a_repeat_joins_the_open_ticket_and_a_call_after_it_closed_opens_a_new_one(system, rpc):
    number = rpc.intake.create_ticket(lamp(), CALL_CENTRE)["ticket_no"]
    repeat = rpc.intake.create_ticket(lamp(
        caller=NEIGHBOUR, description="国和小区主干道上两盏路灯坏了，晚上黑漆漆的，老人走路不方便"),
                                      CALL_CENTRE)

    assert repeat["ticket_no"] == number and repeat["calls"] == 2 and repeat["merged"]
    assert in_state(rpc, number, "dispatched")  # one ticket for the unit, not two
    work_to_resolved(rpc, number)
    call_back(rpc, {"default": "satisfied"})
    in_state(rpc, number, "closed")
    # intake hears dispatch's ticket_closed: the ticket leaves its duplicate index
    intake_db = storage.connect(system["MONGO_URI"], storage.database_name(system, "intake"))
    eventually(lambda: intake_db.tickets.find_one({"_id": number})["candidate"] is False)

    again = rpc.intake.create_ticket(lamp(caller=NEIGHBOUR), CALL_CENTRE)
    assert again["ticket_no"] != number and again["calls"] == 1
    assert in_state(rpc, again["ticket_no"], "dispatched")


def test_a_praise_call_is_recorded_and_never_dispatched(rpc):
    number = rpc.intake.create_ticket(lamp(), CALL_CENTRE)["ticket_no"]
    praise = rpc.intake.create_ticket(lamp(
        kind="praise", description="两处路灯半小时就修好了，感谢物业和居委",
        praise={"ticket_no": number}), CALL_CENTRE)

    assert praise["status"] == "praise"
    assert recorded(rpc, praise["ticket_no"], "praise_received") == ["praise_received"]
    recorded(rpc, number, "ticket_dispatched")
    with pytest.raises(NotFound):
        rpc.dispatch.get_status(praise["ticket_no"], AGENT)
