"""A real service (``nameko run``) started as the launcher starts it
(deploy/single_machine.py's start) ends when the launcher does, even killed with -9: the
signal it is told to stop with (STOP_SIGNAL, by stop() and by the kernel: with_parent.py)
ends it even when it comes twice, as the kernel may send it (once per thread of the
launcher it is handed to) or as stop() and the kernel both do."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))

import single_machine  # noqa: E402
from with_parent import ended as gone  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="parts end with the launcher on Linux (prctl)")


def wait_until(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def register_env(rabbit_config: dict, tmp_path: Path) -> dict:
    return {**os.environ, "AMQP_URI": rabbit_config["BROKER_URIS"]["register"],
            "MONGO_URI": f"litemongo:{tmp_path / 'data'}", "PYTHONUNBUFFERED": "1",
            "STORE_INIT": "1"}


def connected(log: Path) -> bool:
    return log.exists() and "Connected to amqp://" in log.read_text(errors="replace")


def test_a_service_told_twice_that_its_launcher_ended_ends(rabbit_config, tmp_path):
    service = single_machine.start("register", [
        str(Path(sys.executable).parent / "nameko"), "run", "--config", "deploy/register.yml",
        "services.register.service"], register_env(rabbit_config, tmp_path), tmp_path)
    try:
        assert wait_until(lambda: connected(tmp_path / "register.log"), 60), \
            (tmp_path / "register.log").read_text(errors="replace")[-2000:]
        service.send_signal(single_machine.STOP_SIGNAL)
        time.sleep(0.01)
        service.send_signal(single_machine.STOP_SIGNAL)
        # (told SIGTERM and then again like this, `nameko run` waits for ever in its stop)
        assert wait_until(lambda: service.poll() is not None, 10)
    finally:
        if service.poll() is None:
            service.kill()
        single_machine.stop({"register": service})


def test_a_service_ends_with_a_launcher_killed_with_9(rabbit_config, tmp_path):
    env = register_env(rabbit_config, tmp_path)
    launcher = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, threading, time
        from pathlib import Path
        sys.path.insert(0, {str(ROOT / "deploy")!r})
        import single_machine
        part = single_machine.start("register", [
            {str(Path(sys.executable).parent / "nameko")!r}, "run", "--config",
            "deploy/register.yml", "services.register.service"], {env!r}, Path({str(tmp_path)!r}))
        for _ in range(8):  # threads the part may be handed to as the launcher ends
            threading.Thread(target=time.sleep, args=(120,), daemon=True).start()
        print(part.pid, flush=True)
        time.sleep(120)
        """)], stdout=subprocess.PIPE, text=True)
    assert launcher.stdout is not None
    service = int(launcher.stdout.readline())
    try:
        assert wait_until(lambda: connected(tmp_path / "register.log"), 60)
        launcher.kill()
        launcher.wait()
        assert wait_until(lambda: gone(service), 10)
    finally:
        for pid in (launcher.pid, service):
            if not gone(pid):
                os.kill(pid, 9)


def test_a_service_started_by_the_launcher_does_not_open_its_log_with_eventlets_notice(
        rabbit_config, tmp_path):
    """The README says eventlet's deprecation notice is silenced: nameko's ``run`` imports
    eventlet before the service's package, so the launcher starts it through the package."""
    log = tmp_path / "register.log"
    service = single_machine.start_service("register", register_env(rabbit_config, tmp_path),
                                           rabbit_config["BROKER_URIS"], tmp_path)
    try:
        assert wait_until(lambda: connected(log), 60), log.read_text(errors="replace")[-2000:]
        assert "Eventlet is deprecated" not in log.read_text(errors="replace")
    finally:
        single_machine.stop({"register": service})
