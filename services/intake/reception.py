"""Receiving a call: the rules that turn a validated request into a ticket and its events.

Plain functions, no broker and no database: the service class does the I/O.
"""
from __future__ import annotations

import datetime as dt

from services.intake.duplicates import Match
from services.intake.residents import CHECKIN_CHANNEL, REGISTERED_RESIDENT
from services.shared import access, clock, redelivery
from services.shared.events import new_event
from services.shared.payloads import TicketSchema, event_data, resident_card
from services.shared.states import ANSWERED, PRAISE, RECEIVED


def priority_of(request: dict, resident: dict | None = None) -> tuple[str, list[str]]:
    """Whether the ticket is answered first, and why. An urgent matter, a welfare check on
    a resident and a caller in the register (一号专线) all go to the front of the queue."""
    reasons = []
    if request["urgency"] == "urgent":
        reasons.append("urgent")
    if request["category"] == "welfare_check":
        reasons.append("welfare_check")
    if resident is not None:
        reasons.append(REGISTERED_RESIDENT)
    return ("high" if reasons else "normal"), reasons


def receive(request: dict, number: str, received_at: dt.datetime, actor: dict,
            resident: dict | None = None) -> tuple[dict, list[dict]]:
    """The ticket document for a validated ``request`` numbered ``number`` and received by
    ``actor``, and the events that say so: ``ticket_created``, and ``ticket_answered``
    when answered on the spot. A praise call says ``praise_received`` only, so that
    dispatch, which routes every created ticket, never sees it. ``resident``: the card
    of the register's resident the ticket is about (the caller, or a missed check-in's)."""
    priority, reasons = priority_of(request, resident)
    answered = bool(request.get("answer"))
    praise = request["kind"] == "praise"
    status = PRAISE if praise else ANSWERED if answered else RECEIVED
    ticket = {
        "ticket_no": number,
        "channel": request["channel"],
        "caller": request["caller"],
        "kind": request["kind"],
        "category": request["category"],
        "description": request["description"],
        "address": request["address"],
        "urgency": request["urgency"],
        "priority": priority,
        "priority_reasons": reasons,
        "answer": request.get("answer"),
        "external_id": request.get("external_id"),
        "media_url": request.get("media_url"),
        "status": status,
        "received_at": received_at,
        "calls": 1,
        "praise": request.get("praise") if praise else None,
        # the card as ResidentCardSchema has it: never health notes, even from a copy
        # kept before they left the card
        "resident": resident_card(resident) if resident is not None else None,
        "received_by": actor.get("id"),  # the agent who took the call sees the caller
        # in the duplicate index: a later call about the same matter merges into it
        # until dispatch closes it; answered consultations, praise calls and welfare
        # checks on a missed check-in (one ticket per missed check-in) never are
        "candidate": status == RECEIVED and request["channel"] != CHECKIN_CHANNEL,
        "repeats": [],
    }
    if praise:
        return ticket, [praise_received(ticket, actor)]
    payload = as_payload(ticket)
    events = [new_event("intake", "ticket_created", event_data("ticket_created", **payload),
                        ticket_no=number, actor=actor)]
    if answered:
        events.append(new_event("intake", "ticket_answered",
                                event_data("ticket_answered", answer=ticket["answer"]),
                                ticket_no=number, actor=actor))
    return ticket, events


def facts(ticket: dict) -> access.Facts:
    """What the access rule needs of a received ticket: its district and who took the
    call. Intake does not know which units handle it (dispatch does): unit staff read
    tickets there."""
    return {"district": ticket["address"].get("district"),
            "taken_by": ticket.get("received_by"),
            "grid_unit_id": (ticket.get("resident") or {}).get("grid_unit_id")}


def praise_received(ticket: dict, actor: dict) -> dict:
    """The event of a praise call, under the praise call's own number."""
    praised = ticket["praise"]
    data = event_data("praise_received", praised_ticket_no=praised.get("ticket_no"),
                      praised_unit_id=praised.get("unit_id"), caller=ticket["caller"],
                      description=ticket["description"])
    return new_event("intake", "praise_received", data, ticket_no=ticket["ticket_no"],
                     actor=actor)


def mergeable(request: dict) -> bool:
    """Whether a call may be merged into an open ticket: not when the agent says it is a
    new matter (``merge`` false), nor a praise call, nor a consultation answered on the
    spot (it is done as it is received)."""
    return request["merge"] and request["kind"] != "praise" and not request.get("answer")


def repeat_call(first: dict, request: dict, match: Match, received_at: dt.datetime,
                actor: dict, request_id: str | None = None) -> tuple[dict, dict]:
    """A repeat of the open ticket ``first`` (重复件): the call as it is recorded in that
    ticket, and its ``ticket_merged`` event under the first ticket's number. The call
    names the RPC request ``request_id`` that brought it (redelivery.applied_key; None
    without one), so that a redelivery of it is told it was merged (merged_by)."""
    call = {
        "caller": request["caller"],
        "channel": request["channel"],
        "description": request["description"],
        "received_at": received_at,
        "external_id": request.get("external_id"),
        "match": match.match,
        "similarity": match.similarity,
        "request": redelivery.applied_key(request_id) if request_id is not None else None,
    }
    data = event_data("ticket_merged", caller=call["caller"], channel=call["channel"],
                      description=call["description"], match=call["match"],
                      similarity=call["similarity"], calls=first["calls"] + 1,
                      external_id=call["external_id"])
    return call, new_event("intake", "ticket_merged", data, ticket_no=first["ticket_no"],
                           actor=actor)


def merged_by(ticket: dict, request_id: str) -> bool:
    """Whether the request ``request_id`` that ``ticket`` records (redelivery.already_applied)
    was a call merged into it, rather than the call that made it."""
    key = redelivery.applied_key(request_id)
    return any(call.get("request") == key for call in ticket.get("repeats") or ())


# The fields of a ticket as callers and events see it, named once rather than by building
# the schema for every answer.
PAYLOAD_FIELDS = tuple(TicketSchema().fields)


def as_payload(ticket: dict) -> dict:
    """The ticket as callers and events see it (JSON-ready, times as ISO text)."""
    fields = {name: ticket.get(name) for name in PAYLOAD_FIELDS}
    fields["calls"] = ticket.get("calls", 1)
    fields["received_at"] = clock.iso(ticket["received_at"])
    return fields
