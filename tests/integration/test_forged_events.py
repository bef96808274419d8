"""A part's broker user can say only its own events, and a consumer parks an envelope that
claims another source than the exchange it came through: the services run as their own
users (``system``); the forger here is a script with intake's broker user."""
from __future__ import annotations

import json

import pytest
from amqp.exceptions import AccessRefused, NotFound
from integration_support import CALL_CENTRE, eventually
from kombu import Connection
from nameko.standalone.events import event_dispatcher
from test_ticket_life import AGENT, lamp

from services.shared.events import new_event
from services.shared.payloads import event_data
from services.shared.schemas import SYSTEM_ACTOR


def resolved(ticket_no: str, unit_id: str, source: str = "dispatch") -> dict:
    return new_event(source, "ticket_resolved", event_data(
        "ticket_resolved", unit_id=unit_id, resolution="已修好", caller=lamp()["caller"],
        on_time=True), ticket_no=ticket_no)


def timeline_types(rpc, ticket_no: str) -> list[str]:
    return [entry["event_type"] for entry in rpc.ledger.timeline(ticket_no, SYSTEM_ACTOR)]


def dispatched(rpc) -> tuple[str, list[str]]:
    """A new ticket (never merged into an earlier one) once the ledger holds its dispatch;
    its number and timeline types."""
    number = rpc.intake.create_ticket(lamp(merge=False),
                                      CALL_CENTRE)["ticket_no"]  # no repeat
    types = eventually(lambda: (t := timeline_types(rpc, number))[-1:] == ["ticket_dispatched"]
                       and t)
    return number, types


@pytest.fixture
def admin_uri(request, rabbit_config) -> str:
    """The harness's own (admin) way into the test's vhost, to look into queues."""
    return request.config.getoption("RABBIT_AMQP_URI").rstrip("/") + "/" + rabbit_config["vhost"]


def parked(admin_uri: str, service: str) -> list[tuple[dict, object]]:
    """What lies in ``service``'s parking queue (headers, body), taken off it."""
    found = []
    with Connection(admin_uri) as connection:
        channel = connection.channel()
        try:
            while (message := channel.basic_get(f"parked-{service}", no_ack=True)) is not None:
                found.append((message.headers or {}, json.loads(message.body)))
        except NotFound:  # nothing was ever parked there: the queue is not declared yet
            return []
    return found


def parked_at_least(admin_uri: str, service: str, count: int) -> list[tuple[dict, object]]:
    """The first ``count`` (or more) messages parked by ``service``, waiting for them."""
    found: list[tuple[dict, object]] = []
    return eventually(lambda: (found.extend(parked(admin_uri, service)) or
                               len(found) >= count) and found, timeout=15)


def test_intakes_user_may_not_publish_on_dispatchs_exchange(system, rpc):
    number, _ = dispatched(rpc)  # dispatch is up: its exchange exists
    publish = event_dispatcher({"AMQP_URI": system["BROKER_URIS"]["intake"]})
    with pytest.raises(AccessRefused, match="exchange 'dispatch.events'"):
        publish("dispatch", "ticket_resolved", resolved(number, "yinhang-grid-1"))


def test_an_envelope_claiming_another_source_is_parked_and_nothing_of_it_applied(
        system, rpc, admin_uri):
    number, before = dispatched(rpc)
    state = rpc.dispatch.get_status(number, AGENT)
    publish = event_dispatcher({"AMQP_URI": system["BROKER_URIS"]["intake"]})
    # intake's own exchange, under a routing key the ledger and dispatch listen to
    forged = resolved(number, state["unit_id"])
    publish("intake", "ticket_created", forged)
    publish("intake", "ticket_created", {"event_type": "ticket_resolved", "data": {}})

    # the two are parked in whichever order their handlers came to them
    (headers, body), (bad_headers, bad_body) = sorted(
        parked_at_least(admin_uri, "ledger", 2), key=lambda message: message[1] != forged)
    assert body == forged
    assert headers["x-parked-reason"] == "source 'dispatch' does not match exchange " \
                                         "'intake.events'"
    assert (headers["x-parked-exchange"], headers["x-parked-routing-key"],
            headers["x-parked-by"], headers["x-parked-queue"]) == (
        "intake.events", "ticket_created", "ledger",
        "evt-intake-ticket_created--ledger.on_ticket_created")
    assert headers["x-parked-at"].endswith("Z")
    assert bad_headers["x-parked-reason"].startswith("malformed envelope")
    assert bad_body == {"event_type": "ticket_resolved", "data": {}}
    # dispatch hears intake's ticket_created too: parked there as well, not applied
    assert sorted(h["x-parked-reason"] for h, _ in parked_at_least(admin_uri, "dispatch", 2)
                  ) == sorted([headers["x-parked-reason"], bad_headers["x-parked-reason"]])

    # a proper event after them still flows; the forged one changed nothing
    marker, _ = dispatched(rpc)
    assert timeline_types(rpc, number) == before == ["ticket_created", "ticket_dispatched"]
    assert rpc.dispatch.get_status(number, AGENT) == state
    recorded = rpc.ledger.recent(SYSTEM_ACTOR, 50)
    assert not any(entry["event_id"] == forged["event_id"] for entry in recorded)


def test_proper_events_flow_and_nothing_is_parked(system, rpc, admin_uri):
    number, types = dispatched(rpc)
    assert types == ["ticket_created", "ticket_dispatched"]
    for service in ("ledger", "dispatch", "intake", "callback"):
        assert parked(admin_uri, service) == []
