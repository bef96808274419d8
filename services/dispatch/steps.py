"""What every step on a ticket shares: the states, the table of steps (from which states
each is legal and who may take it), the ``Change`` a step makes and the events it says.

Plain functions, no broker and no database. A step takes the ticket's state document as
read, the actor and the time, and returns a ``Change`` (the fields to set and the events to
say) or raises IllegalTransition / NotPermitted / InvalidRequest with nothing changed. The
store applies a change only if the document is still the version that was read, so of two
concurrent steps one wins and the other is decided again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from services.dispatch import timing
from services.shared import clock
from services.shared.errors import IllegalTransition, NotPermitted
from services.shared.events import new_event
from services.shared.payloads import event_data
from services.shared.schemas import CENTRE_ID  # noqa: F401 - dispatch's modules take it from here

# States
PENDING = "pending"        # waits at the dispatch centre: no rule routed it, or a unit sent it back
DISPATCHED = "dispatched"  # sent to a unit, not yet signed for (签收)
ACCEPTED = "accepted"      # the unit signed for it
CONTACTED = "contacted"    # the unit reached the caller
RESOLVED = "resolved"      # the unit says it is done; waits for the callback (回访)
CLOSED = "closed"          # answered on the spot, or the callback settled it
STATES = (PENDING, DISPATCHED, ACCEPTED, CONTACTED, RESOLVED, CLOSED)
OPEN_STATES = timing.OPEN_STATES  # someone still owes the caller a step
HELD = (DISPATCHED, ACCEPTED, CONTACTED)  # a handling unit holds it
WORKING = (ACCEPTED, CONTACTED)           # the unit has signed for it and works on it

# The dispatch centre is a unit of the directory (CENTRE_ID, the contract's): pending
# tickets are held by it.
CENTRE_KIND = "centre"

# Who takes a step
UNIT = "unit"              # staff of the unit holding the ticket (the lead unit), or an admin
CENTRE = "centre"          # the dispatch centre
SUPERVISOR = "supervisor"  # a supervisor (督办), or an admin
ASSISTING = "assisting"    # staff of a unit assisting the lead (联勤联动)
SYSTEM = "system"          # dispatch itself, on an event or a timer
CENTRE_ROLES = ("dispatcher", "supervisor", "admin")
SUPERVISOR_ROLES = ("supervisor", "admin")
# Who reads the caller's phone and room in full: the ticket's handlers and the hotline.
CALLER_READERS = ("agent", "dispatcher", "supervisor", "admin", "system")


@dataclass(frozen=True)
class Step:
    name: str
    from_states: tuple[str, ...]
    to: str | None             # None: the state stays as it is
    taken_by: tuple[str, ...]  # any of these may take it
    meets: str | None = None   # the deadline this step meets


# The lifecycle
ACCEPT = Step("accept", (DISPATCHED,), ACCEPTED, (UNIT,), meets="accept")
RETURN = Step("return_ticket", HELD, PENDING, (UNIT,))
CONTACT = Step("record_contact", WORKING, CONTACTED, (UNIT,), meets="contact")
RESOLVE = Step("resolve", WORKING, RESOLVED, (UNIT,), meets="resolve")
REASSIGN = Step("reassign", OPEN_STATES, DISPATCHED, (CENTRE,))
CLOSE = Step("close", (RESOLVED,), CLOSED, (SYSTEM,))
REOPEN = Step("reopen", (RESOLVED,), DISPATCHED, (SYSTEM,))
# Supervision (督办)
URGE = Step("urge", OPEN_STATES, None, (SUPERVISOR,))
REQUEST_EXTENSION = Step("request_extension", HELD, None, (UNIT,))
DECIDE_EXTENSION = Step("decide_extension", HELD, None, (SUPERVISOR,))
REQUEST_PAUSE = Step("request_pause", WORKING, None, (UNIT,))
DECIDE_PAUSE = Step("decide_pause", WORKING, None, (SUPERVISOR,))
RESUME = Step("resume", WORKING, None, (UNIT, SUPERVISOR))
# Joint handling (联勤联动)
ADD_ASSIST = Step("add_assist", OPEN_STATES, None, (CENTRE, UNIT))
ACCEPT_ASSIST = Step("accept_assist", OPEN_STATES, None, (ASSISTING,))
REPORT_ASSIST = Step("report_assist", OPEN_STATES, None, (ASSISTING,))
RELEASE_ASSIST = Step("release_assist", OPEN_STATES, None, (CENTRE, UNIT))
STEPS = (ACCEPT, RETURN, CONTACT, RESOLVE, REASSIGN, CLOSE, REOPEN, URGE, REQUEST_EXTENSION,
         DECIDE_EXTENSION, REQUEST_PAUSE, DECIDE_PAUSE, RESUME, ADD_ASSIST, ACCEPT_ASSIST,
         REPORT_ASSIST, RELEASE_ASSIST)


@dataclass
class Change:
    """What a step does to the state document: fields to set, events to say, and the
    consumed event it applies (so that a redelivery of it changes nothing)."""

    fields: dict
    events: list[dict]
    applied_event: str | None = None


def check(step: Step, state: dict, actor: dict) -> None:
    """Refuse a step the actor may not take, or one not legal from the ticket's state."""
    if not any(_may(who, state, actor) for who in step.taken_by):
        takers = " or ".join(_describe(who, state) for who in step.taken_by)
        raise NotPermitted(f"ticket {state['ticket_no']}: only {takers} may "
                           f"{step.name.replace('_', ' ')}")
    if state["state"] not in step.from_states:
        raise IllegalTransition(f"ticket {state['ticket_no']} is {state['state']}; "
                                f"{step.name.replace('_', ' ')} is only taken from "
                                f"{', '.join(step.from_states)}")


def _may(who: str, state: dict, actor: dict) -> bool:
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


def _describe(who: str, state: dict) -> str:
    return {
        UNIT: f"staff of the unit holding it ({state['unit_name'] or 'none'})",
        CENTRE: f"the dispatch centre ({', '.join(CENTRE_ROLES)})",
        SUPERVISOR: f"a supervisor ({', '.join(SUPERVISOR_ROLES)})",
        ASSISTING: "staff of a unit assisting it",
        SYSTEM: "dispatch itself",
    }[who]


def change(state: dict, now: dt.datetime, fields: dict, events: list[dict]) -> Change:
    """The Change setting ``fields``, stamped ``now``, with when the timer looks next."""
    fields["updated_at"] = now
    fields["next_check"] = timing.next_check({**state, **fields})
    return Change(fields, events)


def event(event_type: str, state: dict, actor: dict, **data) -> dict:
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


def replaced(entries: list[dict], old: dict, new: dict) -> list[dict]:
    """``entries`` with ``old`` (the very entry) replaced by ``new``."""
    return [new if entry is old else entry for entry in entries]
