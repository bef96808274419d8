"""Time: stored and carried in UTC, shown in Asia/Shanghai.

``now()`` is the wall clock every service reads for the times it records and the calendar
deadlines it sets: those follow the wall clock by design (a deadline is a moment on the
calendar, and a clock put right moves it). Durations inside one process (rate limits,
waits, caches) use ``time.monotonic`` instead, which no step of the wall clock moves.

The clock can be stepped without touching the machine's: ``step_by`` for this process (a
test), and the file named by ``HOTLINE_CLOCK_STEP_FILE`` (a number of seconds, read again
at most every ``STEP_FILE_READ_SECONDS``) for a process started with it, as the fault
drill steps one service an hour forward and back. Unset, as in production, ``now()`` is
the machine's clock.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from typing import overload
from zoneinfo import ZoneInfo

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")

STEP_FILE_ENV = "HOTLINE_CLOCK_STEP_FILE"
STEP_FILE_READ_SECONDS = 0.2

_stepped_by = dt.timedelta(0)  # step_by's, this process's
_step_file: dict = {"read_at": None, "step": dt.timedelta(0)}


def now() -> dt.datetime:
    """The current time, aware, in UTC, truncated to milliseconds as MongoDB stores it."""
    moment = dt.datetime.now(UTC) + _stepped_by + _file_step()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def step_by(step: dt.timedelta) -> None:
    """Step this process's clock by ``step`` (forward or back) on top of any step so far."""
    global _stepped_by
    _stepped_by += step


def unstep() -> None:
    """Put this process's clock back to the machine's (the step file still counts)."""
    global _stepped_by
    _stepped_by = dt.timedelta(0)


def write_step_file(path: str | os.PathLike, step: dt.timedelta) -> None:
    """Step the processes reading ``path`` (as ``HOTLINE_CLOCK_STEP_FILE``) by ``step``
    from the machine's clock, within ``STEP_FILE_READ_SECONDS``: written whole, then
    renamed into place."""
    partial = f"{os.fspath(path)}.partial"
    with open(partial, "w", encoding="utf-8") as said:
        said.write(f"{step.total_seconds()}\n")
    os.replace(partial, path)


def _file_step() -> dt.timedelta:
    """The step said in ``HOTLINE_CLOCK_STEP_FILE``; none when unset, missing or not a
    number (a drill writes it whole, with a rename, so a half-written file is not seen)."""
    path = os.environ.get(STEP_FILE_ENV)
    if not path:
        return dt.timedelta(0)
    read_at = _step_file["read_at"]
    moment = time.monotonic()
    if read_at is None or moment - read_at >= STEP_FILE_READ_SECONDS:
        try:
            with open(path, encoding="utf-8") as said:
                seconds = float(said.read(64).strip() or 0)
        except (OSError, ValueError):
            seconds = 0.0
        _step_file.update(read_at=moment, step=dt.timedelta(seconds=seconds))
    return _step_file["step"]


def as_utc(moment: dt.datetime) -> dt.datetime:
    """The same instant in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@overload
def iso(moment: dt.datetime) -> str: ...
@overload
def iso(moment: None) -> None: ...
@overload
def iso(moment: dt.datetime | None) -> str | None: ...


def iso(moment: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a trailing Z and milliseconds: sorts as text in time order."""
    if moment is None:
        return None
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> dt.datetime:
    """An aware UTC datetime from ISO 8601 text (a bare date or naive time is taken as UTC)."""
    return as_utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))


def local(moment: dt.datetime) -> dt.datetime:
    """The instant as a wall-clock time in Shanghai."""
    return as_utc(moment).astimezone(SHANGHAI)
