"""The ledger service: records every event the other services say, in order and for good,
and answers consoles and reports from that record.

Contract version 1. Errors a caller may see: ``InvalidRequest`` (``errors`` lists every
field), ``NotFound``. Both come from ``services.shared.errors``. Every answer is a read:
no RPC changes the record.
"""
from __future__ import annotations

import logging

from nameko.rpc import rpc

from services.ledger import indicators
from services.ledger import record
from services.ledger.schemas import RECENT_DEFAULT, PeriodSchema, RecentSchema, TicketNoSchema
from services.ledger.store import LedgerStore
from services.shared import clock
from services.shared.errors import EXPECTED, NotFound
from services.shared.events import EVENTS_BY_SOURCE, on_event
from services.shared.schemas import load
from services.shared.storage import Storage

log = logging.getLogger(__name__)


def _recorder(source: str, event_type: str):
    """A nameko handler of ``source``'s ``event_type`` that records the event."""

    def handle(self, event: dict) -> None:
        self.record(event)

    handle.__name__ = handle.__qualname__ = f"on_{event_type}"
    handle.__doc__ = f"Record {source}'s {event_type}."
    return on_event(source, event_type)(handle)


def records_every_event(cls):
    """Give the service one handler, ``on_<event_type>``, per event type in
    EVENTS_BY_SOURCE, so an event type added to the contract is recorded without more code."""
    for source, event_types in EVENTS_BY_SOURCE.items():
        for event_type in event_types:
            name = f"on_{event_type}"
            if hasattr(cls, name):
                raise TypeError(f"{cls.__name__}.{name} is defined twice")
            setattr(cls, name, _recorder(source, event_type))
    return cls


@records_every_event
class LedgerService:
    name = "ledger"

    store: LedgerStore = Storage(LedgerStore)

    def record(self, event: dict) -> None:
        """Append the event to the ledger, then bring its ticket's read model up to date.
        A redelivered event is not recorded again; the read model still gets it if a crash
        came between the two writes."""
        entry, new = self.store.append(record.entry_of(event, clock.now()))
        if not new:
            log.debug("%s %s already recorded", event["event_type"], event["event_id"])
        if entry["ticket_no"] is not None:
            self.store.apply_to_ticket(entry)

    @rpc(expected_exceptions=EXPECTED)
    def timeline(self, ticket_no: str) -> list[dict]:
        """Everything recorded about one ticket, in the order it happened (occurred_at,
        then seq). Each item: seq, event_id, ticket_no, event_type, source, occurred_at,
        recorded_at (ISO), actor, data, and summary, a short Chinese sentence for a console
        ("派单至 殷行街道第一网格工作站", "退单: …", "回访: 满意").
        Raises InvalidRequest for a missing or malformed ticket_no, NotFound when nothing
        is recorded for it."""
        ticket_no = load(TicketNoSchema(), {"ticket_no": ticket_no})["ticket_no"]
        entries = self.store.timeline(ticket_no)
        if not entries:
            raise NotFound(f"ticket {ticket_no}")
        return [record.as_item(entry) for entry in entries]

    @rpc(expected_exceptions=EXPECTED)
    def ticket_view(self, ticket_no: str) -> dict:
        """The ticket as the ledger's events say it stands: ticket_no, state, state_at,
        unit_id, unit_name, category, kind, channel, urgency, priority, place (district,
        subdistrict, community), received_at, outcome, closed_at, reopen_count, overdue
        ([{deadline, due_at}]), last_event_at. The live state is dispatch.get_status; this
        one may lag it by the events in flight. Raises InvalidRequest, NotFound."""
        ticket_no = load(TicketNoSchema(), {"ticket_no": ticket_no})["ticket_no"]
        row = self.store.ticket(ticket_no)
        if row is None:
            raise NotFound(f"ticket {ticket_no}")
        return record.as_view(row)

    @rpc(expected_exceptions=EXPECTED)
    def indicators(self, start: str, end: str) -> dict:
        """The figures of the period [start, end) (ISO 8601 times; end excluded):
        ``{"period": {start, end}, "units": {unit_id: {received, accepted, resolved,
        closed_satisfied, reopened}}, "totals": {same keys}, "by_state": {state: count}}``.
        Definitions: see services/ledger/indicators.py. Raises InvalidRequest for a time
        that is not ISO 8601 or a period that does not end after it starts."""
        period = load(PeriodSchema(), {"start": start, "end": end})
        entries = self.store.entries_between(period["start"], period["end"],
                                             indicators.COUNTED_EVENTS)
        unit_of_ticket = self.store.units_of(indicators.uncredited_closures(entries))
        units, totals = indicators.figures(entries, unit_of_ticket)
        received = self.store.tickets_received_between(period["start"], period["end"])
        return {
            "period": {"start": clock.iso(period["start"]), "end": clock.iso(period["end"])},
            "units": units,
            "totals": totals,
            "by_state": indicators.by_state(received),
        }

    @rpc(expected_exceptions=EXPECTED)
    def recent(self, limit: int = RECENT_DEFAULT) -> list[dict]:
        """The newest recorded entries across tickets, newest first (items as in
        timeline), for a console's feed. ``limit`` 1–500, default 50. Raises InvalidRequest."""
        limit = load(RecentSchema(), {"limit": limit})["limit"]
        return [record.as_item(entry) for entry in self.store.recent(limit)]
