"""A child process told to stop when its parent ends, even when the parent is killed with
-9: on Linux the kernel sends the child a signal of its choice then (``PR_SET_PDEATHSIG``).
Elsewhere this does nothing.

Used in each part the launcher starts (single_machine.start, before ``exec``) and in each
gunicorn worker (deploy/gunicorn.conf.py, ``post_fork``). The kernel's "parent" is the
thread that started the child: a part started from a thread is told to stop when that
thread ends.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                      ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


# Looked up once, here: what runs between fork and exec should not load libraries.
_PRCTL = _prctl()


def end_with(parent_pid: int, signum: int = signal.SIGTERM) -> None:
    """Have the kernel send this process ``signum`` when its parent (``parent_pid``) ends;
    if it has already ended, send it now."""
    if _PRCTL is None:
        return
    if _PRCTL(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent_pid:  # the parent ended before the call above
        os.kill(os.getpid(), signum)


def ending_with_this_process(signum: int) -> Callable[[], None]:
    """A ``preexec_fn`` for subprocess.Popen: the child is sent ``signum`` when this
    process ends, with that signal's default action restored first (a launcher started in
    the background ignores SIGINT, and its children would inherit that). The kernel may
    send it more than once: again each time it hands the child to another thread of the
    ending parent."""
    parent = os.getpid()

    def preexec() -> None:
        signal.signal(signum, signal.SIG_DFL)
        end_with(parent, signum)

    return preexec


def ended(pid: int) -> bool:
    """Whether process ``pid`` has ended: there is no such process, or it is a zombie
    nobody has reaped yet (how the launcher's tests tell a part is gone; Linux's /proc)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")
