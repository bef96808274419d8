import datetime as dt
from types import SimpleNamespace

import pytest

from services.shared import clock
from services.shared.events import (
    BadEvent,
    EnvelopeHandler,
    Examined,
    examine,
    handling,
    new_event,
    on_event,
    read_event,
)
from services.shared.payloads import event_data


def answered(**kwargs):
    return new_event("intake", "ticket_answered", event_data("ticket_answered", answer="已答复"),
                     ticket_no="YP20261123-0001", **kwargs)


def test_an_envelope_reads_back_as_written():
    event = answered()
    assert read_event(event) == event
    assert event["caused_by"] is None


@pytest.mark.parametrize("broken", [
    None, "text", {}, {"event_type": "ticket_created"},
    {**answered(), "occurred_at": "yesterday"}, {**answered(), "data": "not a dict"},
])
def test_what_is_not_an_envelope_is_a_bad_event(broken):
    with pytest.raises(BadEvent):
        read_event(broken)


def test_an_effect_is_stamped_after_its_cause_even_when_the_cause_clock_runs_ahead():
    # the cause came from a machine whose clock is a minute ahead of ours
    cause = {**answered(), "occurred_at": clock.iso(clock.now() + dt.timedelta(minutes=1))}
    with handling(cause):
        effect = answered()
    after = answered()

    assert clock.parse_iso(effect["occurred_at"]) == \
        clock.parse_iso(cause["occurred_at"]) + dt.timedelta(milliseconds=1)
    assert effect["caused_by"] == cause["event_id"]
    assert after["caused_by"] is None  # outside the handler, events have no cause


def test_payloads_refuse_data_that_does_not_fit_the_contract():
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        event_data("ticket_overdue", unit_id="u", deadline="lunch", due_at="2026-11-23T02:00:00Z")


class Listener:
    """A handler of ticket_answered as services declare them, keeping what it was given."""

    def __init__(self):
        self.heard: list[dict] = []

    @on_event("intake", "ticket_answered")
    def on_answered(self, event: dict) -> None:
        self.heard.append(event)

    @on_event("intake", "ticket_answered", as_said=True)
    def record(self, event: dict) -> None:
        self.heard.append(event)


def test_a_handler_gets_the_data_read_with_the_events_schema_or_never_hears_it():
    listener = Listener()
    answered = new_event("intake", "ticket_answered",
                         {"answer": "请到街道服务站办理", "added_later": 1}, ticket_no="YP1")

    listener.on_answered(answered)
    listener.record(answered)
    listener.on_answered({**answered, "data": {"answer": 42}})  # does not fit: dropped

    read, as_said = listener.heard
    assert read["data"] == {"answer": "请到街道服务站办理"}  # a newer producer's field left out
    assert as_said["data"]["added_later"] == 1              # the ledger records what was said


# What a consumer refuses, and why (it parks those: services/shared/parking.py)
def test_examine_gives_the_event_as_the_handler_applies_it():
    event = answered()
    assert examine({**event, "data": {**event["data"], "later": 1}}, "intake",
                   "ticket_answered", exchange="intake.events") == event


@pytest.mark.parametrize("payload, exchange, reason", [
    ({**answered(), "source": "dispatch"}, "intake.events",
     "source 'dispatch' does not match exchange 'intake.events'"),
    ({**answered(), "event_type": "ticket_resolved"}, "intake.events",
     "event_type 'ticket_resolved' does not match routing key 'ticket_answered'"),
    (answered(), "", "came through exchange '', not 'intake.events'"),
    ({**answered(), "data": {"answer": 42}}, "intake.events",
     "data does not fit ticket_answered: {'answer': ['Not a valid string.']}"),
    ("not an event", "intake.events", "malformed envelope: not an object"),
])
def test_examine_says_why_an_event_is_not_one_to_apply(payload, exchange, reason):
    with pytest.raises(BadEvent) as refused:
        examine(payload, "intake", "ticket_answered", exchange=exchange)
    assert str(refused.value) == reason


class Message:
    """What the entrypoint reads of a kombu message."""

    def __init__(self, exchange: str, routing_key: str) -> None:
        self.delivery_info = {"exchange": exchange, "routing_key": routing_key}
        self.headers = {"nameko.call_id_stack": ["intake.create_ticket.1"]}
        self.body = b"{}"
        self.content_type = "application/json"
        self.content_encoding = "utf-8"
        self.channel = SimpleNamespace(is_open=True, connection=object())  # still open


def entrypoint(attempts: int = 3):
    """The EnvelopeHandler of Listener.on_answered with a parking lot, a queue consumer and a
    container that note what was done with each message."""
    from unittest.mock import Mock

    handler = EnvelopeHandler("intake", "ticket_answered")
    handler.queue = Mock()
    handler.queue.name = "evt-intake-ticket_answered--listener.on_answered"
    handler.parking = Mock()
    handler.queue_consumer = Mock()
    handler.container = Mock()
    handler.container.config = {"EVENT_ATTEMPTS": attempts}
    handler.attempts = attempts
    return handler


def test_a_forged_source_is_parked_with_its_reason_and_reaches_no_worker():
    handler = entrypoint()
    forged, message = {**answered(), "source": "dispatch"}, Message("intake.events",
                                                                    "ticket_answered")
    handler.handle_message(forged, message)

    handler.parking.park_or_requeue.assert_called_once_with(
        message, "source 'dispatch' does not match exchange 'intake.events'",
        "evt-intake-ticket_answered--listener.on_answered", handler.queue_consumer)
    handler.container.spawn_worker.assert_not_called()


def test_a_message_that_could_not_be_parked_stays_on_its_queue(monkeypatch):
    from unittest.mock import Mock

    from services.shared.parking import ParkingLot, parking_queue

    monkeypatch.setattr("services.shared.parking.REPARK_PAUSE_SECONDS", 0)
    lot, consumer, message = ParkingLot(), Mock(), Message("intake.events", "ticket_answered")
    lot.service, lot.queue, lot.publisher = "listener", parking_queue("listener"), Mock()
    lot.publisher.publish.side_effect = ConnectionError("broker away")

    assert lot.park_or_requeue(message, "malformed envelope", "evt-q", consumer) is False
    consumer.requeue_message.assert_called_once_with(message)
    consumer.ack_message.assert_not_called()

    lot.publisher.publish.side_effect = None
    assert lot.park_or_requeue(message, "malformed envelope", "evt-q", consumer) is True
    consumer.ack_message.assert_called_once_with(message)
    # the body as it came, byte for byte, with its content type and the reason
    [(args, kwargs)] = [(c.args, c.kwargs) for c in lot.publisher.publish.mock_calls[1:]]
    assert args == (b"{}",) and kwargs["content_type"] == "application/json"
    assert kwargs["headers"]["x-parked-reason"] == "malformed envelope"
    assert kwargs["headers"]["nameko.call_id_stack"] == ["intake.create_ticket.1"]


def test_a_proper_event_reaches_the_worker_examined_once():
    handler, message = entrypoint(), Message("intake.events", "ticket_answered")
    event = answered()
    handler.handle_message(event, message)

    handler.parking.park_or_requeue.assert_not_called()
    [(args, _)] = [(call.args, call.kwargs) for call in handler.container.spawn_worker.mock_calls]
    assert args[1] == (event,) and isinstance(args[1][0], Examined)
    listener = Listener()
    listener.on_answered(args[1][0])
    assert listener.heard == [event]


def failed(error: Exception):
    try:
        raise error
    except Exception:
        import sys

        return sys.exc_info()


def test_an_event_whose_handler_fails_comes_again_later_then_is_parked_with_the_error():
    from types import SimpleNamespace
    from unittest.mock import patch

    handler, message = entrypoint(attempts=3), Message("intake.events", "ticket_answered")
    worker = SimpleNamespace(args=(Examined(answered()),))
    for _ in range(2):
        handler.handle_result(message, worker, None, failed(KeyError("unit_id")))
    # each failure tried again after its pause, outside the worker: nothing acknowledged
    assert len(handler.container.spawn_managed_thread.mock_calls) == 2
    handler.queue_consumer.ack_message.assert_not_called()
    handler.parking.park_or_requeue.assert_not_called()

    # tried again where it is, held: never given back to the broker, whose delivery limit
    # counts the consumers that died holding it (deploy/rabbitmq/queues.py)
    handler.container.spawn_worker.reset_mock()
    again = handler.container.spawn_managed_thread.mock_calls[0].args[0]
    message.payload = dict(worker.args[0])  # what kombu decoded of its body
    with patch("services.shared.events.eventlet.sleep") as slept:
        again()
    assert slept.call_args.args == (1.0,)
    [(args, _)] = [(c.args, c.kwargs) for c in handler.container.spawn_worker.mock_calls]
    assert args[1][0]["event_id"] == worker.args[0]["event_id"]
    handler.queue_consumer.requeue_message.assert_not_called()

    handler.handle_result(message, worker, None, failed(KeyError("unit_id")))
    handler.parking.park_or_requeue.assert_called_once_with(
        message, "the handler failed 3 times; last: KeyError: 'unit_id'",
        "evt-intake-ticket_answered--listener.on_answered", handler.queue_consumer, attempts=3)
    assert len(handler.tries) == 0


def held_and_failed(away: bool = False, times: int = 1):
    """An entrypoint, a message whose handler failed ``times`` times (its store away, or
    of its own fault) and the thread that tries it again, as spawned."""
    from pymongo.errors import AutoReconnect

    handler, message = entrypoint(attempts=1000), Message("intake.events", "ticket_answered")
    message.payload = dict(answered())
    worker = SimpleNamespace(args=(Examined(message.payload),))
    for _ in range(times):
        handler.handle_result(message, worker, None,
                              failed(AutoReconnect("primary lost") if away else KeyError("x")))
    again = handler.container.spawn_managed_thread.mock_calls[-1].args[0]
    handler.container.spawn_worker.reset_mock()
    return handler, message, again


def test_an_event_held_on_a_channel_that_died_is_left_to_its_redelivery():
    from unittest.mock import patch

    handler, message, again = held_and_failed()
    message.channel = SimpleNamespace(is_open=False, connection=None)  # the node went away
    with patch("services.shared.events.eventlet.sleep"):
        again()
    # not tried here (its acknowledgement would count for nothing), nor given back
    handler.container.spawn_worker.assert_not_called()
    handler.queue_consumer.requeue_message.assert_not_called()


def test_an_event_held_while_its_service_stops_returns_to_its_queue_untried():
    from unittest.mock import patch

    handler, message, again = held_and_failed()
    handler.stopping = True
    with patch("services.shared.events.eventlet.sleep"):
        again()
    handler.container.spawn_worker.assert_not_called()


def test_an_event_held_through_a_long_outage_is_given_back_now_and_then():
    from unittest.mock import patch

    from services.shared import retries

    # held for every try but each HELD_TRIES_AT_MOST-th, which goes back to its queue
    # before the broker's consumer timeout would close the channel
    handler, message, again = held_and_failed(away=True,
                                              times=retries.HELD_TRIES_AT_MOST - 1)
    with patch("services.shared.events.eventlet.sleep"):
        again()
    handler.queue_consumer.requeue_message.assert_not_called()
    handler, message, again = held_and_failed(away=True, times=retries.HELD_TRIES_AT_MOST)
    with patch("services.shared.events.eventlet.sleep"):
        again()
    handler.queue_consumer.requeue_message.assert_called_once_with(message)
    handler.container.spawn_worker.assert_not_called()


def test_an_event_is_never_parked_while_its_store_is_away_and_applies_when_back():
    from types import SimpleNamespace

    from pymongo.errors import AutoReconnect

    handler, message = entrypoint(attempts=2), Message("intake.events", "ticket_answered")
    worker = SimpleNamespace(args=(Examined(answered()),))
    for _ in range(10):
        handler.handle_result(message, worker, None, failed(AutoReconnect("primary lost")))
    handler.parking.park_or_requeue.assert_not_called()

    handler.handle_result(message, worker, None, None)
    handler.queue_consumer.ack_message.assert_called_once_with(message)
    assert len(handler.tries) == 0
