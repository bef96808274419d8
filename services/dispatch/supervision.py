"""Supervision (督办): the timer's warnings and overdue reports, a supervisor chasing a unit
(urge), a unit asking for more time (延期, an extension) or for the resolve clock to stand
still while the work waits on someone else (挂起, a pause), and the supervisor's list of
who owes what. Plain functions, as steps.py describes.

An **extension** moves one deadline in force (accept, contact or resolve) to the time
asked for, once a supervisor approves it; the moved deadline is warned of and reported
overdue afresh. A unit has at most one request of each kind waiting.

A **pause** stops the resolve clock from the supervisor's approval until it ends: on its
``resume_on`` date (the timer, ``by: date``), or when the unit or a supervisor resumes it
(``by: request``). Its length moves the resolve deadline later and adds to
``paused_hours``. Resolving a paused ticket is allowed and ends the pause then, counting
its time; so does returning it or the centre reassigning it. When a ticket leaves its
unit's hands (resolved, returned, reassigned) a request still waiting is withdrawn: it is
said as refused by dispatch itself, with the reason in the note.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

from services.dispatch import steps, timing
from services.dispatch.policy import DEADLINES, DEFAULT_WARN_SHARE
from services.dispatch.steps import (
    DECIDE_EXTENSION,
    DECIDE_PAUSE,
    REQUEST_EXTENSION,
    REQUEST_PAUSE,
    RESUME,
    URGE,
    Change,
    event,
    jsonable,
    pending_extension,
    pending_pause,
    replaced,
)
from services.dispatch.ticket_state import (
    DUE_KEYS,
    DeadlineName,
    Event,
    ExtensionRequest,
    PauseRequest,
    Request,
    TicketChanges,
    TicketState,
    Urge,
)
from services.shared import clock
from services.shared.errors import IllegalTransition, InvalidRequest
from services.shared.schemas import SYSTEM_ACTOR
from services.shared.states import (
    PAUSE_ENDED,
    PAUSE_IN_FORCE,
    REQUEST_APPROVED,
    REQUEST_PENDING,
    REQUEST_REFUSED,
    REQUEST_WITHDRAWN,
)


# The timer
def check_deadlines(state: TicketState, now: dt.datetime) -> Change | None:
    """What the timer says of a ticket now: a pause whose date has come ends
    (``ticket_resumed``, by date); then each missed deadline is reported (``ticket_overdue``)
    and each near one warned of (``ticket_warning``), once each. None if nothing is due."""
    fields: TicketChanges = {}
    events: list[Event] = []
    pause = timing.pause_in_force(state)
    if pause is not None and pause["resume_on"] and pause["resume_on"] <= now:
        fields, events = _end_pause(state, SYSTEM_ACTOR, pause["resume_on"], "date")
    after: TicketState = {**state, **fields}
    missed, near = timing.missed_deadlines(after, now), timing.near_deadlines(after, now)
    if missed:
        fields["overdue"] = after["overdue"] + [{"deadline": name, "due_at": due}
                                                for name, due in missed]
    if near:
        fields["warned"] = after.get("warned", []) + [{"deadline": name, "due_at": due}
                                                      for name, due in near]
    share = state.get("warn_share", DEFAULT_WARN_SHARE)
    events += [event("ticket_overdue", state, SYSTEM_ACTOR, unit_id=state["unit_id"],
                     deadline=name, due_at=clock.iso(due)) for name, due in missed]
    events += [event("ticket_warning", state, SYSTEM_ACTOR, unit_id=state["unit_id"],
                     deadline=name, due_at=clock.iso(due), share=share) for name, due in near]
    if not events:
        return None
    return steps.change(state, now, fields, events)


# A supervisor chases the unit
def urge(state: TicketState, actor: dict, note: str, now: dt.datetime) -> Change:
    """A supervisor chases the unit holding the ticket (督办) about the next deadline it owes;
    the unit sees it among the ticket's ``urges``."""
    steps.check(URGE, state, actor)
    if not note or not note.strip():
        raise InvalidRequest({"note": ["Say what the unit is urged to do."]})
    owed = next((name for name in DEADLINES if name not in state["met"]), None) \
        if state["deadlines"] else None
    entry: Urge = {"at": now, "by": actor, "unit_id": state["unit_id"], "note": note,
                   "deadline": owed}
    return steps.change(state, now, {"urges": state.get("urges", []) + [entry]}, [
        event("ticket_urged", state, actor, unit_id=state["unit_id"], note=note, deadline=owed)])


# Extensions (延期)
def request_extension(state: TicketState, actor: dict, deadline: DeadlineName,
                      until: dt.datetime, reason: str, now: dt.datetime) -> Change:
    """The unit asks for ``deadline`` to move to ``until``, later than it stands."""
    steps.check(REQUEST_EXTENSION, state, actor)  # none waits, some deadline is unmet
    if deadline in state["met"]:
        raise IllegalTransition(f"ticket {state['ticket_no']}: the {deadline} deadline is met")
    due = timing.due(state, deadline)
    if until <= due:
        raise InvalidRequest({"until": [f"Ask for a time later than the {deadline} deadline "
                                        f"in force, {clock.iso(due)}."]})
    if until <= now:
        raise InvalidRequest({"until": ["Ask for a time still to come."]})
    entry: ExtensionRequest = {
        "deadline": deadline, "due_at": due, "until": until, "reason": reason,
        "status": REQUEST_PENDING, "unit_id": state["unit_id"], "requested_at": now,
        "requested_by": actor, "decided_at": None, "decided_by": None, "note": None}
    return steps.change(state, now, {"extensions": state.get("extensions", []) + [entry]}, [
        event("extension_requested", state, actor, unit_id=state["unit_id"], deadline=deadline,
              due_at=clock.iso(due), until=clock.iso(until), reason=reason)])


def decide_extension(state: TicketState, actor: dict, approve: bool, note: str | None,
                     now: dt.datetime) -> Change:
    """A supervisor grants the waiting request (the deadline moves to what was asked, to be
    warned of and reported afresh) or refuses it (nothing moves)."""
    steps.check(DECIDE_EXTENSION, state, actor)  # a request waits
    request = _pending(pending_extension(state))
    name = request["deadline"]
    fields: TicketChanges = {"extensions": replaced(state["extensions"], request, _decided(
        request, REQUEST_APPROVED if approve else REQUEST_REFUSED, actor, note, now))}
    if approve:
        moved = timing.deadlines_in_force(state).copy()
        moved[DUE_KEYS[name]] = request["until"]
        fields.update({
            "deadlines": moved,
            "overdue": [entry for entry in state["overdue"] if entry["deadline"] != name],
            "warned": [entry for entry in state.get("warned", []) if entry["deadline"] != name]})
    after: TicketState = {**state, **fields}
    due = timing.due(after, name)
    return steps.change(state, now, fields, [
        event("extension_decided", state, actor, unit_id=state["unit_id"], deadline=name,
              approved=approve, due_at=clock.iso(due), until=clock.iso(request["until"]),
              note=note)])


# Pauses (挂起)
def request_pause(state: TicketState, actor: dict, reason: str,
                  resume_on: dt.datetime | None, now: dt.datetime) -> Change:
    """The unit asks for the resolve clock to stand still, until ``resume_on`` or until it
    resumes the work."""
    steps.check(REQUEST_PAUSE, state, actor)  # not paused, none waits
    if resume_on is not None and resume_on <= now:
        raise InvalidRequest({"resume_on": ["Name a time still to come, or none."]})
    entry: PauseRequest = {
        "reason": reason, "resume_on": resume_on, "status": REQUEST_PENDING,
        "unit_id": state["unit_id"], "requested_at": now, "requested_by": actor,
        "decided_at": None, "decided_by": None, "note": None, "since": None,
        "ended_at": None, "hours": None, "ended_by": None}
    return steps.change(state, now, {"pauses": state.get("pauses", []) + [entry]}, [
        event("pause_requested", state, actor, unit_id=state["unit_id"], reason=reason,
              resume_on=clock.iso(resume_on))])


def decide_pause(state: TicketState, actor: dict, approve: bool, note: str | None,
                 now: dt.datetime) -> Change:
    """A supervisor approves the waiting pause (the resolve clock stops now) or refuses it."""
    steps.check(DECIDE_PAUSE, state, actor)  # a request waits
    request = _pending(pending_pause(state))
    if approve and request["resume_on"] is not None and request["resume_on"] <= now:
        raise IllegalTransition(f"ticket {state['ticket_no']}: the pause asked for would have "
                                f"ended at {clock.iso(request['resume_on'])}; refuse it")
    decided = _decided(request, PAUSE_IN_FORCE if approve else REQUEST_REFUSED, actor, note,
                       now)
    if approve:
        decided["since"] = now
    return steps.change(state, now, {"pauses": replaced(state["pauses"], request, decided)}, [
        event("pause_decided", state, actor, unit_id=state["unit_id"], approved=approve,
              note=note, resume_on=clock.iso(request["resume_on"]))])


def resume(state: TicketState, actor: dict, now: dt.datetime) -> Change:
    """The unit or a supervisor ends the pause in force: the resolve clock runs again, its
    deadline later by the time paused."""
    steps.check(RESUME, state, actor)  # a pause is in force
    fields, events = _end_pause(state, actor, now, "request")
    return steps.change(state, now, fields, events)


def close_open_requests(state: TicketState, actor: dict, now: dt.datetime,
                        why: str) -> tuple[TicketChanges, list[Event]]:
    """The fields and events of a ticket leaving its unit's hands (``why``: resolved,
    returned, reassigned): the pause in force ends now, counted, as if ``actor`` resumed it;
    a request still waiting is withdrawn, said as refused by dispatch. Assists stay: they
    belong to the ticket (assists.py)."""
    fields, events = _end_pause(state, actor, now, "request")
    after: TicketState = {**state, **fields}
    note = f"withdrawn: the ticket was {why}"
    extension = pending_extension(after)
    if extension is not None:
        fields["extensions"] = replaced(after["extensions"], extension, _decided(
            extension, REQUEST_WITHDRAWN, SYSTEM_ACTOR, note, now))
        name = extension["deadline"]
        events.append(event("extension_decided", state, SYSTEM_ACTOR, unit_id=state["unit_id"],
                            deadline=name, approved=False,
                            due_at=clock.iso(timing.due(after, name)),
                            until=clock.iso(extension["until"]), note=note))
    pause = pending_pause(after)
    if pause is not None:
        fields["pauses"] = replaced(after["pauses"], pause, _decided(
            pause, REQUEST_WITHDRAWN, SYSTEM_ACTOR, note, now))
        events.append(event("pause_decided", state, SYSTEM_ACTOR, unit_id=state["unit_id"],
                            approved=False, note=note, resume_on=clock.iso(pause["resume_on"])))
    return fields, events


def _end_pause(state: TicketState, actor: dict, end: dt.datetime,
               by: str) -> tuple[TicketChanges, list[Event]]:
    pause = timing.pause_in_force(state)
    if pause is None:
        return {}, []
    since = pause["since"]
    assert since is not None, "a pause in force was approved: decide_pause set since"
    length = max(end - since, dt.timedelta(0))
    resolve_by = timing.due(state, "resolve") + length
    paused = timing.hours(length)
    ended: PauseRequest = {**pause, "status": PAUSE_ENDED, "ended_at": end, "hours": paused,
                           "ended_by": by}
    fields: TicketChanges = {
        "pauses": replaced(state["pauses"], pause, ended),
        "deadlines": {**timing.deadlines_in_force(state), "resolve_by": resolve_by},
        "paused_hours": state.get("paused_hours", 0.0) + paused,
        # the whole ticket's, never reset by a new dispatch: indicators leave it out
        "paused_hours_total": state.get("paused_hours_total", 0.0) + paused}
    return fields, [event("ticket_resumed", state, actor, unit_id=state["unit_id"],
                          paused_hours=paused, due_at=clock.iso(resolve_by), by=by)]


AnyRequest = TypeVar("AnyRequest", ExtensionRequest, PauseRequest)


def _decided(request: AnyRequest, status: str, actor: dict, note: str | None,
             now: dt.datetime) -> AnyRequest:
    decided = request.copy()
    decided.update({"status": status, "decided_at": now, "decided_by": actor, "note": note})
    return decided


def _pending(request: AnyRequest | None) -> AnyRequest:
    """The request its step's check found waiting (DECIDE_EXTENSION, DECIDE_PAUSE)."""
    assert request is not None, "the step's check lets it through only with one waiting"
    return request


# The supervisor's list
def supervision(states: Iterable[TicketState], now: dt.datetime) -> dict[str, list[dict]]:
    """Who owes what, JSON-ready: ``overdue`` (running deadlines passed, the latest first),
    ``warning`` (near, the least time left first), and the ``extensions`` and ``pauses``
    waiting for a decision (the oldest first); high priority before normal in each."""
    report: dict[str, list[dict]] = {"overdue": [], "warning": [], "extensions": [],
                                     "pauses": []}
    for state in states:
        for name in timing.running(state):
            due = timing.due(state, name)
            if due < now:
                report["overdue"].append({**_who_owes(state, name, due),
                                          "hours_late": _rounded(now - due)})
            elif timing.warn_at(state, name) <= now:
                report["warning"].append({**_who_owes(state, name, due),
                                          "hours_left": _rounded(due - now)})
        extension = pending_extension(state)
        if extension is not None:
            report["extensions"].append({
                **_who_owes(state, extension["deadline"],
                            timing.due(state, extension["deadline"])),
                **_request(extension), "until": extension["until"]})
        pause = pending_pause(state)
        if pause is not None:
            report["pauses"].append({
                **_who_owes(state, "resolve", timing.due(state, "resolve")),
                **_request(pause), "resume_on": pause["resume_on"]})
    first = {"high": 0}
    report["overdue"].sort(key=lambda item: (first.get(item["priority"], 1), -item["hours_late"]))
    report["warning"].sort(key=lambda item: (first.get(item["priority"], 1), item["hours_left"]))
    for requests in (report["extensions"], report["pauses"]):
        requests.sort(key=lambda item: (first.get(item["priority"], 1), item["requested_at"]))
    return jsonable(report)


def _who_owes(state: TicketState, deadline: DeadlineName, due: dt.datetime) -> dict[str, Any]:
    """Who owes which step by when, on one ticket."""
    return {"ticket_no": state["ticket_no"], "unit_id": state["unit_id"],
            "unit_name": state["unit_name"], "deadline": deadline, "due_at": due,
            "priority": state["priority"], "category": state["category"]}


def _request(entry: Request) -> dict[str, Any]:
    return {"reason": entry["reason"], "requested_at": entry["requested_at"],
            "requested_by": entry["requested_by"]}


def _rounded(span: dt.timedelta) -> float:
    return round(timing.hours(span), 2)
