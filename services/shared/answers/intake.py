"""intake's answers: ``get_ticket`` answers a ticket as received (``payloads.TicketSchema``,
also ``ticket_created``'s data); ``create_ticket`` answers it with whether the call was
merged."""
from __future__ import annotations

from marshmallow import fields

from services.shared.payloads import TicketSchema


class CreatedTicketSchema(TicketSchema):
    """The ticket a call made, or the open ticket it was merged into (``merged``; its
    ``calls`` then counts this call)."""

    merged = fields.Boolean(required=True)
