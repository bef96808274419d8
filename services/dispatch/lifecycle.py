"""A ticket's life at dispatch, in one place: its states, which step is legal from which
state, who may take it, what it changes and what is said when it is taken.

Plain functions, no broker and no database. Each step takes the ticket's state document
as read, the actor and the time, and returns a ``Change`` (the fields to set and the
events to say) or raises IllegalTransition / NotPermitted / InvalidRequest with nothing
changed. The store applies a change only if the document is still the version that was
read, so of two concurrent steps one wins and the other is decided again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.dispatch.policy import DEADLINES
from services.shared import clock
from services.shared.errors import IllegalTransition, InvalidRequest, NotPermitted
from services.shared.events import APPLIED, new_event
from services.shared.outbox import OUTBOX
from services.shared.payloads import event_data
from services.shared.schemas import SYSTEM_ACTOR

if TYPE_CHECKING:
    from services.dispatch.directory import Route

# States
PENDING = "pending"        # waits at the dispatch centre: no rule routed it, or a unit sent it back
DISPATCHED = "dispatched"  # sent to a unit, not yet signed for (签收)
ACCEPTED = "accepted"      # the unit signed for it
CONTACTED = "contacted"    # the unit reached the caller
RESOLVED = "resolved"      # the unit says it is done; waits for the callback (回访)
CLOSED = "closed"          # answered on the spot, or the callback settled it
STATES = (PENDING, DISPATCHED, ACCEPTED, CONTACTED, RESOLVED, CLOSED)
OPEN_STATES = (PENDING, DISPATCHED, ACCEPTED, CONTACTED)  # someone still owes the caller a step

# The dispatch centre is a unit of the directory: pending tickets are held by it.
CENTRE_ID = "centre"
CENTRE_KIND = "centre"

# Who takes a step
UNIT = "unit"        # staff of the unit holding the ticket, or an admin
CENTRE = "centre"    # the dispatch centre
SYSTEM = "system"    # dispatch itself, on an event or a timer
CENTRE_ROLES = ("dispatcher", "supervisor", "admin")
# Who reads the caller's phone and room in full: the ticket's handlers and the hotline.
CALLER_READERS = ("agent", "dispatcher", "supervisor", "admin", "system")

CLOSING_OUTCOMES = ("satisfied", "basically_satisfied", "unreachable")


@dataclass(frozen=True)
class Step:
    name: str
    from_states: tuple[str, ...]
    to: str
    taken_by: str
    meets: str | None = None  # the deadline this step meets


ACCEPT = Step("accept", (DISPATCHED,), ACCEPTED, UNIT, meets="accept")
RETURN = Step("return_ticket", (DISPATCHED, ACCEPTED, CONTACTED), PENDING, UNIT)
CONTACT = Step("record_contact", (ACCEPTED, CONTACTED), CONTACTED, UNIT, meets="contact")
RESOLVE = Step("resolve", (ACCEPTED, CONTACTED), RESOLVED, UNIT, meets="resolve")
REASSIGN = Step("reassign", OPEN_STATES, DISPATCHED, CENTRE)
CLOSE = Step("close", (RESOLVED,), CLOSED, SYSTEM)
REOPEN = Step("reopen", (RESOLVED,), DISPATCHED, SYSTEM)
STEPS = (ACCEPT, RETURN, CONTACT, RESOLVE, REASSIGN, CLOSE, REOPEN)


@dataclass
class Change:
    """What a step does to the state document: fields to set, events to say, and the
    consumed event it applies (so that a redelivery of it changes nothing)."""

    fields: dict
    events: list[dict]
    applied_event: str | None = None


# Intake's ticket arrives
def created(ticket: dict, destination: "Route", unit_name: str,
            deadlines: dict[str, dt.datetime], now: dt.datetime) -> dict:
    """The state document of a ticket intake created (``TicketSchema`` data), its events in
    its outbox: answered on the spot, it is closed; otherwise it goes where ``destination``
    says, a unit (dispatched) or the centre (pending), with ``deadlines``."""
    state = {
        "_id": ticket["ticket_no"],
        "ticket_no": ticket["ticket_no"],
        "channel": ticket["channel"],
        "caller": ticket["caller"],
        "kind": ticket["kind"],
        "category": ticket["category"],
        "urgency": ticket["urgency"],
        "priority": ticket["priority"],
        "description": ticket["description"],
        "address": ticket["address"],
        "received_at": clock.parse_iso(ticket["received_at"]),
        "unit_id": None, "unit_name": None, "routed": False, "route": None,
        "deadlines": None, "dispatched_at": None, "met": [], "overdue": [],
        "reopen_count": 0, "outcome": None, "resolution": None, "last_note": None,
        "created_at": now, "updated_at": now, "version": 1, APPLIED: [],
    }
    if ticket["status"] == "answered":
        state.update(state=CLOSED, outcome="answered")
        events = [_event("ticket_closed", state, SYSTEM_ACTOR, unit_id=None, outcome="answered",
                         note=ticket.get("answer"))]
    else:
        state.update(state=DISPATCHED if destination.routed else PENDING,
                     routed=destination.routed, route=destination.route,
                     **_dispatch(destination.unit_id, unit_name, deadlines, now))
        events = [_dispatched(state, SYSTEM_ACTOR, "routed", previous_unit_id=None)]
    state["next_check"] = next_check(state)
    state[OUTBOX] = events
    return state


# Steps a unit takes
def accept(state: dict, actor: dict, now: dt.datetime) -> Change:
    """The unit signs for the ticket (签收)."""
    _check(ACCEPT, state, actor)
    return _change(state, now, {"state": ACCEPTED, "met": _met(state, ACCEPT)},
                   [_event("ticket_accepted", state, actor, unit_id=state["unit_id"])])


def return_ticket(state: dict, actor: dict, reason: str, centre: dict, now: dt.datetime) -> Change:
    """The unit sends a misrouted ticket back (退单); it waits at the centre, deadlines running."""
    _check(RETURN, state, actor)
    if not reason or not reason.strip():
        raise InvalidRequest({"reason": ["Say why the ticket goes back."]})
    return _change(state, now, {
        "state": PENDING, "unit_id": centre["id"], "unit_name": centre["name"],
        "routed": False, "route": None, "last_note": reason,
    }, [_event("ticket_returned", state, actor, unit_id=state["unit_id"], reason=reason)])


def record_contact(state: dict, actor: dict, note: str | None, now: dt.datetime) -> Change:
    """The unit reached the caller (联系)."""
    _check(CONTACT, state, actor)
    return _change(state, now, {
        "state": CONTACTED, "met": _met(state, CONTACT), "last_note": note or state["last_note"],
    }, [_event("ticket_contacted", state, actor, unit_id=state["unit_id"], note=note)])


def resolve(state: dict, actor: dict, resolution: str, now: dt.datetime) -> Change:
    """The unit has done what was asked (办结); the callback will phone the caller."""
    _check(RESOLVE, state, actor)
    if not resolution or not resolution.strip():
        raise InvalidRequest({"resolution": ["Say what was done."]})
    return _change(state, now, {
        "state": RESOLVED, "met": _met(state, RESOLVE), "resolution": resolution,
    }, [_event("ticket_resolved", state, actor, unit_id=state["unit_id"],
               resolution=resolution, caller=state["caller"])])


# Steps the centre takes
def reassign(state: dict, actor: dict, unit: dict, deadlines: dict[str, dt.datetime],
             note: str | None, now: dt.datetime) -> Change:
    """The centre sends an open ticket to ``unit`` (a directory unit), with fresh deadlines."""
    _check(REASSIGN, state, actor)
    if unit["kind"] == CENTRE_KIND:
        raise InvalidRequest({"unit_id": ["The centre holds what no unit does; "
                                          "name a handling unit."]})
    fields = {"state": DISPATCHED, "routed": True, "route": None, "last_note": note,
              **_dispatch(unit["id"], unit["name"], deadlines, now)}
    after = {**state, **fields}
    return _change(state, now, fields, [
        _dispatched(after, actor, "reassigned", previous_unit_id=state["unit_id"], note=note)])


# The callback's result
def callback_completed(state: dict, event: dict, deadlines: dict[str, dt.datetime],
                       now: dt.datetime) -> Change | None:
    """What a callback's result does to a resolved ticket: satisfied, basically satisfied
    or (after the last try) unreachable close it; unsatisfied reopens it (重办) with the
    same unit and fresh ``deadlines``. None when it changes nothing: a try that will be
    repeated, an event already applied, a ticket not waiting for its callback."""
    data = event["data"]
    if not data["final"] or event["event_id"] in state.get(APPLIED, []):
        return None
    if state["state"] not in CLOSE.from_states:
        return None
    outcome, note = data["outcome"], data.get("note")
    if outcome in CLOSING_OUTCOMES:
        change = _change(state, now, {"state": CLOSED, "outcome": outcome,
                                      "last_note": note or state["last_note"]},
                         [_event("ticket_closed", state, SYSTEM_ACTOR, unit_id=state["unit_id"],
                                 outcome=outcome, note=note)])
    else:
        reopen_count = state["reopen_count"] + 1
        fields = {"state": REOPEN.to, "reopen_count": reopen_count, "resolution": None,
                  "last_note": note or state["last_note"],
                  **_dispatch(state["unit_id"], state["unit_name"], deadlines, now)}
        change = _change(state, now, fields, [
            _event("ticket_reopened", state, SYSTEM_ACTOR, unit_id=state["unit_id"],
                   reopen_count=reopen_count, note=note, deadlines=_iso_deadlines(deadlines))])
    change.applied_event = event["event_id"]
    return change


# Deadlines
def missed_deadlines(state: dict, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """The deadlines of the current dispatch that have passed unmet and were not yet
    reported overdue, in order (accept, contact, resolve). Only open tickets miss any."""
    if state["state"] not in OPEN_STATES or not state.get("deadlines"):
        return []
    reported = {overdue["deadline"] for overdue in state["overdue"]}
    missed = []
    for name in DEADLINES:
        due = state["deadlines"][f"{name}_by"]
        if name not in state["met"] and name not in reported and due < now:
            missed.append((name, due))
    return missed


def overdue(state: dict, now: dt.datetime) -> Change | None:
    """Report each missed deadline once (``ticket_overdue``); None if there is none."""
    missed = missed_deadlines(state, now)
    if not missed:
        return None
    reported = [{"deadline": name, "due_at": due} for name, due in missed]
    return _change(state, now, {"overdue": state["overdue"] + reported}, [
        _event("ticket_overdue", state, SYSTEM_ACTOR, unit_id=state["unit_id"], deadline=name,
               due_at=clock.iso(due)) for name, due in missed])


def next_check(state: dict) -> dt.datetime | None:
    """When this ticket may next miss a deadline: the earliest one neither met nor
    reported. None when nothing can be missed any more."""
    return _earliest(state, skip_reported=True)


def nearest_deadline(state: dict) -> dt.datetime | None:
    """The earliest deadline not met yet, overdue or not."""
    return _earliest(state, skip_reported=False)


def _earliest(state: dict, *, skip_reported: bool) -> dt.datetime | None:
    if state["state"] not in OPEN_STATES or not state.get("deadlines"):
        return None
    skipped = set(state["met"])
    if skip_reported:
        skipped |= {overdue["deadline"] for overdue in state["overdue"]}
    dues = [state["deadlines"][f"{name}_by"] for name in DEADLINES if name not in skipped]
    return min(dues, default=None)


# Reading
FAR_FUTURE = dt.datetime.max.replace(tzinfo=clock.UTC)


def queue_order(state: dict) -> tuple:
    """High priority first, then the nearest unmet deadline, then the oldest number."""
    return (0 if state["priority"] == "high" else 1,
            nearest_deadline(state) or FAR_FUTURE, state["ticket_no"])


def view(state: dict, actor: dict) -> dict:
    """The ticket's state as a caller of get_status sees it, JSON-ready. The caller's phone
    and room are shown in full only to the hotline, the centre and the unit holding it."""
    in_full = actor["role"] in CALLER_READERS or (
        actor["role"] == "unit_staff" and actor.get("unit_id") == state.get("unit_id"))
    return {
        "ticket_no": state["ticket_no"],
        "state": state["state"],
        "unit_id": state["unit_id"],
        "unit_name": state["unit_name"],
        "routed": state["routed"],
        "route": state["route"],
        "category": state["category"],
        "kind": state["kind"],
        "priority": state["priority"],
        "urgency": state["urgency"],
        "caller": state["caller"] if in_full else masked_caller(state["caller"]),
        "address": state["address"] if in_full else masked_address(state["address"]),
        "description": state["description"],
        "deadlines": _iso_deadlines(state["deadlines"]),
        "met": list(state["met"]),
        "overdue": [{"deadline": overdue["deadline"], "due_at": clock.iso(overdue["due_at"])}
                    for overdue in state["overdue"]],
        "reopen_count": state["reopen_count"],
        "outcome": state["outcome"],
        "resolution": state["resolution"],
        "last_note": state["last_note"],
        "received_at": clock.iso(state["received_at"]),
        "dispatched_at": clock.iso(state["dispatched_at"]),
        "updated_at": clock.iso(state["updated_at"]),
        "version": state["version"],
    }


def masked_caller(caller: dict) -> dict:
    phone = caller.get("phone")
    if phone and len(phone) > 8:
        phone = phone[:-8] + "****" + phone[-4:]
    return {**caller, "phone": phone}


def masked_address(address: dict) -> dict:
    return {**address, **{level: "***" for level in ("room", "detail") if address.get(level)}}


# Shared by the steps
def _check(step: Step, state: dict, actor: dict) -> None:
    """Refuse a step the actor may not take, or one not legal from the ticket's state."""
    role = actor["role"]
    if step.taken_by == UNIT:
        allowed = role == "admin" or (
            role == "unit_staff" and actor.get("unit_id") is not None
            and actor["unit_id"] == state["unit_id"])
        if not allowed:
            raise NotPermitted(f"ticket {state['ticket_no']} is held by "
                               f"{state['unit_name'] or 'no unit'}; only its staff may "
                               f"{step.name.replace('_', ' ')}")
    elif step.taken_by == CENTRE and role not in CENTRE_ROLES:
        raise NotPermitted(f"only the dispatch centre ({', '.join(CENTRE_ROLES)}) may "
                           f"{step.name}")
    elif step.taken_by == SYSTEM and role != "system":
        raise NotPermitted(f"{step.name} is dispatch's own step")
    if state["state"] not in step.from_states:
        raise IllegalTransition(f"ticket {state['ticket_no']} is {state['state']}; "
                                f"{step.name.replace('_', ' ')} is only taken from "
                                f"{', '.join(step.from_states)}")


def _change(state: dict, now: dt.datetime, fields: dict, events: list[dict]) -> Change:
    fields["updated_at"] = now
    fields["next_check"] = next_check({**state, **fields})
    return Change(fields, events)


def _met(state: dict, step: Step) -> list[str]:
    return state["met"] if step.meets in state["met"] else state["met"] + [step.meets]


def _dispatch(unit_id: str, unit_name: str, deadlines: dict, now: dt.datetime) -> dict:
    """The fields of a new dispatch: its unit and deadlines, nothing met or missed yet."""
    return {"unit_id": unit_id, "unit_name": unit_name, "deadlines": deadlines,
            "dispatched_at": now, "met": [], "overdue": []}


def _dispatched(state: dict, actor: dict, reason: str, previous_unit_id: str | None,
                note: str | None = None) -> dict:
    return _event("ticket_dispatched", state, actor, unit_id=state["unit_id"],
                  unit_name=state["unit_name"], routed=state["routed"], route=state["route"],
                  reason=reason, previous_unit_id=previous_unit_id, note=note,
                  category=state["category"], priority=state["priority"],
                  deadlines=_iso_deadlines(state["deadlines"]))


def _iso_deadlines(deadlines: dict | None) -> dict | None:
    if deadlines is None:
        return None
    return {name: clock.iso(moment) for name, moment in deadlines.items()}


def _event(event_type: str, state: dict, actor: dict, **data) -> dict:
    return new_event("dispatch", event_type, event_data(event_type, **data),
                     ticket_no=state["ticket_no"], actor=actor)
