"""The calling window: callbacks to the elderly are placed only in daytime hours.

The window is daily wall-clock time in Shanghai, e.g. 09:00–20:00; a call that would
fall outside it waits for the next opening. Times in and out are aware UTC datetimes.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from services.shared import clock

DEFAULT_START = "09:00"
DEFAULT_END = "20:00"
DAY = dt.timedelta(days=1)


def _minutes(text: str) -> int:
    """Minutes after midnight of ``HH:MM``; "24:00" is the end of the day."""
    try:
        hours, minutes = (int(part) for part in str(text).split(":"))
    except ValueError:
        raise ValueError(f"a window time is HH:MM, not {text!r}") from None
    if not (0 <= minutes < 60 and 0 <= hours <= 24) or (hours == 24 and minutes):
        raise ValueError(f"a window time is between 00:00 and 24:00, not {text!r}")
    return hours * 60 + minutes


@dataclass(frozen=True)
class CallingWindow:
    """Calls may be placed from ``start`` (inclusive) to ``end`` (exclusive), local time,
    every day. ``start`` must come before ``end``: a window does not span midnight."""

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= 24 * 60:
            raise ValueError("a calling window must open before it closes, within one day")

    @classmethod
    def of(cls, start: str = DEFAULT_START, end: str = DEFAULT_END) -> CallingWindow:
        return cls(_minutes(start), _minutes(end))


WindowLike = CallingWindow | Mapping[str, str]


def calling_window(window: WindowLike | None) -> CallingWindow:
    """A CallingWindow from itself or from config ``{start: "09:00", end: "20:00"}``."""
    if isinstance(window, CallingWindow):
        return window
    window = window or {}
    return CallingWindow.of(window.get("start", DEFAULT_START), window.get("end", DEFAULT_END))


def is_open(moment: dt.datetime, window: WindowLike) -> bool:
    """Whether a call may be placed at ``moment``."""
    window = calling_window(window)
    local = clock.local(moment)
    minute = local.hour * 60 + local.minute
    return window.start_minute <= minute < window.end_minute


def next_call_time(earliest: dt.datetime, window: WindowLike) -> dt.datetime:
    """The first moment at or after ``earliest`` inside the daily window (UTC, aware):
    ``earliest`` itself when the window is open, else today's opening if it is still to
    come, else tomorrow's."""
    window = calling_window(window)
    if is_open(earliest, window):
        return clock.as_utc(earliest)
    local = clock.local(earliest)
    day = local.date()
    if local.hour * 60 + local.minute >= window.end_minute:  # closed for today
        day += DAY
    opening = dt.datetime.combine(day, dt.time(), tzinfo=clock.SHANGHAI) \
        + dt.timedelta(minutes=window.start_minute)
    return clock.as_utc(opening)
