"""The figures a district is judged by, computed from the ledger's entries and read model.

For a period [start, end) (start included, end excluded), per handling unit:

- **received**: tickets dispatched to the unit in the period (``ticket_dispatched``
  events, reassignments to the unit included), counted once per ticket per unit however
  often the ticket came back to it. A ticket no rule routed counts for the centre.
- **accepted**: ``ticket_accepted`` events by the unit in the period.
- **resolved**: ``ticket_resolved`` events by the unit in the period (a ticket resolved
  again after a reopen counts again).
- **closed_satisfied**: ``ticket_closed`` events in the period with outcome satisfied or
  basically_satisfied, credited to the unit the event names or, when it names none, to
  the unit the ticket was last dispatched to.
- **reopened**: ``ticket_reopened`` events in the period, credited to the unit the ticket
  reopened with.

``totals`` counts the same events over the whole district (the sum of the units, plus
any satisfied closure no unit can be credited with). ``by_state`` counts the tickets
received in the period by their current state (the read model), so it shows where the
period's tickets stand now.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterator

FIGURES = ("received", "accepted", "resolved", "closed_satisfied", "reopened")
SATISFIED = ("satisfied", "basically_satisfied")
COUNTED_EVENTS = ("ticket_dispatched", "ticket_accepted", "ticket_resolved",
                  "ticket_closed", "ticket_reopened")
"""The event types the unit figures are counted from."""


def _satisfied_closure(entry: dict) -> bool:
    return entry["event_type"] == "ticket_closed" and entry["data"].get("outcome") in SATISFIED


def uncredited_closures(entries: list[dict]) -> list[str]:
    """Tickets of satisfied closures that name no unit: their unit comes from the read model."""
    return sorted({entry["ticket_no"] for entry in entries
                   if _satisfied_closure(entry) and not entry["data"].get("unit_id")})


def credits(entries: list[dict], unit_of_ticket: dict[str, str | None]
            ) -> Iterator[tuple[str | None, str]]:
    """Each fact the period's entries count, as (unit credited or None, figure), by the
    module's definitions. ``unit_of_ticket`` gives the unit of tickets whose satisfied
    closure names none."""
    received: set[tuple[str, str]] = set()
    for entry in entries:
        event_type, data = entry["event_type"], entry["data"]
        unit_id = data.get("unit_id")
        if event_type == "ticket_dispatched":
            if (entry["ticket_no"], unit_id) not in received:  # once per ticket per unit
                received.add((entry["ticket_no"], unit_id))
                yield unit_id, "received"
        elif event_type == "ticket_accepted":
            yield unit_id, "accepted"
        elif event_type == "ticket_resolved":
            yield unit_id, "resolved"
        elif _satisfied_closure(entry):
            yield unit_id or unit_of_ticket.get(entry["ticket_no"]), "closed_satisfied"
        elif event_type == "ticket_reopened":
            yield unit_id, "reopened"


def figures(entries: list[dict], unit_of_ticket: dict[str, str | None]
            ) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Each unit's figures and the district's totals for the period's ``entries``."""
    units: dict[str, Counter] = {}
    total: Counter = Counter()
    for unit_id, figure in credits(entries, unit_of_ticket):
        total[figure] += 1
        if unit_id:
            units.setdefault(unit_id, Counter())[figure] += 1
    return (
        {unit_id: _complete(counter) for unit_id, counter in sorted(units.items())},
        _complete(total),
    )


def _complete(counter: Counter) -> dict[str, int]:
    return {figure: counter[figure] for figure in FIGURES}


def by_state(rows: list[dict]) -> dict[str, int]:
    """How many of these tickets are in each current state."""
    return dict(sorted(Counter(row.get("state") or "unknown" for row in rows).items()))
