"""The intake service: the RPCs call-centre software calls to create and read tickets.

Contract version 1. Errors a caller may see: ``InvalidRequest`` (``errors`` lists every
field), ``NotFound``. Both come from ``services.shared.errors``.
"""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.events import EventDispatcher
from nameko.rpc import rpc

from services.intake import numbering, reception
from services.intake.schemas import TicketRequestSchema
from services.intake.store import TicketStore
from services.shared import clock, outbox
from services.shared.errors import EXPECTED, InvalidRequest, NotFound
from services.shared.schemas import load, load_actor
from services.shared.storage import Storage

DEFAULT_PREFIX = "SH"


class IntakeService:
    name = "intake"

    store: TicketStore = Storage(TicketStore)
    config = Config()
    dispatch = EventDispatcher()

    @rpc(expected_exceptions=EXPECTED)
    def create_ticket(self, request: dict, actor: dict | None = None) -> dict:
        """Receive a call and return the ticket: ``ticket_no``, ``status`` (received, or
        answered when ``answer`` was given), ``priority`` and every field as stored.
        ``actor`` is the agent who took the call (``id``, ``name``, ``role``, ``unit_id``);
        without one the ledger records the channel as the receiver.

        The same ``external_id`` always returns the ticket first created for it.
        Raises InvalidRequest, listing every field error, with nothing stored and no
        event sent.
        """
        data = load(TicketRequestSchema(), request)
        actor = reception.channel_actor(data["channel"]) if actor is None else load_actor(actor)
        existing = self.store.by_external_id(data["external_id"])
        if existing is not None:
            return reception.as_payload(existing)
        received_at = clock.now()
        settings = self.config.get("TICKET_NUMBERS") or {}
        key = numbering.counter_key(
            numbering.prefix_for(data["address"]["district"], settings.get("prefixes") or {},
                                 settings.get("default_prefix") or DEFAULT_PREFIX),
            received_at,
        )
        number = numbering.ticket_no(key, self.store.next_sequence(key))
        ticket, events = reception.receive(data, number, received_at, actor)
        stored = self.store.add(ticket, events)
        outbox.publish_now(self.store.tickets, self.dispatch, stored["_id"])
        return reception.as_payload(stored)

    @rpc(expected_exceptions=EXPECTED)
    def get_ticket(self, ticket_no: str) -> dict:
        """The ticket as received (see create_ticket). Its progress since is
        ``dispatch.get_status``; its history ``ledger.timeline``. Raises NotFound."""
        if not isinstance(ticket_no, str):
            raise InvalidRequest({"ticket_no": ["Not a valid string."]})
        ticket = self.store.get(ticket_no)
        if ticket is None:
            raise NotFound(f"ticket {ticket_no}")
        return reception.as_payload(ticket)

    publish_outbox = outbox.sweep(lambda service: service.store.tickets)
