"""Which steps a person may take on a ticket now, so that a page offers those and no other.

It follows dispatch's table of steps (services/dispatch/steps.py: from which states each
step is legal and who takes it) and the conditions its rules add (a request already
waiting, a pause in force, assisting units that still owe their part). dispatch stays
the judge: a step it refuses anyway (another person moved the ticket meanwhile) is shown
with its message. Plain functions of the ticket's view (dispatch.get_status) and the
signed-in user; no Flask, no RPC.
"""
from __future__ import annotations

PENDING, DISPATCHED, ACCEPTED, CONTACTED = "pending", "dispatched", "accepted", "contacted"
OPEN = (PENDING, DISPATCHED, ACCEPTED, CONTACTED)
HELD = (DISPATCHED, ACCEPTED, CONTACTED)  # a handling unit holds it
WORKING = (ACCEPTED, CONTACTED)           # the unit has signed for it
CENTRE_ROLES = ("dispatcher", "supervisor", "admin")
SUPERVISOR_ROLES = ("supervisor", "admin")
OWING = ("added", "accepted")  # an assisting unit that still owes its part
DEADLINES = ("accept", "contact", "resolve")

# In the order a ticket page shows them: the unit's own work first, then an assisting
# unit's, supervision and the centre's, and last the steps taken less often.
ACTIONS = ("accept", "record_contact", "resolve", "accept_assist", "report_assist",
           "decide_extension", "decide_pause", "resume", "urge", "reassign", "add_assist",
           "release_assist", "request_extension", "request_pause", "return_ticket")


def actions_for(ticket: dict, user: dict) -> list[str]:
    """The steps ``user`` ({role, unit_id}) may take on ``ticket`` (get_status's view) now,
    in ACTIONS order."""
    state, role, unit_id = ticket["state"], user["role"], user.get("unit_id")
    # the lead unit's steps: its staff, or an admin (as dispatch allows)
    lead = role == "admin" or (role == "unit_staff" and unit_id is not None
                               and unit_id == ticket.get("unit_id"))
    centre = role in CENTRE_ROLES
    supervisor = role in SUPERVISOR_ROLES
    own_assist = next((assist for assist in ticket.get("assists") or []
                       if role in ("unit_staff", "admin") and unit_id is not None
                       and assist["unit_id"] == unit_id), None)
    owing = [assist for assist in ticket.get("assists") or [] if assist["status"] in OWING]
    extension_waits = _waiting(ticket, "extensions")
    pause_waits = _waiting(ticket, "pauses")
    paused = bool(ticket.get("paused"))
    unmet = unmet_deadlines(ticket)

    may = set()
    if lead and state == DISPATCHED:
        may.add("accept")
    if lead and state in HELD:
        may.add("return_ticket")
        if unmet and not extension_waits:
            may.add("request_extension")
    if lead and state in WORKING:
        may.add("record_contact")
        if not owing:  # the lead resolves once every assisting unit has reported
            may.add("resolve")
        if not paused and not pause_waits:
            may.add("request_pause")
    if (lead or supervisor) and state in WORKING and paused:
        may.add("resume")
    if supervisor and state in HELD and extension_waits:
        may.add("decide_extension")
    if supervisor and state in WORKING and pause_waits:
        may.add("decide_pause")
    if state in OPEN:
        if supervisor:
            may.add("urge")
        if centre:
            may.add("reassign")
        if centre or lead:
            may.add("add_assist")
            if owing:
                may.add("release_assist")
        if own_assist is not None and own_assist["status"] == "added":
            may.add("accept_assist")
        if own_assist is not None and own_assist["status"] == "accepted":
            may.add("report_assist")
    return [action for action in ACTIONS if action in may]


def unmet_deadlines(ticket: dict) -> list[str]:
    """The deadlines an extension may still be asked for."""
    if not ticket.get("deadlines"):
        return []
    return [name for name in DEADLINES if name not in (ticket.get("met") or [])]


def _waiting(ticket: dict, what: str) -> dict | None:
    return next((entry for entry in ticket.get(what) or [] if entry["status"] == "pending"),
                None)
