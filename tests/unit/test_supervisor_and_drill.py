"""The launcher's supervisor (deploy/single_machine.py) and the fault drill's rules
(deploy/faults.py), without a broker."""
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))

import faults  # noqa: E402
import single_machine  # noqa: E402


def sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_a_part_that_dies_is_started_again_after_a_pause():
    said = []
    supervisor = single_machine.Supervisor({"intake": sleeper}, say=said.append)
    first = sleeper()
    supervisor.adopt("intake", first)
    try:
        first.kill()
        first.wait()
        supervisor.check()
        assert supervisor.parts["intake"] is first  # not at once: a pause first
        assert said == ["run: intake stopped (exit code -9); starting it again in 1 s"]
        deadline = time.monotonic() + 10
        while supervisor.parts["intake"] is first and time.monotonic() < deadline:
            time.sleep(0.1)
            supervisor.check()
        assert supervisor.parts["intake"] is not first
        assert supervisor.parts["intake"].poll() is None
        assert supervisor.restarts["intake"] == 1
    finally:
        supervisor.stop()
    assert supervisor.parts["intake"].poll() is not None


def test_a_part_that_keeps_dying_at_start_waits_longer_each_time():
    said = []
    supervisor = single_machine.Supervisor(
        {"ledger": lambda: subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])},
        say=said.append)
    supervisor.adopt("ledger", supervisor.starters["ledger"]())
    supervisor.parts["ledger"].wait()
    supervisor.check()
    supervisor._due["ledger"] = 0  # the pause is over
    supervisor.check()
    supervisor.parts["ledger"].wait()
    supervisor.check()
    assert said == ["run: ledger stopped (exit code 3); starting it again in 1 s",
                    "run: ledger stopped (exit code 3); starting it again in 2 s"]


def test_once_stopped_no_part_is_started_again():
    started = []
    supervisor = single_machine.Supervisor(
        {"intake": lambda: started.append(1) or sleeper()}, say=lambda text: None)
    supervisor.adopt("intake", sleeper())
    supervisor.stop()
    supervisor._due["intake"] = 0  # even were its pause over
    supervisor.check()
    assert started == []
    assert supervisor.parts["intake"].poll() is not None


SCRIPT = faults.SCRIPTS["contact"]


def test_the_drill_takes_the_scripts_path_as_it_is():
    assert faults.on_path_but_repeated(SCRIPT, SCRIPT, set())


def test_a_step_repeated_after_its_call_was_told_it_failed_is_on_the_path():
    path = SCRIPT[:4] + ["ticket_contacted"] + SCRIPT[4:]
    assert faults.on_path_but_repeated(path, SCRIPT, {"ticket_contacted"})


def test_a_repeated_step_whose_call_never_failed_is_off_the_path():
    path = SCRIPT[:4] + ["ticket_contacted"] + SCRIPT[4:]
    assert not faults.on_path_but_repeated(path, SCRIPT, set())
    assert not faults.on_path_but_repeated(SCRIPT[:-1], SCRIPT, {"ticket_closed"})


def test_the_launcher_points_the_command_lines_at_the_console_and_parked_at_the_operator(
        tmp_path, monkeypatch):
    calls = []

    class Api:
        def call(self, method, path, body=None):
            calls.append((method, path))

        quote = staticmethod(single_machine.permissions.ManagementApi.quote)

    monkeypatch.setattr(single_machine.permissions, "api_of", lambda url: Api())
    env = {**single_machine.BROKER, "RABBIT_AMQP": "pyamqp://localhost:5672"}
    uris = single_machine.broker_users(env, tmp_path)

    assert ("PUT", "/api/users/operator") in calls
    assert "operator:" in uris["operator"] and uris["operator"].endswith("/hotline")
    operator_env = (tmp_path / "operator.env").read_text(encoding="utf-8")
    assert f"export OPERATOR_AMQP_URI='{uris['operator']}'" in operator_env
    assert f"export AMQP_URI='{uris['console']}'" in \
        (tmp_path / "console.env").read_text(encoding="utf-8")
    assert (tmp_path / "operator.env").stat().st_mode & 0o077 == 0  # its password is in it


# The drill's verdict on the poison and the stepped clocks

import poison  # noqa: E402  deploy/poison.py


def summary_of(parked: dict[str, dict[str, int]], attempts: list[list[dict]] = ()) -> dict:
    """A drill summary where all went well but what ``parked`` (the parking queues: service
    -> copies by poison name) and ``attempts`` (callback tasks' attempts) say."""
    sent = poison.poisons("drill-1")
    twice = [f"task-{n}" for n, task in enumerate(attempts)
             if faults.recorded_by_two_claims(task)]
    checks = {"lost": [], "duplicated": [], "wrong_state": [], "wrong_path": [],
              "recorded_twice": [], "events_recorded_twice": [], "chains_broken": [],
              "accounts_not_signing_in": [], "accounts_not_recorded_once": [],
              "killed_workers_task": {"task_id": "t-1", "status": "done"},
              "tasks_claimed_twice": twice, "timers": {"timers_said_wrong": []},
              "poison": {"messages": poison.copies(sent, parked),
                         "parked_count": {service: sum(counts.values())
                                          for service, counts in parked.items()},
                         "other_parked": {}}}
    return {"sent": 1000, "accepted": 1000, "completed": 1000, "lost": 0, "duplicated": 0,
            "checks": checks, "poison": faults.poison_summary(checks["poison"]),
            "faults": [{"fault": faults.KILLED_WORKER, "at_s": 50.0, "took_s": 6.0}]}


def test_the_task_of_a_killed_worker_is_asked_for_only_where_a_worker_was_killed():
    summary = summary_of(each_parked_once())
    summary["checks"]["killed_workers_task"] = None
    assert any("killed worker" in problem for problem in faults.verdict(summary))
    # the cluster drill kills broker nodes, not workers
    summary["faults"] = [{"fault": "rolling restart of the 3 RabbitMQ nodes", "at_s": 30.0,
                          "took_s": 38.0}]
    assert faults.verdict(summary) == []


def each_parked_once() -> dict[str, dict[str, int]]:
    parked: dict[str, dict[str, int]] = {}
    for message in poison.poisons("drill-1"):
        for service in message.parked_by:
            parked.setdefault(service, {})[message.name] = 1
    return parked


def test_the_poison_each_parked_once_by_every_service_that_hears_it_passes():
    summary = summary_of(each_parked_once())
    assert faults.verdict(summary) == []
    assert summary["poison"]["sent"] == 10
    # not JSON twice, an unknown type (each heard by two), data that does not fit (by
    # dispatch alone: the ledger keeps events as said), an RPC to each of six services
    assert summary["poison"]["expected"] == summary["poison"]["parked"] == 13


def test_a_poison_message_parked_twice_fails_the_drill():
    parked = each_parked_once()
    parked["dispatch"]["drill-1-unknown-type"] = 2
    [problem] = faults.verdict(summary_of(parked))
    assert problem.startswith("poison: 14 parked copies of 10 messages, not 13")
    assert "drill-1-unknown-type (an envelope of an unknown event type): parked 2 times by " \
           "dispatch, not 1" in problem


def test_a_poison_message_never_parked_fails_the_drill():
    parked = each_parked_once()
    del parked["intake"]["drill-1-rpc-intake"]
    [problem] = faults.verdict(summary_of(parked))
    assert "drill-1-rpc-intake (an RPC request to intake that cannot be decoded): parked 0 " \
           "times by intake, not 1" in problem


def test_a_poison_message_parked_where_nobody_should_hear_it_fails_even_if_the_sum_is_right():
    parked = each_parked_once()
    del parked["ledger"]["drill-1-not-json-created"]
    parked["ledger"]["drill-1-misshapen"] = 1  # the ledger keeps this one as said
    [problem] = faults.verdict(summary_of(parked))
    assert "parked 0 times by ledger, not 1" in problem
    assert "drill-1-misshapen (a ticket_created whose data does not fit): parked 1 times by " \
           "ledger, not 0" in problem


def test_a_drill_that_sent_no_poison_fails():
    summary = summary_of(each_parked_once())
    summary["poison"] = faults.poison_summary({"messages": [], "parked_count": {},
                                               "other_parked": {}})
    assert faults.verdict(summary) == ["no poison messages were sent"]


def test_a_service_whose_parked_count_never_answers_after_the_faults_fails_the_drill():
    summary = summary_of(each_parked_once())
    summary["poison"]["parked_count_errors"] = {"ledger": "AttributeError: no channel"}
    assert faults.verdict(summary) == [], "asked again and answered: a blip"
    del summary["poison"]["by_service"]["ledger"]
    [problem] = faults.verdict(summary)
    assert problem == ("parked_count never answered after the faults: "
                       "{'ledger': 'AttributeError: no channel'}")


def attempt(number: int, worker: str, final: bool = True) -> dict:
    return {"attempt": number, "worker_id": worker, "outcome": "satisfied", "final": final}


def test_a_callback_task_recorded_for_two_claims_fails_the_drill():
    claimed_again = [attempt(1, "w/drill-worker-2")]  # the first holder's report refused
    retried = [attempt(1, "w/drill-worker-1", final=False), attempt(2, "w/drill-worker-3")]
    assert faults.verdict(summary_of(each_parked_once(), [claimed_again, retried])) == []

    both_recorded = [attempt(1, "w/drill-worker-1"), attempt(1, "w/drill-worker-2")]
    [problem] = faults.verdict(summary_of(each_parked_once(), [both_recorded]))
    assert problem.startswith("1 callback tasks recorded for two claims")
    two_outcomes = [attempt(1, "w/drill-worker-1"), attempt(2, "w/drill-worker-2")]
    assert faults.verdict(summary_of(each_parked_once(), [two_outcomes]))


def entry(event_type: str, occurred_at: str, recorded_at: str) -> dict:
    return {"event_type": event_type, "source": "callback", "occurred_at": occurred_at,
            "recorded_at": recorded_at}


def test_an_event_stamped_by_a_clock_stepped_forward_or_back_is_seen():
    on_time = entry("callback_completed", "2026-12-06T08:00:00.000Z", "2026-12-06T08:00:00.050Z")
    late = entry("callback_completed", "2026-12-06T08:00:00.000Z", "2026-12-06T08:01:30.000Z")
    ahead = entry("callback_scheduled", "2026-12-06T08:02:00.000Z", "2026-12-06T08:00:00.050Z")
    behind = entry("ticket_closed", "2026-12-06T07:00:00.000Z", "2026-12-06T08:00:00.050Z")
    assert not faults.stamped_by_a_stepped_clock([on_time, late])  # a backlog is no step
    assert faults.stamped_by_a_stepped_clock([on_time, ahead])
    assert faults.stamped_by_a_stepped_clock([behind, on_time])


def test_a_history_out_of_causal_order_is_a_wrong_path_whatever_the_clocks_said():
    def said(event_id, source, version=None, caused_by=None):
        return {"event_id": event_id, "event_type": f"event-{event_id}", "source": source,
                "ticket_version": version, "caused_by": caused_by}

    in_order = [said("a", "intake"), said("b", "dispatch", 1, "a"), said("c", "dispatch", 2),
                said("d", "callback", None, "c"), said("e", "dispatch", 3, "d")]
    assert faults.history_order_problems(in_order) == []
    versions_swapped = [in_order[0], in_order[2], in_order[1], *in_order[3:]]
    assert faults.history_order_problems(versions_swapped) == [
        "ticket versions in the order [2, 1, 3]"]
    effect_first = [in_order[0], in_order[1], in_order[2], in_order[4], in_order[3]]
    assert "event-e before the event it followed from" in \
        faults.history_order_problems(effect_first)


def entries(*said: tuple[str, str, int | None]) -> list[dict]:
    return [{"event_type": event, "source": source, "ticket_version": version}
            for event, source, version in said]


def test_the_photos_a_resolve_carried_come_before_it_whichever_the_ledger_heard_first():
    heard = entries(("ticket_accepted", "dispatch", 3), ("ticket_resolved", "dispatch", 4),
                    ("attachment_added", "dispatch", 4), ("attachment_added", "dispatch", 4),
                    ("callback_scheduled", "callback", None))
    path = [entry["event_type"] for entry in faults.by_change(heard)]
    assert path == ["ticket_accepted", "attachment_added", "attachment_added",
                    "ticket_resolved", "callback_scheduled"]


def test_a_photo_of_another_change_stays_where_it_was():
    heard = entries(("ticket_resolved", "dispatch", 4), ("attachment_added", "dispatch", 5))
    assert faults.by_change(heard) == heard


def test_the_copies_drill_kills_one_copy_of_each_service_and_misbehaves_the_store():
    drill = faults.Drill.__new__(faults.Drill)  # its schedule alone: no broker, no parts
    drill.copies = 2
    for fault in ("kill_service", "kill_lease_holder", "publish_poison", "kill_worker_mid_call",
                  "misbehave_store"):
        setattr(drill, fault, lambda *args: None)
    parts = faults.Drill.service_parts(drill)
    assert parts[:4] == [("intake", "intake"), ("intake-2", "intake"),
                         ("dispatch", "dispatch"), ("dispatch-2", "dispatch")]
    names = [name for _, faults_at in faults.Drill.copies_schedule(drill, 80)
             for name, _ in faults_at]
    killed = [name.removeprefix("kill -9 ") for name in names if name.startswith("kill -9 ")
              and "worker" not in name]
    assert killed == ["intake", "the dispatch copy running the timers", "callback", "ledger-2",
                      "register", "accounts-2"]
    assert "every store connection dropped" in names
    assert any("NotWritablePrimary" in name for name in names)


def test_the_drills_policy_gives_the_watched_tickets_a_short_accept_deadline():
    import yaml

    policy = yaml.safe_load(faults.watched_policy())
    [rule] = [rule for rule in policy["rules"] if rule.get("kind") == faults.WATCHED_KIND]
    assert rule["deadlines"]["accept"]["hours"] * 3600 < 90
    assert policy["photos_at_resolve"]  # the rest of deploy/policy.yml kept
    counts = faults.collections.Counter({("ticket_warning", "accept"): 2})
    assert faults.said_once(counts, ("ticket_warning", "accept")) == \
        "ticket_warning (accept) said 2 times"
    assert faults.said_once(counts, ("ticket_overdue", "accept")) == \
        "ticket_overdue (accept) said 0 times"
    # a check that finds the deadline passed says it overdue without a warning first
    assert faults.said_once(counts, ("ticket_overdue", "accept"), at_most=True) is None
    assert faults.said_once(counts, ("ticket_warning", "accept"), at_most=True) == \
        "ticket_warning (accept) said 2 times"


def test_a_warning_said_twice_fails_the_drill():
    summary = summary_of(each_parked_once())
    summary["checks"]["timers"]["timers_said_wrong"] = [
        "YP20261206-0001: ticket_warning (accept) said 2 times"]
    assert any("things the timers said not once" in problem
               for problem in faults.verdict(summary))
