import logging
import threading

import pytest

from services.callback.dialers import DialResult, ScriptedDialer
from services.callback.worker import CallbackWorker, main, masked_phone
from services.shared.errors import NotPermitted

STATEMENT = "statement-of-the-worker-account"


def signed():
    return STATEMENT


class FakeCallback:
    """Stands in for the callback RPC proxy: hands out the given tasks, records reports."""

    def __init__(self, *tasks, complete_errors=()):
        self.due = list(tasks)
        self.claims = []
        self.completed = []
        self.complete_errors = list(complete_errors)

    def claim(self, worker_id, actor):
        assert actor == STATEMENT  # every call carries the worker account's statement
        self.claims.append(worker_id)
        return self.due.pop(0) if self.due else None

    def complete(self, task_id, worker_id, outcome, actor, note=None, fence=None):
        assert actor == STATEMENT
        self.completed.append((task_id, worker_id, outcome, note))
        if self.complete_errors:
            raise self.complete_errors.pop(0)
        return {"task_id": task_id, "outcome": outcome, "final": outcome != "unreachable",
                "next_attempt": 2, "next_due_at": "2026-11-23T03:00:00.000Z"}


def task(task_id="t1", phone="+8613800000001", attempt=1):
    return {"task_id": task_id, "ticket_no": "YP20261123-0001", "kind": "callback",
            "phone": phone, "caller_name": "王阿姨", "attempt": attempt,
            "due_at": "2026-11-23T02:00:00.000Z", "lease_until": "2026-11-23T02:02:00.000Z"}


SCRIPT = ScriptedDialer({"default": "satisfied",
                         "numbers": {"13800000002": ["unreachable", "unsatisfied"]}})


class BrokenDialer:
    def dial(self, task):
        raise RuntimeError("line dead")


def test_nothing_due_means_nothing_called():
    rpc = FakeCallback()
    assert CallbackWorker(rpc, SCRIPT, "w1", signed).work_once() is False
    assert rpc.claims == ["w1"] and rpc.completed == []


def test_a_claimed_task_is_called_and_its_outcome_reported():
    rpc = FakeCallback(task("t1"), task("t2", phone="+8613800000002", attempt=2))
    worker = CallbackWorker(rpc, SCRIPT, "w1", signed)

    assert worker.work_once() is True
    assert worker.work_once() is True
    assert rpc.completed == [("t1", "w1", "satisfied", "scripted: default"),
                             ("t2", "w1", "unsatisfied", "scripted: attempt 2")]


def test_a_failed_dial_reports_nothing_so_the_lease_returns_the_task():
    rpc = FakeCallback(task())
    assert CallbackWorker(rpc, BrokenDialer(), "w1", signed).work_once() is True
    assert rpc.completed == []


def test_a_lost_reply_is_reported_again_and_a_refusal_is_not():
    rpc = FakeCallback(task("t1"), task("t2"),
                       complete_errors=[ConnectionError("reply lost")])
    worker = CallbackWorker(rpc, SCRIPT, "w1", signed, retry_pause_seconds=0)

    worker.work_once()
    assert [call[0] for call in rpc.completed] == ["t1", "t1"]

    rpc.complete_errors = [NotPermitted("task t2 is held by w2")]
    worker.work_once()
    assert [call[0] for call in rpc.completed] == ["t1", "t1", "t2"]


def test_run_once_handles_what_is_due_then_stops():
    rpc = FakeCallback(task("t1"), task("t2"), task("t3"))
    handled = CallbackWorker(rpc, SCRIPT, "w1", signed).run(threading.Event(), 0, once=True)
    assert handled == 3 and len(rpc.completed) == 3


def test_run_stops_when_asked():
    rpc = FakeCallback(task("t1"))
    stop = threading.Event()
    stop.set()
    assert CallbackWorker(rpc, SCRIPT, "w1", signed).run(stop, 0) == 0
    assert rpc.claims == []


def test_logs_never_show_the_whole_phone_number(caplog):
    caplog.set_level(logging.INFO)
    CallbackWorker(FakeCallback(task()), SCRIPT, "w1", signed).work_once()
    assert "138****0001" in caplog.text
    assert "13800000001" not in caplog.text


@pytest.mark.parametrize("phone, shown", [
    ("+8613800000001", "138****0001"), ("13800000001", "138****0001"),
    ("+862112345678", "021****5678"), (None, "-"),
])
def test_masked_phone(phone, shown):
    assert masked_phone(phone) == shown


def test_main_refuses_a_scripted_dialer_without_a_script():
    assert main(["--dialer", "scripted", "--once"]) == 2


def test_dial_results_are_callback_outcomes():
    with pytest.raises(ValueError):
        DialResult("hung_up")


def test_a_check_in_is_called_like_a_callback_and_logged_by_its_resident(caplog):
    caplog.set_level(logging.INFO)
    checkin = {**task("c1", phone="+8613800000002"), "kind": "checkin", "ticket_no": None,
               "resident_id": "r-0001", "planned_for": "2026-11-23T02:00:00.000Z"}
    rpc = FakeCallback(checkin)

    assert CallbackWorker(rpc, SCRIPT, "w1", signed).work_once() is True

    assert rpc.completed == [("c1", "w1", "unreachable", "scripted: attempt 1")]
    assert "check-in of resident r-0001" in caplog.text and "ticket None" not in caplog.text
