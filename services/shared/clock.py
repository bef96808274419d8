"""Time: stored and carried in UTC, shown in Asia/Shanghai."""
from __future__ import annotations

import datetime as dt
from typing import overload
from zoneinfo import ZoneInfo

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """The current time, aware, in UTC, truncated to milliseconds as MongoDB stores it."""
    moment = dt.datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


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
