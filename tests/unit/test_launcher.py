"""What the launcher (deploy/single_machine.py, `make run`) promises about its processes,
without a broker: one launcher per data directory (deploy/run_lock.py), its parts end with
it even when it is killed with -9 (deploy/with_parent.py, gunicorn's workers too), and
their logs rotate by size (deploy/part_logs.py)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))

import run_lock  # noqa: E402
import single_machine  # noqa: E402
from with_parent import ended as gone  # noqa: E402

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="parts end with the launcher on Linux (prctl)")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and not gone(int(entry.name)):
                found.append(int(entry.name))
    return found


def end_all(pids: list[int]) -> None:
    """kill -9 whatever a failed test left running."""
    for pid in pids:
        if not gone(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def wait_until(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def a_launcher(tmp_path: Path, parts: str, lock: Path | None = None) -> subprocess.Popen:
    """A throwaway launcher: a process that (holding ``lock``) starts the parts given as
    ``{name: command}`` through single_machine.start, prints their pids and waits."""
    code = f"""
        import os, sys, time
        from pathlib import Path
        sys.path.insert(0, {str(ROOT / "deploy")!r})
        import run_lock, single_machine
        if {str(lock) if lock else None!r}:
            run_lock.hold(Path({str(lock)!r}))
        env = {{**os.environ, "PYTHONUNBUFFERED": "1"}}
        started = [single_machine.start(name, command, env, Path({str(tmp_path / "log")!r}))
                   for name, command in ({parts}).items()]
        print(" ".join(str(part.pid) for part in started), flush=True)
        time.sleep(120)
        """
    return subprocess.Popen(python(code), stdout=subprocess.PIPE, text=True)


SLEEPER = python("import time; time.sleep(120)")


# ---------------------------------------------------------------- one launcher per store

def test_a_second_hold_on_a_directory_is_refused_naming_it_and_the_holder(tmp_path):
    first = run_lock.hold(tmp_path / "data")
    try:
        with pytest.raises(run_lock.InUse) as refused:
            run_lock.hold(tmp_path / "data", "run")
        assert str(refused.value) == (
            f"run: {tmp_path / 'data'} is in use by another launcher (pid {os.getpid()}); "
            f"stop it first (Ctrl-C in its terminal, or kill {os.getpid()})")
        assert (tmp_path / "data" / ".lock").read_text() == f"{os.getpid()}\n"
    finally:
        run_lock.release(first)
    run_lock.release(run_lock.hold(tmp_path / "data"))  # free again


def test_a_second_launcher_on_the_same_store_says_one_line_and_exits_1_before_the_broker(
        tmp_path):
    held = run_lock.hold(tmp_path / "data")
    try:
        # A broker admin nobody answers as: reaching it would fail otherwise, and later.
        env = {**os.environ, "MONGO_URI": f"litemongo:{tmp_path / 'data'}",
               "RABBIT_API": "http://guest:guest@127.0.0.1:9", "CONSOLE_BIND": "127.0.0.1:9"}
        started = time.monotonic()
        second = subprocess.run([sys.executable, str(ROOT / "deploy" / "single_machine.py")],
                                env=env, capture_output=True, text=True, timeout=60)
        took = time.monotonic() - started
    finally:
        run_lock.release(held)
    assert second.returncode == 1
    assert second.stdout == ""
    assert second.stderr.splitlines() == [
        f"run: {tmp_path / 'data'} is in use by another launcher (pid {os.getpid()}); "
        f"stop it first (Ctrl-C in its terminal, or kill {os.getpid()})"]
    assert took < 10


def test_the_lock_goes_with_a_holder_killed_with_9(tmp_path):
    holder = subprocess.Popen(python(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT / "deploy")!r})
        import run_lock
        run_lock.hold({str(tmp_path / "data")!r})
        print("held", flush=True)
        time.sleep(120)
        """), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(run_lock.InUse, match=f"pid {holder.pid}"):
            run_lock.hold(tmp_path / "data")
    finally:
        holder.kill()
        holder.wait()
    run_lock.release(run_lock.hold(tmp_path / "data"))


@linux_only
def test_the_parts_of_a_launcher_killed_with_9_hold_its_store_until_they_end(tmp_path):
    # A part that takes 2 s to stop once told to (as a service finishing its work would).
    slow_to_stop = python("""
        import signal, sys, time
        for told in (signal.SIGINT, signal.SIGTERM):
            signal.signal(told, lambda *_: (time.sleep(2), sys.exit(0)))
        print("ready", flush=True)
        time.sleep(120)
        """)
    launcher = a_launcher(tmp_path, f"{{'slow': {slow_to_stop!r}}}", lock=tmp_path / "data")
    assert launcher.stdout is not None
    part = int(launcher.stdout.readline())
    try:
        log = tmp_path / "log" / "slow.log"
        assert wait_until(lambda: log.exists() and log.read_text() == "ready\n", 10)
        launcher.kill()
        launcher.wait()
        with pytest.raises(run_lock.InUse) as refused:
            run_lock.hold(tmp_path / "data")
        assert str(refused.value).startswith(
            f"run: {tmp_path / 'data'} is still in use by the parts of a launcher that "
            f"ended (pid {launcher.pid}); they stop within seconds")
        assert wait_until(lambda: gone(part), 10)
    finally:
        end_all([launcher.pid, part])
    run_lock.release(run_lock.hold(tmp_path / "data"))


# ---------------------------------------------------------------- parts end with it

@linux_only
def test_the_parts_end_with_a_launcher_killed_with_9_gunicorns_workers_too(tmp_path):
    (tmp_path / "tiny_app.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'ok']\n")
    gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
                "--pythonpath", str(tmp_path), "--bind", f"127.0.0.1:{free_port()}",
                "--workers", "2", "tiny_app:app"]
    launcher = a_launcher(tmp_path, f"{{'sleeper': {SLEEPER!r}, 'console': {gunicorn!r}}}")
    assert launcher.stdout is not None
    sleeper, master = map(int, launcher.stdout.readline().split())
    workers: list[int] = []
    try:
        assert wait_until(lambda: len(children_of(master)) == 2, 30), "no gunicorn workers"
        workers = children_of(master)
        launcher.kill()
        launcher.wait()
        everyone = [sleeper, master, *workers]
        assert wait_until(lambda: all(gone(pid) for pid in everyone), 5), \
            [pid for pid in everyone if not gone(pid)]
    finally:
        end_all([launcher.pid, sleeper, master, *workers])


@linux_only
def test_gunicorns_workers_end_with_a_master_killed_with_9(tmp_path):
    (tmp_path / "tiny_app.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        "    return [b'ok']\n")
    master = single_machine.start("console", [
        str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
        "--pythonpath", str(tmp_path), "--bind", f"127.0.0.1:{free_port()}", "--workers", "2",
        "tiny_app:app"], dict(os.environ), tmp_path / "log")
    workers: list[int] = []
    try:
        assert wait_until(lambda: len(children_of(master.pid)) == 2, 30), "no gunicorn workers"
        workers = children_of(master.pid)
        master.send_signal(signal.SIGKILL)
        master.wait()
        # Without being told, a sync worker notices its master gone up to 15 s later,
        # holding the console's port meanwhile.
        assert wait_until(lambda: all(gone(pid) for pid in workers), 5)
    finally:
        single_machine.stop({"console": master})
        end_all(workers)


# ---------------------------------------------------------------- logs rotate

COUNTER = python("""
    import sys
    start, count = int(sys.argv[1]), int(sys.argv[2])
    for n in range(start, start + count):
        print(f"line {n:05d} " + "x" * 40)
    """)


def test_a_parts_log_rotates_by_size_and_a_part_started_again_writes_on_in_it(tmp_path):
    env = {**os.environ, "LOG_MAX_BYTES": "2000", "LOG_BACKUP_COUNT": "3"}
    log_dir = tmp_path / "log"
    for first in (0, 100):  # the same part, started again (as the Supervisor does)
        part = single_machine.start("intake", [*COUNTER, str(first), "100"], env, log_dir)
        assert part.wait(timeout=30) == 0
        single_machine.stop({"intake": part})  # and its last lines written
    files = sorted(path.name for path in log_dir.iterdir())
    assert files == ["intake.log", "intake.log.1", "intake.log.2", "intake.log.3"]
    assert all((log_dir / name).stat().st_size <= 2000 for name in files)
    kept = "".join((log_dir / name).read_text() for name in reversed(files)).splitlines()
    numbers = [int(line.split()[1]) for line in kept]
    # the newest lines, in order, up to the last one: the oldest went with the rotation
    assert numbers == list(range(200 - len(numbers), 200))
    assert 3 * (2000 // len(kept[0]) - 1) < len(numbers) < 200


def test_the_log_settings_must_be_whole_numbers(tmp_path):
    with pytest.raises(ValueError, match="LOG_MAX_BYTES must be a whole number, not '10M'"):
        single_machine.start("bad", SLEEPER, {**os.environ, "LOG_MAX_BYTES": "10M"},
                             tmp_path / "log")
