import datetime as dt

import pytest

from services.shared import clock
from services.shared.events import BadEvent, handling, new_event, on_event, read_event
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
