"""The fault drill's poison (deploy/faults.py): bad messages published on the services'
queues while tickets flow, each of which every queue that hears it must park exactly once
(services/shared/parking.py) while the good messages around it flow on:

- a body that is not JSON, on intake's ``ticket_created`` (dispatch and the ledger hear it)
  and on dispatch's ``ticket_resolved`` (callback and the ledger);
- an envelope of an event type nobody knows, under ``ticket_created``;
- a ``ticket_created`` whose data lacks the ticket's fields: dispatch reads the data with
  the event's schema and parks it; the ledger records every event as it was said (it keeps
  this one, with no ticket);
- an RPC request that cannot be decoded, to each service's RPC queue.

Each is published as the broker user that may publish there (an events exchange only by
its service's user; an RPC by the console's) and carries the header ``x-drill-poison``
with its name, which parking keeps: ``tally`` finds each parked copy by it, reading the
parking queues as the operator's tool does (services/shared/parked.py), leaving them as
they were.
"""
from __future__ import annotations

import collections
import json
from dataclasses import dataclass, field

from kombu import Connection

from services.shared import parked
from services.shared.events import new_event

HEADER = "x-drill-poison"
RPC_EXCHANGE = parked.RPC_EXCHANGE
OTHER = "(not the drill's poison)"  # a parked copy without the header


@dataclass(frozen=True)
class Poison:
    """One bad message: where it goes, as whom, and which services must park it."""

    name: str
    what: str
    user: str          # the broker user that publishes it (permissions.py)
    exchange: str
    routing_key: str
    body: bytes
    parked_by: tuple[str, ...]  # the services whose queues hear it: each parks it once
    properties: dict = field(default_factory=dict)


def poisons(run_id: str, services: tuple[str, ...] = parked.SERVICES) -> list[Poison]:
    """The drill's bad messages, named after the run."""
    unknown = new_event("intake", "ticket_exploded", {"ticket_no": None})
    misshapen = new_event("intake", "ticket_created", {"caller": "nobody"})  # no ticket
    found = [
        Poison(f"{run_id}-not-json-created", "a body that is not JSON (ticket_created)",
               "intake", "intake.events", "ticket_created",
               f"{{not json {run_id}".encode(), ("dispatch", "ledger")),
        Poison(f"{run_id}-not-json-resolved", "a body that is not JSON (ticket_resolved)",
               "dispatch", "dispatch.events", "ticket_resolved",
               f"{{not json {run_id}".encode(), ("callback", "ledger")),
        Poison(f"{run_id}-unknown-type", "an envelope of an unknown event type",
               "intake", "intake.events", "ticket_created",
               json.dumps(unknown).encode(), ("dispatch", "ledger")),
        Poison(f"{run_id}-misshapen", "a ticket_created whose data does not fit",
               "intake", "intake.events", "ticket_created",
               json.dumps(misshapen).encode(), ("dispatch",)),
    ]
    found += [Poison(f"{run_id}-rpc-{service}", f"an RPC request to {service} that cannot "
                     f"be decoded", "console", RPC_EXCHANGE, f"{service}.parked_count",
                     f"parked_count {run_id}".encode(), (service,),
                     {"reply_to": f"drill-{run_id}", "correlation_id": f"{run_id}-{service}"})
              for service in services]
    return found


def publish(poison: Poison, uri: str) -> None:
    """Publish it as a misbehaving client would, confirmed by the broker."""
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(poison.body, exchange=poison.exchange,
                                      routing_key=poison.routing_key,
                                      content_type="application/json",
                                      content_encoding="utf-8",
                                      headers={HEADER: poison.name}, **poison.properties)


def tally(operator_uri: str, services: tuple[str, ...] = parked.SERVICES,
          limit: int = 1000) -> dict[str, dict[str, int]]:
    """The parked copies in each service's parking queue, by the poison's name (OTHER for
    those without one), read as the operator's tool reads them and left there."""
    found: dict[str, dict[str, int]] = {}
    for service in services:
        _, messages = parked.browse(operator_uri, service, limit)
        found[service] = dict(collections.Counter(
            str(message.headers.get(HEADER, OTHER)) for message in messages))
    return found


def copies(sent: list[Poison], found: dict[str, dict[str, int]]) -> list[dict]:
    """Each poison sent with the services that must park it and how many copies each
    holds (``parked``: service -> copies, services it was not to reach included)."""
    return [{"name": poison.name, "what": poison.what, "parked_by": list(poison.parked_by),
             "parked": {service: counts[poison.name] for service, counts in found.items()
                        if counts.get(poison.name)}}
            for poison in sent]


def misparked(messages: list[dict]) -> list[str]:
    """What went wrong with the poison (``copies``' list): a message not parked by a
    service that hears it, parked twice, or parked by one that should not have heard it."""
    wrong = []
    for message in messages:
        for service in sorted(set(message["parked_by"]) | set(message["parked"])):
            count = message["parked"].get(service, 0)
            want = 1 if service in message["parked_by"] else 0
            if count != want:
                wrong.append(f"{message['name']} ({message['what']}): parked {count} times "
                             f"by {service}, not {want}")
    return wrong
