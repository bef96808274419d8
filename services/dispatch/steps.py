"""What every step on a ticket shares: the table of steps (from which states each is
legal, who may take it and what else it needs of the ticket), which of them a person may
take now, the ``Change`` a step makes and the events it says. The states themselves are
the shared contract's (services/shared/states.py).

Plain functions, no broker and no database. A step takes the ticket's state document as
read, the actor and the time, and returns a ``Change`` (the fields to set and the events to
say) or raises IllegalTransition / NotPermitted / InvalidRequest with nothing changed. The
store applies a change only if the document is still the version that was read, so of two
concurrent steps one wins and the other is decided again.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from services.dispatch import timing
from services.dispatch.ticket_state import (
    Assist,
    DeadlineName,
    Event,
    ExtensionRequest,
    PauseRequest,
    TicketChanges,
    TicketState,
)
from services.shared import clock
from services.shared.errors import HotlineError, IllegalTransition, NotPermitted
from services.shared.events import new_event
from services.shared.payloads import DEADLINE_NAMES, event_data
from services.shared.schemas import CENTRE_ROLES, SUPERVISOR_ROLES
from services.shared.states import (
    ACCEPTED,
    ACTIONS,
    ASSIST_ACCEPTED,
    ASSIST_ADDED,
    ASSIST_OWING,
    CLOSED,
    CONTACTED,
    DISPATCHED,
    EVIDENCE_ACTIONS,
    HELD,
    IMAGE_TYPES,
    OPEN_STATES,
    PENDING,
    REQUEST_PENDING,
    RESOLVED,
    WORKING,
)

# Who takes a step
UNIT = "unit"              # staff of the unit holding the ticket (the lead unit), or an admin
CENTRE = "centre"          # the dispatch centre
SUPERVISOR = "supervisor"  # a supervisor (督办), or an admin
ASSISTING = "assisting"    # staff of a unit assisting the lead (联勤联动)
SYSTEM = "system"          # dispatch itself, on an event or a timer
# Who reads the caller's phone and room in full: the ticket's handlers and the hotline.
CALLER_READERS = ("agent", "dispatcher", "supervisor", "admin", "system")


# What else a step needs of the ticket, whatever the caller sends with it: each says why
# the step cannot be taken now, or None. A step checks them when it is taken, and
# get_status offers a step only when they all hold, so the two cannot disagree.
Need = Callable[[TicketState, dict], str | None]


def pending_extension(state: TicketState) -> ExtensionRequest | None:
    """The extension request waiting for a supervisor's decision."""
    return next((entry for entry in state.get("extensions", [])
                 if entry["status"] == REQUEST_PENDING), None)


def pending_pause(state: TicketState) -> PauseRequest | None:
    """The pause request waiting for a supervisor's decision."""
    return next((entry for entry in state.get("pauses", [])
                 if entry["status"] == REQUEST_PENDING), None)


def owing_assists(state: TicketState) -> list[Assist]:
    """The assists whose unit still owes its part."""
    return [assist for assist in state.get("assists", []) if assist["status"] in ASSIST_OWING]


def _none_owed(state: TicketState, actor: dict) -> str | None:
    owing = owing_assists(state)
    if not owing:
        return None
    names = ", ".join(f"{assist['unit_name']} ({assist['status']})" for assist in owing)
    return f"ticket {state['ticket_no']}: assisting units have not reported: {names}"


def _some_owed(state: TicketState, actor: dict) -> str | None:
    return None if owing_assists(state) else (
        f"ticket {state['ticket_no']}: no assisting unit owes its part")


def _no_extension_waiting(state: TicketState, actor: dict) -> str | None:
    return None if pending_extension(state) is None else (
        f"ticket {state['ticket_no']} already has an extension request waiting for a supervisor")


def _some_deadline_unmet(state: TicketState, actor: dict) -> str | None:
    unmet = bool(state["deadlines"]) and any(name not in state["met"]
                                             for name in DEADLINE_NAMES)
    return None if unmet else f"ticket {state['ticket_no']}: every deadline is met"


def _extension_waiting(state: TicketState, actor: dict) -> str | None:
    return None if pending_extension(state) is not None else (
        f"ticket {state['ticket_no']} has no extension request waiting")


def _not_paused_nor_asked(state: TicketState, actor: dict) -> str | None:
    if pending_pause(state) is None and timing.pause_in_force(state) is None:
        return None
    return f"ticket {state['ticket_no']} is paused or has a pause request waiting"


def _pause_waiting(state: TicketState, actor: dict) -> str | None:
    return None if pending_pause(state) is not None else (
        f"ticket {state['ticket_no']} has no pause request waiting")


def _paused(state: TicketState, actor: dict) -> str | None:
    return None if timing.pause_in_force(state) is not None else (
        f"ticket {state['ticket_no']} is not paused")


def photos_since_dispatch(state: TicketState) -> int:
    """How many photos (images) were attached since the ticket was last dispatched."""
    since = state["dispatched_at"]
    return sum(1 for attachment in state.get("attachments", [])
               if attachment["content_type"] in IMAGE_TYPES
               and (since is None or attachment["at"] >= since))


def photos_missing(state: TicketState, required: int, adding: int) -> str | None:
    """Photos at resolve (现场照片): the policy's ``photos_at_resolve`` asks ``required``
    photos of the site for the ticket's category, attached since it was last dispatched,
    ``adding`` of them coming with the resolve itself. Why it cannot be resolved, or None."""
    have = photos_since_dispatch(state) + adding
    if have >= required:
        return None
    return (f"工单 {state['ticket_no']} 的类别按规定办结时须上传至少 {required} 张现场照片"
            f"（办结须附现场照片），现有 {have} 张")


def _own_assist(status: str) -> Need:
    """The actor's unit assists, its part ``status`` (ASSIST_ADDED to accept it,
    ASSIST_ACCEPTED to report it)."""
    def need(state: TicketState, actor: dict) -> str | None:
        assist = next(assist for assist in state.get("assists", [])
                      if assist["unit_id"] == actor.get("unit_id"))  # ASSISTING says it does
        if assist["status"] == status:
            return None
        return f"ticket {state['ticket_no']}: the assist of {assist['unit_name']} is " \
               f"{assist['status']}"
    return need


@dataclass(frozen=True)
class Step:
    name: str
    from_states: tuple[str, ...]
    to: str | None             # None: the state stays as it is
    taken_by: tuple[str, ...]  # any of these may take it
    meets: DeadlineName | None = None  # the deadline this step meets
    needs: tuple[Need, ...] = ()  # what else the ticket must show, checked in this order


# The lifecycle
ACCEPT = Step("accept", (DISPATCHED,), ACCEPTED, (UNIT,), meets="accept")
RETURN = Step("return_ticket", HELD, PENDING, (UNIT,))
CONTACT = Step("record_contact", WORKING, CONTACTED, (UNIT,), meets="contact")
# the lead resolves once every assisting unit has reported or been released
RESOLVE = Step("resolve", WORKING, RESOLVED, (UNIT,), meets="resolve", needs=(_none_owed,))
REASSIGN = Step("reassign", OPEN_STATES, DISPATCHED, (CENTRE,))
CLOSE = Step("close", (RESOLVED,), CLOSED, (SYSTEM,))
REOPEN = Step("reopen", (RESOLVED,), DISPATCHED, (SYSTEM,))
# Supervision (督办): one request of each kind waits at a time
URGE = Step("urge", OPEN_STATES, None, (SUPERVISOR,))
REQUEST_EXTENSION = Step("request_extension", HELD, None, (UNIT,),
                         needs=(_no_extension_waiting, _some_deadline_unmet))
DECIDE_EXTENSION = Step("decide_extension", HELD, None, (SUPERVISOR,),
                        needs=(_extension_waiting,))
REQUEST_PAUSE = Step("request_pause", WORKING, None, (UNIT,), needs=(_not_paused_nor_asked,))
DECIDE_PAUSE = Step("decide_pause", WORKING, None, (SUPERVISOR,), needs=(_pause_waiting,))
RESUME = Step("resume", WORKING, None, (UNIT, SUPERVISOR), needs=(_paused,))
# Joint handling (联勤联动)
ADD_ASSIST = Step("add_assist", OPEN_STATES, None, (CENTRE, UNIT))
ACCEPT_ASSIST = Step("accept_assist", OPEN_STATES, None, (ASSISTING,),
                     needs=(_own_assist(ASSIST_ADDED),))
REPORT_ASSIST = Step("report_assist", OPEN_STATES, None, (ASSISTING,),
                     needs=(_own_assist(ASSIST_ACCEPTED),))
RELEASE_ASSIST = Step("release_assist", OPEN_STATES, None, (CENTRE, UNIT), needs=(_some_owed,))
# A person within the unit (承办人): staff of the holding unit take it themselves (接单) or
# give it to a colleague (指派); the centre gives it to one of the unit's staff. Whoever
# it goes to is an active account of the holding unit (lifecycle.assign asks accounts).
ASSIGN = Step("assign", HELD, None, (UNIT, CENTRE))
# The ticket's record (evidence.py): internal notes and attachments, by whoever may work
# the ticket, on any ticket not closed
RECORDED = (*OPEN_STATES, RESOLVED)
ADD_NOTE = Step("add_note", RECORDED, None, (UNIT, ASSISTING, CENTRE, SUPERVISOR))
ATTACH = Step("attach", RECORDED, None, (UNIT, ASSISTING, CENTRE, SUPERVISOR))
STEPS = (ACCEPT, RETURN, CONTACT, RESOLVE, REASSIGN, CLOSE, REOPEN, URGE, REQUEST_EXTENSION,
         DECIDE_EXTENSION, REQUEST_PAUSE, DECIDE_PAUSE, RESUME, ADD_ASSIST, ACCEPT_ASSIST,
         REPORT_ASSIST, RELEASE_ASSIST, ASSIGN, ADD_NOTE, ATTACH)
# The steps people take (not dispatch's own), in the order get_status offers them.
OFFERED = tuple(next(step for step in STEPS if step.name == name) for name in ACTIONS)
OFFERED_EVIDENCE = tuple(next(step for step in STEPS if step.name == name)
                         for name in EVIDENCE_ACTIONS)


@dataclass
class Change:
    """What a step does to the state document: fields to set, events to say, and the
    consumed event it applies (so that a redelivery of it changes nothing)."""

    fields: TicketChanges
    events: list[Event]
    applied_event: str | None = None


def refusal(step: Step, state: TicketState, actor: dict) -> HotlineError | None:
    """Why the actor may not take the step on the ticket now, whatever is sent with it:
    NotPermitted (not theirs to take), IllegalTransition (not from this state, or a need
    unmet); None when they may. On a closed ticket no step is legal for anyone, so it is
    IllegalTransition whoever asks (also on a consultation closed at intake, which no
    unit ever held): the state, not the person, is why."""
    if state["state"] == CLOSED:
        return IllegalTransition(f"ticket {state['ticket_no']} is closed; no step is taken "
                                 "on a closed ticket")
    if not any(_may(who, state, actor) for who in step.taken_by):
        takers = " or ".join(_describe(who, state) for who in step.taken_by)
        return NotPermitted(f"ticket {state['ticket_no']}: only {takers} may "
                            f"{step.name.replace('_', ' ')}")
    if state["state"] not in step.from_states:
        return IllegalTransition(f"ticket {state['ticket_no']} is {state['state']}; "
                                 f"{step.name.replace('_', ' ')} is only taken from "
                                 f"{', '.join(step.from_states)}")
    for need in step.needs:
        missing = need(state, actor)
        if missing is not None:
            return IllegalTransition(missing)
    return None


def check(step: Step, state: TicketState, actor: dict) -> None:
    """Refuse a step the actor may not take now (``refusal``); each step calls it first."""
    refused = refusal(step, state, actor)
    if refused is not None:
        raise refused


def offered_evidence(state: TicketState, actor: dict) -> list[str]:
    """Of EVIDENCE_ACTIONS (add_note, attach), those ``actor`` may take on the ticket now."""
    return [step.name for step in OFFERED_EVIDENCE if refusal(step, state, actor) is None]


def offered(state: TicketState, actor: dict) -> list[str]:
    """The steps ``actor`` may take on the ticket now, by name, in ACTIONS order: those
    ``check`` lets through (the step may still refuse what is sent with it)."""
    return [step.name for step in OFFERED if refusal(step, state, actor) is None]


def _may(who: str, state: TicketState, actor: dict) -> bool:
    role, unit_id = actor["role"], actor.get("unit_id")
    if who == UNIT:
        return role == "admin" or (role == "unit_staff" and unit_id is not None
                                   and unit_id == state["unit_id"])
    if who == CENTRE:
        return role in CENTRE_ROLES
    if who == SUPERVISOR:
        return role in SUPERVISOR_ROLES
    if who == ASSISTING:
        return role in ("unit_staff", "admin") and unit_id is not None and any(
            assist["unit_id"] == unit_id for assist in state.get("assists", []))
    return role == "system"


def _describe(who: str, state: TicketState) -> str:
    return {
        UNIT: f"staff of the unit holding it ({state['unit_name'] or 'none'})",
        CENTRE: f"the dispatch centre ({', '.join(CENTRE_ROLES)})",
        SUPERVISOR: f"a supervisor ({', '.join(SUPERVISOR_ROLES)})",
        ASSISTING: "staff of a unit assisting it",
        SYSTEM: "dispatch itself",
    }[who]


def change(state: TicketState, now: dt.datetime, fields: TicketChanges,
           events: list[Event]) -> Change:
    """The Change setting ``fields``, stamped ``now``, with when the timer looks next."""
    fields["updated_at"] = now
    after: TicketState = {**state, **fields}
    fields["next_check"] = timing.next_check(after)
    return Change(fields, events)


def event(event_type: str, state: TicketState, actor: dict, **data: Any) -> Event:
    """An event about this ticket, its data checked against the contract."""
    return new_event("dispatch", event_type, event_data(event_type, **data),
                     ticket_no=state["ticket_no"], actor=actor)


def jsonable(value: Any) -> Any:
    """``value`` with every time in it as ISO text, for a view or an event."""
    if isinstance(value, dt.datetime):
        return clock.iso(value)
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return value


Entry = TypeVar("Entry")


def replaced(entries: list[Entry], old: Entry, new: Entry) -> list[Entry]:
    """``entries`` with ``old`` (the very entry) replaced by ``new``."""
    return [new if entry is old else entry for entry in entries]
