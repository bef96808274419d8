from pathlib import Path

import pytest

from services.callback.dialers import (
    DialerError,
    DialResult,
    HttpGatewayDialer,
    ScriptedDialer,
    build_dialer,
    outcome_from_reply,
)

DEMO_SCRIPT = Path(__file__).resolve().parents[3] / "deploy" / "demo" / "dialer.yml"


def task(phone="+8613800000001", attempt=1):
    return {"task_id": "t1", "ticket_no": "YP20261123-0001", "kind": "callback",
            "phone": phone, "caller_name": "王阿姨", "attempt": attempt}


def test_each_attempt_gets_its_scripted_outcome_and_the_last_repeats():
    dialer = ScriptedDialer({"numbers": {"+8613800000001": ["unreachable", "unreachable",
                                                             "satisfied"]}})
    outcomes = [dialer.dial(task(attempt=n)).outcome for n in (1, 2, 3, 4)]
    assert outcomes == ["unreachable", "unreachable", "satisfied", "satisfied"]


def test_numbers_not_in_the_script_get_the_default():
    assert ScriptedDialer({"default": "unsatisfied"}).dial(task()).outcome == "unsatisfied"
    assert ScriptedDialer({}).dial(task()).outcome == "satisfied"
    assert ScriptedDialer(None).dial(task()) == DialResult("satisfied", "scripted: default")


@pytest.mark.parametrize("written", ["13800000001", 13800000001, "138 0000 0001",
                                     "+86 138-0000-0001", "008613800000001"])
def test_numbers_in_the_script_are_matched_however_they_are_written(written):
    dialer = ScriptedDialer({"default": "satisfied", "numbers": {written: ["unsatisfied"]}})
    assert dialer.dial(task("+8613800000001")).outcome == "unsatisfied"
    assert dialer.dial(task("+8613800000009")).outcome == "satisfied"


def test_a_landline_in_the_script():
    dialer = ScriptedDialer({"numbers": {"021-12345678": "basically_satisfied"}})
    assert dialer.dial(task("+862112345678")).outcome == "basically_satisfied"


@pytest.mark.parametrize("script", [
    {"default": "delighted"},
    {"numbers": {"13800000001": ["satisfied", "maybe"]}},
    {"numbers": {"12": ["satisfied"]}},
    {"numbers": {"13800000001": []}},
])
def test_a_broken_script_is_refused_when_read(script):
    with pytest.raises(ValueError):
        ScriptedDialer(script)


def test_the_demo_script_reads_and_scripts_a_caller_who_answers_on_the_third_try():
    dialer = build_dialer("scripted", {"script": str(DEMO_SCRIPT)})
    assert [dialer.dial(task(attempt=n)).outcome for n in (1, 2, 3)] == [
        "unreachable", "unreachable", "satisfied"]


def test_build_dialer_refuses_what_it_cannot_build():
    with pytest.raises(ValueError):
        build_dialer("carrier-pigeon", {})
    with pytest.raises(ValueError):
        build_dialer("scripted", {})
    with pytest.raises(ValueError):
        build_dialer("http", {})
    assert isinstance(build_dialer("http", {"url": "http://gateway.invalid/call"}),
                      HttpGatewayDialer)


@pytest.mark.parametrize("reply, outcome", [
    ({"status": "answered", "satisfaction": "satisfied"}, "satisfied"),
    ({"status": "answered", "satisfaction": "unsatisfied", "note": "仍未修好"}, "unsatisfied"),
    ({"status": "answered"}, "unreachable"),
    ({"status": "busy"}, "unreachable"),
    ({"status": "no_answer"}, "unreachable"),
])
def test_gateway_replies_map_to_outcomes(reply, outcome):
    assert outcome_from_reply(reply).outcome == outcome


def test_a_gateway_reply_not_understood_is_an_error_not_an_outcome():
    with pytest.raises(DialerError):
        outcome_from_reply({"status": "exploded"})


def test_an_unreachable_gateway_is_a_dialer_error():
    # port 9 on localhost: nothing listens, the connection is refused at once
    dialer = HttpGatewayDialer("http://127.0.0.1:9/call", timeout_seconds=2)
    with pytest.raises(DialerError):
        dialer.dial(task())


def test_an_empty_gateway_note_is_no_note():
    assert outcome_from_reply({"status": "answered", "satisfaction": "satisfied",
                               "note": " "}).note is None


def test_a_scripted_call_lasts_as_long_as_the_script_says(monkeypatch):
    slept = []
    monkeypatch.setattr("services.callback.dialers.time.sleep", slept.append)
    dialer = ScriptedDialer({"call_seconds": 0.25})
    assert dialer.dial({"phone": "13800000001", "attempt": 1}).outcome == "satisfied"
    assert slept == [0.25]


@pytest.mark.parametrize("seconds", [-1, 601, "long"])
def test_a_call_length_out_of_range_is_refused(seconds):
    with pytest.raises(ValueError):
        ScriptedDialer({"call_seconds": seconds})
