"""Joint handling (联勤联动): a ticket has one lead unit, the unit holding it, and any
number of assisting units, as with the grab bar of seed 000 (a grid workstation and a
property company). Plain functions, as steps.py describes.

An assist is ``added`` by the centre or the lead unit, ``accepted`` and then ``reported``
by the assisting unit, or ``released`` by the centre or the lead before it reports. While
an assist is added or accepted the assisting unit owes its part: the ticket is in its
queue (role ``assist``), its staff read the caller's details in full, and the lead may
not resolve the ticket. Assists belong to the ticket, not to one dispatch: a return or a
reassignment keeps them (the work on site goes on whoever leads), except that a unit
reassigned the lead stops assisting (its assist is released).
"""
from __future__ import annotations

import datetime as dt

from services.dispatch import steps
from services.dispatch.steps import (
    ACCEPT_ASSIST,
    ADD_ASSIST,
    RELEASE_ASSIST,
    REPORT_ASSIST,
    Change,
    event,
    owing_assists,
    replaced,
)
from services.dispatch.ticket_state import Assist, Event, TicketChanges, TicketState
from services.shared.directory import CENTRE_KIND
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound
from services.shared.states import (
    ASSIST,
    ASSIST_ACCEPTED,
    ASSIST_ADDED,
    ASSIST_OWING,
    ASSIST_RELEASED,
    ASSIST_REPORTED,
    LEAD,
)


def add_assist(state: TicketState, actor: dict, unit: dict, note: str | None,
               now: dt.datetime) -> Change:
    """The centre or the lead asks ``unit`` (a directory unit) to assist."""
    steps.check(ADD_ASSIST, state, actor)
    if unit["kind"] == CENTRE_KIND or unit["id"] == state["unit_id"]:
        raise InvalidRequest({"unit_id": ["Name a handling unit other than the lead."]})
    if _owing(state, unit["id"]) is not None:
        raise IllegalTransition(f"ticket {state['ticket_no']}: {unit['name']} assists already")
    entry: Assist = {"unit_id": unit["id"], "unit_name": unit["name"], "status": ASSIST_ADDED,
                     "note": note, "added_at": now, "added_by": actor, "accepted_at": None,
                     "report": None, "reported_at": None, "released_at": None}
    assists = [assist for assist in state.get("assists", []) if assist["unit_id"] != unit["id"]]
    return steps.change(state, now, {"assists": assists + [entry]}, [
        _assist_event("assist_added", state, actor, entry, note)])


def accept_assist(state: TicketState, actor: dict, now: dt.datetime) -> Change:
    """The assisting unit takes on its part."""
    steps.check(ACCEPT_ASSIST, state, actor)  # its part is added
    assist = _assist_of(state, actor["unit_id"])
    return _update_assist(state, actor, assist, {**assist, "status": ASSIST_ACCEPTED,
                                                 "accepted_at": now},
                          now, "assist_accepted", None)


def report_assist(state: TicketState, actor: dict, report: str, now: dt.datetime) -> Change:
    """The assisting unit reports its part done; the lead may then resolve."""
    steps.check(REPORT_ASSIST, state, actor)  # its part is accepted
    if not report or not report.strip():
        raise InvalidRequest({"report": ["Say what was done."]})
    assist = _assist_of(state, actor["unit_id"])
    return _update_assist(state, actor, assist, {**assist, "status": ASSIST_REPORTED,
                                                 "report": report, "reported_at": now},
                          now, "assist_reported", report)


def release_assist(state: TicketState, actor: dict, unit_id: str, note: str | None,
                   now: dt.datetime) -> Change:
    """The centre or the lead no longer needs ``unit_id``'s help."""
    steps.check(RELEASE_ASSIST, state, actor)  # some assisting unit owes its part
    assist = _assist_of(state, unit_id)
    if assist["status"] not in ASSIST_OWING:
        raise IllegalTransition(f"ticket {state['ticket_no']}: the assist of "
                                f"{assist['unit_name']} is {assist['status']}")
    return _update_assist(state, actor, assist, {**assist, "status": ASSIST_RELEASED,
                                                 "released_at": now},
                          now, "assist_released", note)


def handed_to(state: TicketState, actor: dict, unit_id: str,
              now: dt.datetime) -> tuple[TicketChanges, list[Event]]:
    """The fields and events of ``unit_id`` becoming the lead: its own assist is released."""
    assist = _owing(state, unit_id)
    if assist is None:
        return {}, []
    note = "改为主办单位"  # said in the ticket's history as it is
    released: Assist = {**assist, "status": ASSIST_RELEASED, "released_at": now}
    return {"assists": replaced(state["assists"], assist, released)}, [
        _assist_event("assist_released", state, actor, assist, note)]


def role_of(state: TicketState, unit_id: str) -> str:
    """How ``unit_id`` handles the ticket: ``lead`` or ``assist``."""
    return LEAD if state["unit_id"] == unit_id else ASSIST


def _owing(state: TicketState, unit_id: str) -> Assist | None:
    return next((assist for assist in owing_assists(state) if assist["unit_id"] == unit_id),
                None)


def _assist_of(state: TicketState, unit_id: str) -> Assist:
    assist = next((assist for assist in state.get("assists", [])
                   if assist["unit_id"] == unit_id), None)
    if assist is None:
        raise NotFound(f"assist of {unit_id} on ticket {state['ticket_no']}")
    return assist


def _update_assist(state: TicketState, actor: dict, assist: Assist, updated: Assist,
                   now: dt.datetime, event_type: str, note: str | None) -> Change:
    """The Change putting ``updated`` in the place of ``assist``, saying ``event_type``."""
    return steps.change(state, now, {"assists": replaced(state["assists"], assist, updated)},
                        [_assist_event(event_type, state, actor, assist, note)])


def _assist_event(event_type: str, state: TicketState, actor: dict, assist: Assist,
                  note: str | None) -> Event:
    return event(event_type, state, actor, unit_id=assist["unit_id"],
                 unit_name=assist["unit_name"], lead_unit_id=state["unit_id"], note=note)
