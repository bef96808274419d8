"""Which steps a ticket page offers: exactly those dispatch would take from this person now."""
from __future__ import annotations

import pytest

from services.console.actions import ACTIONS, actions_for
from services.dispatch import steps
from services.shared.errors import IllegalTransition, NotPermitted

LEAD_UNIT, HELPER_UNIT = "yinhang-grid-1", "kaichen-property"
PEOPLE = {
    "lead staff": {"id": "li", "name": "李", "role": "unit_staff", "unit_id": LEAD_UNIT},
    "helper staff": {"id": "kc", "name": "张", "role": "unit_staff", "unit_id": HELPER_UNIT},
    "other staff": {"id": "o", "name": "王", "role": "unit_staff", "unit_id": "guohe-committee"},
    "dispatcher": {"id": "chen", "name": "陈", "role": "dispatcher", "unit_id": "centre"},
    "supervisor": {"id": "wang", "name": "王", "role": "supervisor", "unit_id": None},
    "admin": {"id": "admin", "name": "管", "role": "admin", "unit_id": None},
    "agent": {"id": "zhou", "name": "周", "role": "agent", "unit_id": None},
}


def ticket(state: str = "dispatched", **changes) -> dict:
    view = {"ticket_no": "YP20261123-0001", "state": state, "unit_id": LEAD_UNIT,
            "unit_name": "殷行街道第一网格工作站", "met": [], "paused": False,
            "deadlines": {"accept_by": "2026-11-23T03:00:00.000Z",
                          "contact_by": "2026-11-24T01:00:00.000Z",
                          "resolve_by": "2026-11-30T01:00:00.000Z"},
            "extensions": [], "pauses": [], "assists": [], "urges": []}
    return {**view, **changes}


def assist(status: str) -> dict:
    return {"unit_id": HELPER_UNIT, "unit_name": "凯晨物业", "status": status}


# A ticket on which each step's own condition holds, so only state and person decide.
READY_FOR = {
    "decide_extension": {"extensions": [{"status": "pending", "deadline": "resolve"}]},
    "decide_pause": {"pauses": [{"status": "pending"}]},
    "resume": {"paused": True},
    "accept_assist": {"assists": [assist("added")]},
    "report_assist": {"assists": [assist("accepted")]},
    "release_assist": {"assists": [assist("added")]},
}
STEP_OF = {step.name: step for step in steps.STEPS}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", steps.STATES)
@pytest.mark.parametrize("person", PEOPLE)
def test_a_step_is_offered_exactly_when_dispatch_would_take_it(action, state, person):
    view = ticket(state, **READY_FOR.get(action, {}))
    try:
        steps.check(STEP_OF[action], view, PEOPLE[person])
        dispatch_takes_it = True
    except (NotPermitted, IllegalTransition):
        dispatch_takes_it = False
    assert (action in actions_for(view, PEOPLE[person])) == dispatch_takes_it


def test_the_holding_unit_signs_for_a_dispatched_ticket_and_nothing_more_of_its_work_yet():
    offered = actions_for(ticket("dispatched"), PEOPLE["lead staff"])
    assert offered == ["accept", "add_assist", "request_extension", "return_ticket"]


def test_once_signed_for_the_unit_contacts_resolves_returns_or_asks_for_time():
    offered = actions_for(ticket("accepted", met=["accept"]), PEOPLE["lead staff"])
    assert offered == ["record_contact", "resolve", "add_assist", "request_extension",
                       "request_pause", "return_ticket"]


def test_nothing_is_offered_to_another_unit_or_an_agent():
    for person in ("other staff", "agent"):
        assert actions_for(ticket("contacted"), PEOPLE[person]) == []


def test_the_lead_may_not_resolve_while_an_assisting_unit_owes_its_part():
    owing = ticket("contacted", assists=[assist("accepted")])
    assert "resolve" not in actions_for(owing, PEOPLE["lead staff"])
    assert "release_assist" in actions_for(owing, PEOPLE["lead staff"])
    reported = ticket("contacted", assists=[assist("reported")])
    assert "resolve" in actions_for(reported, PEOPLE["lead staff"])
    assert "release_assist" not in actions_for(reported, PEOPLE["lead staff"])


def test_a_request_waiting_is_not_asked_again_and_a_supervisor_decides_it():
    waiting = ticket("accepted", extensions=[{"status": "pending"}],
                     pauses=[{"status": "pending"}])
    unit = actions_for(waiting, PEOPLE["lead staff"])
    assert "request_extension" not in unit and "request_pause" not in unit
    assert {"decide_extension", "decide_pause", "urge"} <= set(
        actions_for(waiting, PEOPLE["supervisor"]))
    assert "decide_extension" not in actions_for(waiting, PEOPLE["dispatcher"])


def test_a_paused_ticket_is_resumed_not_paused_again():
    paused = ticket("accepted", paused=True, pauses=[{"status": "in_force"}])
    assert "resume" in actions_for(paused, PEOPLE["lead staff"])
    assert "request_pause" not in actions_for(paused, PEOPLE["lead staff"])
    assert "resume" in actions_for(paused, PEOPLE["supervisor"])


def test_no_extension_is_offered_when_every_deadline_is_met():
    met = ticket("contacted", met=["accept", "contact", "resolve"])
    assert "request_extension" not in actions_for(met, PEOPLE["lead staff"])


def test_the_centre_reassigns_a_returned_ticket_and_a_closed_one_offers_nothing():
    assert actions_for(ticket("pending", unit_id="centre"), PEOPLE["dispatcher"]) == \
        ["reassign", "add_assist"]
    for person in PEOPLE:
        assert actions_for(ticket("closed"), PEOPLE[person]) == []


def test_the_assisting_unit_signs_for_then_reports_its_part():
    assert actions_for(ticket("accepted", assists=[assist("added")]),
                       PEOPLE["helper staff"]) == ["accept_assist"]
    assert actions_for(ticket("accepted", assists=[assist("accepted")]),
                       PEOPLE["helper staff"]) == ["report_assist"]
    assert actions_for(ticket("accepted", assists=[assist("reported")]),
                       PEOPLE["helper staff"]) == []
