"""A ticket's life at dispatch, the main line: a new ticket routed, the unit signing for it,
contacting the caller, resolving it or sending it back, the centre reassigning it, and the
callback's result closing or reopening it; and how a ticket reads.

The table of steps, who may take each and from which states, is in steps.py; deadlines
and their clock in policy.py and timing.py; supervision (warnings, urges, extensions,
pauses) in supervision.py; joint handling in assists.py. Plain functions, no broker and
no database: each step returns a ``Change`` or raises with nothing changed.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from services.dispatch import assists, evidence, steps, supervision, timing
from services.dispatch.policy import DEFAULT_WARN_SHARE
from services.dispatch.steps import (
    ACCEPT,
    ASSIGN,
    CLOSE,
    CONTACT,
    REASSIGN,
    REOPEN,
    RESOLVE,
    RETURN,
    Change,
    Step,
    jsonable,
)
from services.dispatch.ticket_state import (
    Assignee,
    Attachment,
    DeadlineName,
    Deadlines,
    DispatchFields,
    Event,
    TicketChanges,
    TicketState,
)
from services.dispatch.timing import nearest_deadline, next_check
from services.shared import access, clock, privacy
from services.shared.answers.dispatch import QueueRowSchema, TicketStatusSchema
from services.shared.directory import CENTRE_KIND
from services.shared.errors import IllegalTransition, InvalidRequest
from services.shared.events import new_event
from services.shared.payloads import event_data
from services.shared.schemas import SYSTEM_ACTOR
from services.shared.states import (
    ACCEPTED,
    ANSWERED,
    CLOSED,
    CONTACTED,
    DISPATCHED,
    IMAGE_TYPES,
    PENDING,
    RESOLVED,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from services.dispatch.directory import Route

CLOSING_OUTCOMES = ("satisfied", "basically_satisfied", "unreachable")


# Intake's ticket arrives
def created(ticket: dict, destination: Route, unit_name: str, deadlines: Deadlines,
            now: dt.datetime, *, warn_share: float = DEFAULT_WARN_SHARE,
            received_by: str | None = None) -> TicketState:
    """The state document of a ticket intake created (``TicketSchema`` data), its events in
    its outbox: answered on the spot, it is closed; otherwise it goes where ``destination``
    says, a unit (dispatched) or the centre (pending), with ``deadlines``."""
    state: TicketState = {
        "_id": ticket["ticket_no"],
        "received_by": received_by,  # the agent who took the call: may see the caller in full
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
        "calls": ticket.get("calls") or 1,
        # the register's card (一号专线, a missed check-in): the handler's, contacts in hand
        "resident": ticket.get("resident"),
        "routed": False, "route": None,
        "reopen_count": 0, "outcome": None, "resolution": None, "last_note": None,
        "urges": [], "assists": [], "assignee": None,
        **_dispatch_fields(None, None, None, None, warn_share),
        # applied_events and outbox: events.APPLIED and outbox.OUTBOX, spelt out for the
        # type checker
        "created_at": now, "updated_at": now, "version": 1, "applied_events": [],
        # decided below; named here to keep the document's order of fields
        "state": CLOSED, "next_check": None, "outbox": [],
    }
    if ticket["status"] == ANSWERED:
        state.update({"state": CLOSED, "outcome": "answered"})
        events = [steps.event("ticket_closed", state, SYSTEM_ACTOR, unit_id=None,
                              outcome="answered", note=ticket.get("answer"))]
    else:
        state.update({"state": DISPATCHED if destination.routed else PENDING,
                      "routed": destination.routed, "route": destination.route,
                      **_dispatch_fields(destination.unit_id, unit_name, deadlines, now,
                                         warn_share)})
        events = [_dispatched_event(state, SYSTEM_ACTOR, "routed", previous_unit_id=None)]
    state["next_check"] = next_check(state)
    state["outbox"] = events
    return state


def merged(state: TicketState, event: Event, now: dt.datetime) -> Change | None:
    """A repeat call merged into this ticket at intake (重复件): ``calls`` becomes the count
    intake gives, so the unit sees how many people called. None if it knew as many."""
    calls = event["data"]["calls"]
    if calls <= state.get("calls", 1):
        return None  # an older or redelivered count
    change = steps.change(state, now, {"calls": calls}, [])
    change.applied_event = event["event_id"]
    return change


# Steps a unit takes
def accept(state: TicketState, actor: dict, now: dt.datetime) -> Change:
    """The unit signs for the ticket (签收)."""
    steps.check(ACCEPT, state, actor)
    return steps.change(state, now, {"state": ACCEPTED, "met": _met(state, ACCEPT)}, [
        steps.event("ticket_accepted", state, actor, unit_id=state["unit_id"],
                    on_time=_on_time(state, ACCEPT, now))])


def return_ticket(state: TicketState, actor: dict, reason: str, centre: dict,
                  now: dt.datetime) -> Change:
    """The unit sends a misrouted ticket back (退单); it waits at the centre, deadlines
    running. A pause ends and waiting requests are withdrawn
    (supervision.close_open_requests)."""
    steps.check(RETURN, state, actor)
    if not reason or not reason.strip():
        raise InvalidRequest({"reason": ["Say why the ticket goes back."]})
    fields, events = supervision.close_open_requests(state, actor, now, "returned")
    fields.update({"state": PENDING, "unit_id": centre["id"], "unit_name": centre["name"],
                   "routed": False, "route": None, "last_note": reason, "assignee": None})
    return steps.change(state, now, fields, events + [
        steps.event("ticket_returned", state, actor, unit_id=state["unit_id"], reason=reason)])


def record_contact(state: TicketState, actor: dict, note: str | None, now: dt.datetime) -> Change:
    """The unit reached the caller (联系)."""
    steps.check(CONTACT, state, actor)
    return steps.change(state, now, {
        "state": CONTACTED, "met": _met(state, CONTACT), "last_note": note or state["last_note"],
    }, [steps.event("ticket_contacted", state, actor, unit_id=state["unit_id"], note=note,
                    on_time=_on_time(state, CONTACT, now))])


def resolve(state: TicketState, actor: dict, resolution: str, now: dt.datetime, *,
            attachments: list[Attachment] | None = None, photos_required: int = 0) -> Change:
    """The unit has done what was asked (办结); the callback will phone the caller. Only
    once every assisting unit has reported or been released, and with the photos of the
    site the policy asks for its category (``photos_required``; ``attachments`` come with
    the resolve: steps.photos_missing). A paused ticket may be resolved: the pause ends
    now, its time counted, before the deadline is judged."""
    steps.check(RESOLVE, state, actor)  # no assisting unit owes its part
    if not resolution or not resolution.strip():
        raise InvalidRequest({"resolution": ["Say what was done."]})
    attachments = attachments or []
    missing = steps.photos_missing(state, photos_required, sum(
        1 for item in attachments if item["content_type"] in IMAGE_TYPES))
    if missing is not None:
        raise InvalidRequest({"photos": [missing]})
    fields, events = supervision.close_open_requests(state, actor, now, "resolved")
    after: TicketState = {**state, **fields}
    fields.update({"state": RESOLVED, "met": _met(state, RESOLVE), "resolution": resolution})
    if attachments:
        fields["attachments"] = [*state.get("attachments", []), *attachments]
        events = events + evidence.attached_events(state, actor, attachments)
    return steps.change(state, now, fields, events + [
        steps.event("ticket_resolved", state, actor, unit_id=state["unit_id"],
                    resolution=resolution, caller=state["caller"],
                    on_time=_on_time(after, RESOLVE, now),
                    due_at=clock.iso(timing.due(after, "resolve")),
                    paused_hours=after.get("paused_hours_total", 0.0))])


NOT_A_COLLEAGUE = "Not an active staff member of the unit holding the ticket."


def assign(state: TicketState, actor: dict, username: str,
           colleagues_of: Callable[[str], list[dict]], now: dt.datetime) -> Change:
    """A person of the holding unit answers for the ticket now (承办人): staff of that unit
    take it themselves (接单: ``username`` is their own) or give it to a colleague (指派);
    the centre gives it to one of the unit's staff. ``colleagues_of(unit_id)`` says who
    the unit's active staff are ([{username, name}], accounts' word): a name the caller
    sends is taken only if it is among them (InvalidRequest otherwise, nothing asked of
    accounts before the step's own check). IllegalTransition if it is theirs already."""
    steps.check(ASSIGN, state, actor)
    unit_id = state["unit_id"]
    assert unit_id is not None  # a held ticket has a unit
    wanted = username.strip().lower()
    colleague = next((person for person in colleagues_of(unit_id)
                      if person["username"].lower() == wanted), None)
    if colleague is None:
        raise InvalidRequest({"username": [NOT_A_COLLEAGUE]})
    current = state.get("assignee")
    if current is not None and current["username"] == colleague["username"]:
        raise IllegalTransition(f"ticket {state['ticket_no']} is {colleague['username']}'s "
                                "already")
    assignee: Assignee = {"username": colleague["username"], "name": colleague["name"],
                          "at": now, "by": {key: actor.get(key)
                                            for key in ("id", "name", "role", "unit_id")}}
    return steps.change(state, now, {"assignee": assignee}, [
        steps.event("ticket_assigned", state, actor, unit_id=unit_id,
                    assignee=colleague["username"], assignee_name=colleague["name"],
                    previous_assignee=current["username"] if current else None,
                    by=actor["id"], by_name=actor.get("name"),
                    taken=actor["id"] == colleague["username"])])


# Steps the centre takes
def reassign(state: TicketState, actor: dict, unit: dict, deadlines: Deadlines,
             note: str | None, now: dt.datetime, *,
             warn_share: float = DEFAULT_WARN_SHARE) -> Change:
    """The centre sends an open ticket to ``unit`` (a directory unit), with fresh deadlines.
    What the last unit had running ends (supervision.close_open_requests); assisting units
    stay, but ``unit`` itself no longer assists once it leads."""
    steps.check(REASSIGN, state, actor)
    if unit["kind"] == CENTRE_KIND:
        raise InvalidRequest({"unit_id": ["The centre holds what no unit does; "
                                          "name a handling unit."]})
    fields, events = supervision.close_open_requests(state, actor, now, "reassigned")
    handed_fields, handed_events = assists.handed_to(state, actor, unit["id"], now)
    fields.update({**handed_fields, "state": DISPATCHED, "routed": True, "route": None,
                   "last_note": note, "assignee": None,
                   **_dispatch_fields(unit["id"], unit["name"], deadlines, now, warn_share)})
    after: TicketState = {**state, **fields}
    return steps.change(state, now, fields, events + handed_events + [
        _dispatched_event(after, actor, "reassigned", previous_unit_id=state["unit_id"],
                          note=note)])


# The callback's result
def callback_completed(state: TicketState, event: Event, deadlines: Deadlines,
                       now: dt.datetime, *, warn_share: float = DEFAULT_WARN_SHARE
                       ) -> Change | None:
    """What a callback's result does to a resolved ticket: satisfied, basically satisfied
    or (after the last try) unreachable close it; unsatisfied reopens it (重办) with the
    same unit and fresh ``deadlines``. The callback's note (what its dialer said) is kept
    as ``callback_note``, apart from the people's ``last_note``. None when it changes
    nothing: a try that will be repeated, an event already applied, a ticket not waiting
    for its callback."""
    data = event["data"]
    if not data["final"] or event["event_id"] in state.get("applied_events", []):
        return None
    if state["state"] not in CLOSE.from_states:
        return None
    outcome, note = data["outcome"], data.get("note")
    if outcome in CLOSING_OUTCOMES:
        change = steps.change(state, now, {"state": CLOSED, "outcome": outcome,
                                           "callback_note": note},
                              [steps.event("ticket_closed", state, SYSTEM_ACTOR,
                                           unit_id=state["unit_id"], outcome=outcome, note=note)])
    else:
        reopen_count = state["reopen_count"] + 1
        assert REOPEN.to is not None  # a reopening moves the ticket: the table says where
        fields: TicketChanges = {
            "state": REOPEN.to, "reopen_count": reopen_count, "resolution": None,
            "callback_note": note,
            **_dispatch_fields(state["unit_id"], state["unit_name"], deadlines, now, warn_share)}
        change = steps.change(state, now, fields, [
            steps.event("ticket_reopened", state, SYSTEM_ACTOR, unit_id=state["unit_id"],
                        reopen_count=reopen_count, note=note, deadlines=jsonable(deadlines))])
    change.applied_event = event["event_id"]
    return change


# Reading
FAR_FUTURE = dt.datetime.max.replace(tzinfo=clock.UTC)


def queue_order(state: TicketState) -> tuple[int, dt.datetime, str]:
    """High priority first, then the nearest unmet deadline, then the oldest number."""
    return (0 if state["priority"] == "high" else 1,
            nearest_deadline(state) or FAR_FUTURE, state["ticket_no"])


def facts(state: TicketState) -> access.Facts:
    """What the access rule needs of a ticket: its district, the units that handle or
    handled it, the agent who took the call, the resident's grid unit."""
    now = [state["unit_id"], *(assist["unit_id"] for assist in steps.owing_assists(state))]
    resident = state.get("resident") or {}
    return {"district": state["address"].get("district"),
            "units": [state["unit_id"], *(assist["unit_id"]
                                          for assist in state.get("assists", []))],
            "units_now": now, "taken_by": state.get("received_by"),
            "grid_unit_id": resident.get("grid_unit_id")}


def may_see_caller(state: TicketState, actor: dict,
                   known: access.Facts | None = None) -> bool:
    """The caller's phone and room are for those who need them for this ticket: the agent
    who took the call, the unit holding it and the units assisting it (and dispatch
    itself). Everyone else, other agents, the centre and supervisors included, sees them
    masked (services/shared/privacy.py; the rule: services/shared/access.py). ``known``:
    the ticket's facts, where the caller has them already."""
    return access.may(actor, "caller", known or facts(state))


def card_level(state: TicketState, actor: dict,
               known: access.Facts | None = None) -> str | None:
    """How much of the ticket's resident card this reader sees (access.card_level);
    ``known`` as for may_see_caller."""
    return access.card_level(actor, known or facts(state)) if state.get("resident") else None


def card_for(state: TicketState, actor: dict) -> dict | None:
    """The resident card on a ticket as this reader may see it (access.card_as_seen)."""
    return access.card_as_seen(state.get("resident"), card_level(state, actor))


def card_shown(state: TicketState, actor: dict) -> dict | None:
    """The card_shown event for this reader's view of the ticket, if it shows them the
    resident's card (whole or summary): the register records every such view."""
    level = card_level(state, actor)
    resident = state.get("resident")
    if level is None or not resident or actor["role"] == "system":
        return None
    return new_event("dispatch", "card_shown",
                     event_data("card_shown", resident_id=resident["resident_id"],
                                ticket_no=state["ticket_no"], level=level), actor=actor)


def check_read(state: TicketState, actor: dict, what: str = "ticket") -> None:
    """Pass if the actor may see the ticket, or ``what`` of it (``evidence``: its notes and
    attachments) (services/shared/access.py); the refusal does not tell whether it
    exists."""
    access.check(actor, what, facts(state), state["ticket_no"])


# Built once: building a schema copies its fields, which costs more than a dump with it.
TICKET_STATUS = TicketStatusSchema()
QUEUE_ROW = QueueRowSchema()


def status(state: TicketState, actor: dict, photos_required: int = 0) -> dict[str, Any]:
    """get_status's answer, and every step's (TicketStatusSchema): the ticket's view, the
    steps ``actor`` may take on it now, judged by the table every step is checked by, and
    its record: internal notes and attachments (evidence.py), and the photos its category
    needs at resolve."""
    sees_record = access.may(actor, "evidence", facts(state))
    return TICKET_STATUS.dump({
        **view(state, actor), "actions": steps.offered(state, actor),
        "evidence_actions": steps.offered_evidence(state, actor),
        "notes": jsonable(evidence.notes_view(state)) if sees_record else [],
        "attachments": jsonable(evidence.attachments_view(state)) if sees_record else [],
        "photos_required": photos_required})


def queue_row(state: TicketState, actor: dict, role: str) -> dict[str, Any]:
    """The ticket as a unit's queue lists it (QueueRowSchema: the fields of its view a
    list shows), and ``role``, whether the unit leads it or assists."""
    return QUEUE_ROW.dump({**view(state, actor), "role": role})


def view(state: TicketState, actor: dict) -> dict[str, Any]:
    """The ticket's state as a reader sees it (the fields of TicketViewSchema), JSON-ready,
    the caller's phone and room, and the resident card's phones and room, masked unless
    ``may_see_caller``."""
    in_full = may_see_caller(state, actor)
    return jsonable({
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
        "calls": state.get("calls", 1),
        "caller_in_full": in_full,  # consoles mask what else they show of the caller alike
        "caller": state["caller"] if in_full else privacy.mask_caller(state["caller"]),
        "address": state["address"] if in_full else privacy.mask_address(state["address"]),
        "resident": card_for(state, actor),
        "description": state["description"],
        "deadlines": state["deadlines"],
        "met": list(state["met"]),
        "warned": state.get("warned", []),
        "overdue": state["overdue"],
        "paused": timing.pause_in_force(state) is not None,
        "paused_hours": state.get("paused_hours", 0.0),
        "extensions": state.get("extensions", []),
        "pauses": state.get("pauses", []),
        "urges": state.get("urges", []),
        "assists": state.get("assists", []),
        "assignee": state.get("assignee"),
        "reopen_count": state["reopen_count"],
        "outcome": state["outcome"],
        "resolution": state["resolution"],
        "last_note": state["last_note"],
        "callback_note": state.get("callback_note"),
        "received_at": state["received_at"],
        "dispatched_at": state["dispatched_at"],
        "updated_at": state["updated_at"],
        "version": state["version"],
    })


# Shared by the steps
def _met(state: TicketState, step: Step) -> list[DeadlineName]:
    if step.meets is None or step.meets in state["met"]:  # (the steps here all meet one)
        return state["met"]
    return state["met"] + [step.meets]


def _on_time(state: TicketState, step: Step, now: dt.datetime) -> bool | None:
    """Whether this step meets its deadline in force; None if it was met already."""
    if step.meets is None or step.meets in state["met"] or not state["deadlines"]:
        return None
    return now <= timing.due(state, step.meets)


def _dispatch_fields(unit_id: str | None, unit_name: str | None, deadlines: Deadlines | None,
                     now: dt.datetime | None, warn_share: float) -> DispatchFields:
    """The fields of a new dispatch: its unit and deadlines, nothing met, warned of,
    reported, asked or paused yet."""
    return {"unit_id": unit_id, "unit_name": unit_name, "deadlines": deadlines,
            "dispatched_at": now, "warn_share": warn_share, "met": [], "warned": [],
            "overdue": [], "extensions": [], "pauses": [], "paused_hours": 0.0}


def _dispatched_event(state: TicketState, actor: dict, reason: str,
                      previous_unit_id: str | None, note: str | None = None) -> Event:
    return steps.event("ticket_dispatched", state, actor, unit_id=state["unit_id"],
                       unit_name=state["unit_name"], routed=state["routed"],
                       route=state["route"], reason=reason, previous_unit_id=previous_unit_id,
                       note=note, category=state["category"], priority=state["priority"],
                       deadlines=jsonable(state["deadlines"]))
