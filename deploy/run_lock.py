"""One launcher per data directory. `make run` (deploy/single_machine.py), the fault
drill and the bench each hold an exclusive lock on the directory their parts keep their
data in, for as long as they run: two copies of a service on one embedded store number
tickets from the same counters and collide.

The lock is ``flock`` on ``<directory>/.lock``, which holds the launcher's pid. The kernel
drops it when the last process holding it ends, however it ends (``kill -9`` too). The
parts a launcher starts hold it as well (``held_fds``, passed to them by
single_machine.start), so a store stays locked until the last part of a launcher is gone:
a launcher killed with -9 leaves it locked for the few seconds its parts take to stop.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = ".lock"

_held: dict[int, Path] = {}  # fd -> the directory it locks


class InUse(SystemExit):
    """The directory is locked by another launcher (or by the parts of one that ended);
    raised with a one-line message, it ends a program with exit code 1."""


def hold(directory: Path, who: str = "run") -> int:
    """Lock ``directory`` (made if missing) for this process and the parts it starts, or
    raise InUse naming the directory and the pid that holds it (``who`` begins the message,
    as each program begins its own). Returns the lock's file descriptor (see release)."""
    directory = Path(directory).absolute()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InUse(refusal(directory, who, holder(path))) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _held[fd] = directory
    return fd


def release(fd: int) -> None:
    """Give the lock up (the parts still running from this process keep it until they end)."""
    _held.pop(fd, None)
    os.close(fd)


def held_fds() -> tuple[int, ...]:
    """The locks this process holds, for the parts it starts to hold too."""
    return tuple(_held)


def holder(path: Path) -> int | None:
    """The pid written in the lock file (None if unreadable: a holder between its lock
    and its write)."""
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's
    return True


def refusal(directory: Path, who: str, pid: int | None) -> str:
    """The one line a launcher refused gives: which directory, held by which pid, and what
    to do about it."""
    if pid is None:
        return f"{who}: {directory} is in use by another launcher; stop it first"
    if alive(pid):
        return (f"{who}: {directory} is in use by another launcher (pid {pid}); stop it "
                f"first (Ctrl-C in its terminal, or kill {pid})")
    return (f"{who}: {directory} is still in use by the parts of a launcher that ended "
            f"(pid {pid}); they stop within seconds (fuser -v {directory / LOCK_FILE} "
            f"lists them)")
