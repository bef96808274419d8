"""Receiving a call: the rules that turn a validated request into a ticket and its events.

Plain functions, no broker and no database: the service class does the I/O.
"""
from __future__ import annotations

import datetime as dt

from services.shared import clock
from services.shared.events import new_event
from services.shared.payloads import TicketSchema, event_data


def priority_of(request: dict) -> tuple[str, list[str]]:
    """Whether the ticket is answered first, and why. An urgent matter and a welfare check
    on a resident both go to the front of the queue."""
    reasons = []
    if request["urgency"] == "urgent":
        reasons.append("urgent")
    if request["category"] == "welfare_check":
        reasons.append("welfare_check")
    return ("high" if reasons else "normal"), reasons


CHANNEL_NAMES = {"hotline": "12345热线", "wechat": "微信", "app": "移动端", "web": "网站",
                 "walk_in": "窗口来访"}


def channel_actor(channel: str) -> dict:
    """Who received the ticket when the caller's software names no agent: the channel."""
    return {"id": f"channel:{channel}", "name": CHANNEL_NAMES[channel], "role": "agent",
            "unit_id": None}


def receive(request: dict, number: str, received_at: dt.datetime,
            actor: dict) -> tuple[dict, list[dict]]:
    """The ticket document for a validated ``request`` numbered ``number`` and received by
    ``actor``, and the events that say so: ``ticket_created``, and ``ticket_answered``
    when answered on the spot."""
    priority, reasons = priority_of(request)
    answered = bool(request.get("answer"))
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
        "status": "answered" if answered else "received",
        "received_at": received_at,
    }
    payload = as_payload(ticket)
    events = [new_event("intake", "ticket_created", event_data("ticket_created", **payload),
                        ticket_no=number, actor=actor)]
    if answered:
        events.append(new_event("intake", "ticket_answered",
                                event_data("ticket_answered", answer=ticket["answer"]),
                                ticket_no=number, actor=actor))
    return ticket, events


def as_payload(ticket: dict) -> dict:
    """The ticket as callers and events see it (JSON-ready, times as ISO text)."""
    fields = {name: ticket.get(name) for name in TicketSchema().fields}
    fields["received_at"] = clock.iso(ticket["received_at"])
    return fields
