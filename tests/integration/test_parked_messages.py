"""No message stalls a service: what it cannot apply or answer is parked, once, with the
reason, and the good messages around it flow as usual; the operator lists, shows, replays
and drops what was parked (``hotline-admin parked``). The services run as their own broker
users (``system``); the bad messages are published with intake's user, the operator's
tool runs as the operator's."""
from __future__ import annotations

import json
import time

import pytest
from amqp.exceptions import NotFound
from integration_support import CALL_CENTRE, eventually
from kombu import Connection
from test_forged_events import timeline_types
from test_ticket_life import lamp

from services.accounts import admin_cli
from services.ledger.service import LedgerService
from services.shared.events import new_event
from services.shared.parking import parking_name

POISON = "POISON: the ledger fails on this ticket every time"
SUPERVISOR = {"id": "sv-1", "name": "督办员老王", "role": "supervisor", "unit_id": None}
AGENT = {"id": "a-1", "name": "话务员小周", "role": "agent", "unit_id": None}


@pytest.fixture
def event_attempts() -> int:
    return 5  # the default: a failing event is tried for 1 + 2 + 4 + 8 = 15 s


@pytest.fixture
def settings(settings, event_attempts):
    return {**settings, "EVENT_ATTEMPTS": event_attempts}


@pytest.fixture
def admin_uri(request, rabbit_config) -> str:
    """The harness's own (admin) way into the test's vhost, to look into queues."""
    return request.config.getoption("RABBIT_AMQP_URI").rstrip("/") + "/" + rabbit_config["vhost"]


@pytest.fixture
def poisoned_ledger(monkeypatch):
    """The ledger's handlers fail every time on the ticket_created of a ticket whose
    description says POISON (and on nothing else) while ``poisoned_ledger["on"]``."""
    record = LedgerService.record
    switch = {"on": True, "calls": 0}

    def failing(self, event: dict) -> None:
        if switch["on"] and event["event_type"] == "ticket_created" and \
                POISON in str(event["data"].get("description")):
            switch["calls"] += 1
            raise RuntimeError("the ledger cannot record this one")
        record(self, event)

    monkeypatch.setattr(LedgerService, "record", failing)
    return switch


def publish_raw(uri: str, body: bytes | str, routing_key: str, exchange: str = "intake.events",
                **properties) -> None:
    """A message as a misbehaving client would send it, confirmed by the broker."""
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(body, exchange=exchange, routing_key=routing_key,
                                      content_type="application/json",
                                      content_encoding="utf-8", **properties)


def new_ticket(rpc, description: str = lamp()["description"]) -> str:
    return rpc.intake.create_ticket(lamp(description=description, merge=False),
                                    CALL_CENTRE)["ticket_no"]


def recorded_in(rpc, number: str, started: float) -> float:
    """Seconds from ``started`` until the ledger holds the ticket's creation and dispatch."""
    eventually(lambda: timeline_types(rpc, number)[-2:] == ["ticket_created",
                                                          "ticket_dispatched"],
               interval=0.02)
    return time.monotonic() - started


def take_parked(admin_uri: str, service: str) -> list[tuple[dict, object]]:
    """What lies in ``service``'s parking queue, taken off it: headers and body (read as
    JSON where it is JSON, else the bytes as parked)."""
    found: list[tuple[dict, object]] = []
    with Connection(admin_uri) as connection:
        channel = connection.channel()
        try:
            while (message := channel.basic_get(parking_name(service), no_ack=True)) \
                    is not None:
                try:
                    body: object = json.loads(message.body)
                except ValueError:
                    body = message.body
                found.append((message.headers or {}, body))
        except NotFound:  # nothing was ever parked there
            return []
    return found


def parked_by_reason(admin_uri: str, service: str, count: int) -> dict[str, list]:
    """The first ``count`` messages ``service`` parked (waiting for them), taken off the
    queue: their headers and bodies by reason."""
    found: list = []
    eventually(lambda: (found.extend(take_parked(admin_uri, service)) or len(found) >= count),
               timeout=40)
    by_reason: dict[str, list] = {}
    for headers, body in found:
        by_reason.setdefault(headers["x-parked-reason"], []).append((headers, body))
    return by_reason


def test_bad_messages_are_parked_once_each_and_good_tickets_flow_around_them(
        system, rpc, admin_uri, poisoned_ledger):
    intake_user = system["BROKER_URIS"]["intake"]
    before = new_ticket(rpc)
    baseline = recorded_in(rpc, before, time.monotonic())

    # a ticket whose creation the ledger fails to record every time, then, on the queue the
    # good tickets' creations take: a body that is not JSON, an envelope of an unknown type,
    # data of the wrong shape
    poisoned_at = time.monotonic()
    poison = new_ticket(rpc, POISON)
    publish_raw(intake_user, b"{not json", "ticket_created")
    publish_raw(intake_user, json.dumps(new_event("intake", "ticket_exploded", {})),
                "ticket_created")
    misshapen = new_event("intake", "ticket_created", {"ticket_no": 42, "caller": "nobody"})
    publish_raw(intake_user, json.dumps(misshapen), "ticket_created")

    # good tickets created right behind them are recorded with their usual latency, long
    # before the failing one has used its five attempts (15 s)
    latencies = []
    for _ in range(5):
        started = time.monotonic()
        latencies.append(recorded_in(rpc, new_ticket(rpc), started))
    good_done = time.monotonic() - poisoned_at
    assert good_done < 10, (baseline, latencies)
    assert max(latencies) < max(5.0, 5 * baseline), (baseline, latencies)
    assert poisoned_ledger["calls"] < 5  # still being tried, not yet parked

    # each bad one parked exactly once, with its reason; the failing one after 5 attempts
    ledger = parked_by_reason(admin_uri, "ledger", 3)
    assert poisoned_ledger["calls"] == 5
    time.sleep(1.5)  # nothing more comes: no retry after parking, no second copy
    assert take_parked(admin_uri, "ledger") == [] and poisoned_ledger["calls"] == 5
    assert all(len(copies) == 1 for copies in ledger.values()), ledger
    unknown, undecodable, failing = sorted(ledger)  # in the order of their words
    assert undecodable.startswith("the body cannot be decoded: DecodeError")
    assert ledger[undecodable][0][1] in (b"{not json", "{not json")  # as it came
    assert unknown == "event_type 'ticket_exploded' does not match routing key 'ticket_created'"
    assert failing == "the handler failed 5 times; last: RuntimeError: the ledger cannot " \
                      "record this one"
    [(headers, body)] = ledger[failing]
    assert headers["x-parked-attempts"] == 5
    assert (headers["x-parked-exchange"], headers["x-parked-routing-key"]) == (
        "intake.events", "ticket_created")
    assert body["ticket_no"] == poison and body["event_type"] == "ticket_created"
    # the poisoned ticket itself was dispatched: only the ledger's record of it failed
    assert timeline_types(rpc, poison) == ["ticket_dispatched"]

    # dispatch reads the data with the event's schema: it parks the misshapen one too
    # (the ledger records every event as it was said: it kept that one as said)
    dispatch = parked_by_reason(admin_uri, "dispatch", 3)
    assert all(len(copies) == 1 for copies in dispatch.values()), dispatch
    misfit, unknown, undecodable = sorted(dispatch)
    assert undecodable.startswith("the body cannot be decoded: DecodeError")
    assert misfit.startswith("data does not fit ticket_created: ")
    assert dispatch[misfit][0][1] == misshapen
    assert unknown == "event_type 'ticket_exploded' does not match routing key 'ticket_created'"


@pytest.mark.parametrize("event_attempts", [3])
def test_ten_failing_events_delay_the_good_ones_behind_them_by_their_pauses_only(
        system, rpc, admin_uri, poisoned_ledger):
    """As many failing events as the ledger takes at once (max_workers: 10) hold its queue
    for their pauses (here 1 + 2 s), then are parked; the good tickets created right after
    them are recorded then, not never."""
    poisons = [new_ticket(rpc, f"{POISON} #{n}") for n in range(10)]
    started = time.monotonic()
    good = [new_ticket(rpc) for _ in range(5)]
    for number in good:
        recorded_in(rpc, number, started)
    waited = time.monotonic() - started
    assert waited < 15, waited
    parked_copies = parked_by_reason(admin_uri, "ledger", 10)
    assert list(parked_copies) == ["the handler failed 3 times; last: RuntimeError: the ledger "
                                   "cannot record this one"]
    [copies] = parked_copies.values()
    assert sorted(body["ticket_no"] for _, body in copies) == sorted(poisons)
    assert poisoned_ledger["calls"] == 30


def test_a_request_that_is_no_request_is_parked_and_the_service_keeps_answering(
        system, rpc, admin_uri):
    console_user = system["AMQP_URI"]
    # a request nobody waits for (nameko's answer to it used to stop the service, and again
    # each time it came back), one with no args, and one that is not JSON
    publish_raw(console_user, json.dumps({"args": [], "kwargs": {}}), "intake.get_ticket",
                exchange="nameko-rpc")
    publish_raw(console_user, json.dumps({"ticket_no": "YP1"}), "intake.get_ticket",
                exchange="nameko-rpc", reply_to="nobody-listens", correlation_id="c-1")
    publish_raw(console_user, b"get_ticket YP1", "intake.get_ticket", exchange="nameko-rpc",
                reply_to="nobody-listens", correlation_id="c-2")

    found = parked_by_reason(admin_uri, "intake", 3)
    assert sorted(found)[:2] == ["not a request: no args or kwargs",
                                 "not a request: no reply_to (nobody to answer)"]
    assert sorted(found)[2].startswith("the body cannot be decoded: DecodeError")
    for [(headers, _)] in found.values():
        assert (headers["x-parked-exchange"], headers["x-parked-routing-key"],
                headers["x-parked-queue"]) == ("nameko-rpc", "intake.get_ticket", "rpc-intake")

    # intake still answers, and bad arguments are still answered InvalidRequest
    from services.shared.errors import InvalidRequest

    number = new_ticket(rpc)
    assert rpc.intake.get_ticket(number, AGENT)["ticket_no"] == number
    with pytest.raises(InvalidRequest):
        rpc.intake.get_ticket({"not": "a number"}, AGENT)
    with pytest.raises(InvalidRequest, match="Wrong arguments for get_ticket"):
        rpc.intake.get_ticket(number)  # the actor left out: an error of the contract too
    assert take_parked(admin_uri, "intake") == []


def admin(*argv: str) -> int:
    return admin_cli.main(["parked", *argv])


@pytest.mark.parametrize("event_attempts", [2])
def test_hotline_admin_parked_lists_shows_replays_and_drops(
        system, rpc, admin_uri, poisoned_ledger, capsys):
    operator = system["BROKER_URIS"]["operator"]
    poison = new_ticket(rpc, POISON)
    publish_raw(system["BROKER_URIS"]["intake"], b"{not json", "ticket_created")
    # parked: the ledger's failing ticket_created (after 2 attempts), the body at both
    eventually(lambda: rpc.ledger.parked_count(SUPERVISOR)["count"] == 2, timeout=20)
    assert rpc.dispatch.parked_count(SUPERVISOR) == {"service": "dispatch",
                                                     "queue": "parked-dispatch", "count": 1}
    capsys.readouterr()

    assert admin("--amqp-uri", operator, "list") == 0
    listed = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    assert listed == {"parked-intake": "never parked", "parked-dispatch": "1",
                      "parked-callback": "never parked", "parked-ledger": "2",
                      "parked-register": "never parked", "parked-accounts": "never parked"}

    assert admin("--amqp-uri", operator, "show", "ledger") == 0
    shown = capsys.readouterr().out
    assert "parked-ledger: 2 message(s)" in shown
    assert "reason: the handler failed 2 times; last: RuntimeError: the ledger cannot record " \
           "this one" in shown
    assert "from intake.events ticket_created" in shown and "ticket_created" in shown
    assert "reason: the body cannot be decoded" in shown
    assert rpc.ledger.parked_count(SUPERVISOR)["count"] == 2  # show took nothing away
    assert admin("--amqp-uri", operator, "show", "--limit", "1") == 0
    every = capsys.readouterr().out
    assert "parked-intake: 0 message(s)" in every
    assert "parked-ledger: 2 message(s), the first 1 shown" in every
    assert every.count("reason: ") == 2  # one of the ledger's, dispatch's one

    # the ledger mended: the parked creation replayed, by its event id, is recorded once
    poisoned_ledger["on"] = False
    [event_id] = [line.split()[2] for line in shown.splitlines()
                  if line.strip().split()[1:2] == ["ticket_created"]]
    assert admin("--amqp-uri", operator, "replay", "ledger", "--id", event_id) == 0
    assert capsys.readouterr().out == "replayed 1 message(s) of parked-ledger\n"
    types = eventually(lambda: (t := timeline_types(rpc, poison))[:1] == ["ticket_created"]
                       and t)
    assert types == ["ticket_created", "ticket_dispatched"]
    time.sleep(1)  # dispatch heard the replay too: it had applied it, and changes nothing
    assert timeline_types(rpc, poison) == ["ticket_created", "ticket_dispatched"]
    assert rpc.ledger.parked_count(SUPERVISOR)["count"] == 1

    assert admin("--amqp-uri", operator, "replay", "ledger", "--id", "no-such-event") == 1
    assert "no message of event no-such-event" in capsys.readouterr().err
    assert admin("--amqp-uri", operator, "drop", "ledger", "--all") == 0
    assert capsys.readouterr().out == "dropped 1 message(s) of parked-ledger\n"
    assert admin("--amqp-uri", operator, "drop", "dispatch", "--all") == 0
    assert admin("--amqp-uri", operator, "list") == 0
    assert "parked-ledger      0" in capsys.readouterr().out
    assert take_parked(admin_uri, "ledger") == []


def test_the_operators_broker_user_reaches_the_parking_queues_and_nothing_else(system, rpc):
    from amqp.exceptions import AccessRefused
    from nameko.standalone.rpc import ClusterRpcProxy

    operator = system["BROKER_URIS"]["operator"]
    with Connection(operator) as connection:
        with pytest.raises(AccessRefused):
            connection.channel().basic_get("rpc-intake")
        with pytest.raises(AccessRefused):
            connection.channel().basic_get("evt-intake-ticket_created--ledger.on_ticket_created")
    with pytest.raises(AccessRefused), ClusterRpcProxy({"AMQP_URI": operator}, timeout=5) as other:
        other.intake.get_ticket("YP1", AGENT)
