"""The rule for an event whose handler failed (services/shared/retries.py), and what the
RPC guard refuses to read as a request (services/shared/rpc_guard.py): plain functions."""
import sqlite3

import pytest
from nameko.exceptions import RemoteError
from pymongo.errors import (
    AutoReconnect,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
)

from services.shared import retries
from services.shared.retries import Memory, Tries, after_failure, failure_words, is_away, pause
from services.shared.rpc_client import ServicesUnavailable
from services.shared.rpc_guard import unreadable_request


def test_the_pause_doubles_from_one_second_up_to_the_cap():
    assert [pause(n) for n in range(1, 8)] == [1, 2, 4, 8, 10, 10, 10]


def test_an_event_failing_of_its_own_fault_is_parked_at_its_fifth_failure():
    tries, pauses = Tries(), []
    while True:
        tries, wait = after_failure(tries, away=False, attempts=5)
        if wait is None:
            break
        pauses.append(wait)
    assert pauses == [1, 2, 4, 8]
    assert tries == Tries(failed=5, away=0)


def test_failures_while_something_is_away_are_not_counted_but_do_slow_it_down():
    tries = Tries()
    for _ in range(50):  # a long storage outage
        tries, wait = after_failure(tries, away=True, attempts=5)
        assert wait is not None
    assert tries == Tries(failed=0, away=50) and wait == retries.PAUSE_CAP_SECONDS
    # back, and failing of its own fault: five own failures still, not fewer
    for _ in range(4):
        tries, wait = after_failure(tries, away=False, attempts=5)
        assert wait is not None
    assert after_failure(tries, away=False, attempts=5)[1] is None


@pytest.mark.parametrize("error, away", [
    (AutoReconnect("primary lost"), True),
    (NetworkTimeout("slow"), True),
    (ServerSelectionTimeoutError("no server"), True),
    (ServicesUnavailable("dispatch did not answer"), True),
    (RemoteError("AutoReconnect", "primary lost"), True),
    (OperationFailure("bad update"), False),
    # a full disk is no fault of the event: it waits for room rather than being parked
    (sqlite3.OperationalError("database or disk is full"), True),
    (KeyError("unit_id"), False),
    (RemoteError("NotFound", "ticket"), False),
])
def test_what_counts_as_away(error, away):
    assert is_away(error) is away


def test_the_reason_names_the_attempts_and_the_last_error():
    assert failure_words(KeyError("unit_id"), Tries(5, 2)) == \
        "the handler failed 5 times; last: KeyError: 'unit_id'"
    assert failure_words(RuntimeError(), Tries(3)) == \
        "the handler failed 3 times; last: RuntimeError"


def test_the_memory_forgets_the_oldest_past_its_size():
    memory = Memory(size=2)
    for key in "abc":
        memory.put(key, Tries(1))
    assert (memory.get("a"), memory.get("c"), len(memory)) == (Tries(), Tries(1), 2)
    memory.forget("c")
    assert memory.get("c") == Tries()


ASKING = {"reply_to": "rpc.reply-standalone_rpc_proxy-1", "content_type": "application/json"}


@pytest.mark.parametrize("body, properties, reason", [
    ({"args": [1], "kwargs": {}}, ASKING, None),
    ({"args": ["junk", {"x": 1}], "kwargs": {"nope": 2}}, ASKING, None),  # the method's to judge
    ({"args": [1], "kwargs": {}}, {}, "not a request: no reply_to (nobody to answer)"),
    ("not an object", ASKING, "not a request: the body is not an object"),
    ({"x": 1}, ASKING, "not a request: no args or kwargs"),
    ({"args": 5, "kwargs": {}}, ASKING, "not a request: args is not a list"),
    ({"args": [], "kwargs": []}, ASKING, "not a request: kwargs is not an object"),
])
def test_what_cannot_be_read_as_a_request(body, properties, reason):
    assert unreadable_request(body, properties) == reason
