"""A ticket's deadline clock: which deadlines are running, when each is near or missed, and
when the timer must next look at the ticket. Plain functions of the state document.

The deadlines in force are the state's ``deadlines`` (``accept_by``, ``contact_by``,
``resolve_by``): as the policy set them at dispatch, moved later by an approved extension
or by the time a pause held the resolve clock.

- A deadline **runs** while the ticket is open and the deadline unmet; resolve stands still
  while a pause is in force (挂起).
- Its **window** runs from dispatch to its due time; for resolve the window's start moves
  later by the time paused, as its due time does, so a pause shifts the whole window.
- It is **near** once ``warn_share`` of its window has passed (``ticket_warning``) and
  **missed** once its due time has (``ticket_overdue``). Each is said once per deadline in
  force: ``warned`` and ``overdue`` list what was said. An approved extension makes a new
  deadline and clears both for it; a pause only shifts the deadline and clears neither.
"""
from __future__ import annotations

import datetime as dt

from services.dispatch.policy import DEADLINES, DEFAULT_WARN_SHARE, to_millis
from services.dispatch.ticket_state import (
    DUE_KEYS,
    DeadlineName,
    Deadlines,
    PauseRequest,
    TicketState,
)
from services.shared.states import OPEN_STATES, PAUSE_IN_FORCE

HOUR = dt.timedelta(hours=1)


def deadlines_in_force(state: TicketState) -> Deadlines:
    """The deadlines in force of a ticket that was dispatched: only one answered at intake
    has none, and nothing asks for its deadlines."""
    deadlines = state["deadlines"]
    assert deadlines is not None, f"ticket {state['ticket_no']} has no deadlines"
    return deadlines


def due(state: TicketState, name: DeadlineName) -> dt.datetime:
    return deadlines_in_force(state)[DUE_KEYS[name]]


def pause_in_force(state: TicketState) -> PauseRequest | None:
    return next((pause for pause in state.get("pauses", [])
                 if pause["status"] == PAUSE_IN_FORCE), None)


def running(state: TicketState) -> list[DeadlineName]:
    """The deadlines whose clock runs now, in the order a unit meets them."""
    if state["state"] not in OPEN_STATES or not state["deadlines"]:
        return []
    paused = pause_in_force(state) is not None
    return [name for name in DEADLINES
            if name not in state["met"] and not (paused and name == "resolve")]


def warn_at(state: TicketState, name: DeadlineName) -> dt.datetime:
    """When ``warn_share`` of the deadline's window has passed."""
    start = state["dispatched_at"]
    # set with the deadlines by every dispatch (lifecycle._dispatch_fields)
    assert start is not None, f"ticket {state['ticket_no']} was never dispatched"
    if name == "resolve":
        start += state.get("paused_hours", 0.0) * HOUR
    share = state.get("warn_share", DEFAULT_WARN_SHARE)
    return to_millis(start + (due(state, name) - start) * share)


def was_warned(state: TicketState, name: DeadlineName) -> bool:
    """Whether the deadline in force was said to be near (``ticket_warning``)."""
    return any(entry["deadline"] == name for entry in state.get("warned", []))


def was_reported_overdue(state: TicketState, name: DeadlineName) -> bool:
    """Whether the deadline in force was said to be missed (``ticket_overdue``)."""
    return any(entry["deadline"] == name for entry in state["overdue"])


def missed_deadlines(state: TicketState,
                     now: dt.datetime) -> list[tuple[DeadlineName, dt.datetime]]:
    """The running deadlines that have passed and were not yet reported overdue."""
    return [(name, due(state, name)) for name in running(state)
            if not was_reported_overdue(state, name) and due(state, name) < now]


def near_deadlines(state: TicketState,
                   now: dt.datetime) -> list[tuple[DeadlineName, dt.datetime]]:
    """The running deadlines that are near, not yet passed, and not yet warned of."""
    return [(name, due(state, name)) for name in running(state)
            if not was_warned(state, name) and not was_reported_overdue(state, name)
            and warn_at(state, name) <= now < due(state, name)]


def next_check(state: TicketState) -> dt.datetime | None:
    """When the timer must next look at this ticket: the earliest moment a running deadline
    becomes near or missed unsaid, or a pause is due to end. None when nothing can come."""
    moments = []
    for name in running(state):
        if was_reported_overdue(state, name):
            continue
        moments.append(due(state, name) if was_warned(state, name) else warn_at(state, name))
    pause = pause_in_force(state)
    if pause is not None and pause["resume_on"]:
        moments.append(pause["resume_on"])
    return min(moments, default=None)


def nearest_deadline(state: TicketState) -> dt.datetime | None:
    """The earliest deadline not met yet, overdue or paused or not."""
    if state["state"] not in OPEN_STATES or not state["deadlines"]:
        return None
    return min((due(state, name) for name in DEADLINES if name not in state["met"]),
               default=None)


def hours(span: dt.timedelta) -> float:
    return span / HOUR
