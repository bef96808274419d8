"""Each part's output (stdout and stderr) in ``<log dir>/<part>.log``, rotated by size.

The launcher reads a part's output through a pipe, in a thread of its own, and writes it
line by line with logging.handlers.RotatingFileHandler: when a line would take the file
past ``LOG_MAX_BYTES`` (default 10 MiB; 0: never rotate) it is renamed ``<part>.log.1``,
the older ones move up to ``LOG_BACKUP_COUNT`` (default 5) and the oldest goes. A part
started again writes on in the same log (one handler per file in the launcher). Each line
is on disk as soon as it is read: the fault drill reads a worker's log as it runs.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO

MAX_BYTES = 10 * 1024 * 1024
BACKUP_COUNT = 5
LINE_LIMIT = 64 * 1024  # a longer line is written in pieces of this size

_logs: dict[Path, RotatingFileHandler] = {}
_logs_lock = threading.Lock()


def setting(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number from ``env``; ValueError naming the setting for anything else."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {text!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, not {value}")
    return value


def sizes(env: Mapping[str, str]) -> tuple[int, int]:
    """(LOG_MAX_BYTES, LOG_BACKUP_COUNT) from ``env``, or their defaults; ValueError naming
    a setting that is not a whole number."""
    return (setting(env, "LOG_MAX_BYTES", MAX_BYTES),
            setting(env, "LOG_BACKUP_COUNT", BACKUP_COUNT))


def rotating_log(path: Path, env: Mapping[str, str]) -> RotatingFileHandler:
    """The one rotating log at ``path`` in this process, sized by ``env`` (sizes) when
    first asked for."""
    path = Path(path).absolute()
    with _logs_lock:
        log = _logs.get(path)
        if log is None:
            max_bytes, backups = sizes(env)
            path.parent.mkdir(parents=True, exist_ok=True)
            log = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                      encoding="utf-8")
            log.terminator = ""  # each line keeps its own end
            _logs[path] = log
        return log


def copy(pipe: IO[bytes], log: logging.Handler) -> None:
    """Every line from ``pipe`` into ``log``, until the pipe ends: when the part and every
    process that shares its output (gunicorn's workers) have exited."""
    with pipe:
        for line in iter(lambda: pipe.readline(LINE_LIMIT), b""):
            text = line.decode("utf-8", "backslashreplace")
            log.handle(logging.makeLogRecord({"msg": text}))


def follow(name: str, pipe: IO[bytes], log: logging.Handler) -> threading.Thread:
    """copy() in a thread (a daemon: it never keeps the launcher from ending)."""
    thread = threading.Thread(target=copy, args=(pipe, log), name=f"log-{name}", daemon=True)
    thread.start()
    return thread
