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
