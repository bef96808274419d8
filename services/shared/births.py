"""A birth date as the register keeps it: ISO 8601 text at the precision known.

Old registers often know only the year and month of a birth (1938年5月), or only the year.
That is kept as it was given, ``"1938-05"`` or ``"1938"``, never made up into a day;
a full date is ``"1938-05-01"``. The text itself says the precision, so the card has one
field and every reader the same rule:

- the age is counted from the earliest day the date allows (1938-05 as if born on
  1938-05-01, 1938 as if on 1938-01-01): in a register of elderly people, the one whose
  age is in doubt is treated as the older;
- a birthday (a greeting on the day) only where month and day are known.

The text sorts as the dates do, earliest day first ("1938-05" before "1938-05-01"), so a
query "born on or before" an ISO day finds exactly those old enough by that rule.
"""
from __future__ import annotations

import datetime as dt
import re

DAY, MONTH, YEAR = "day", "month", "year"
PRECISIONS = (DAY, MONTH, YEAR)
# ASCII digits ([0-9], not \d): the API's pattern says the same to a client of any dialect
WRITTEN = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
FORMATS = "YYYY-MM-DD, or YYYY-MM / YYYY when only the month or the year is known"


def precision(text: str) -> str:
    """day, month or year: what ``text`` knows of the birth. ValueError if it is not a
    birth date as the register writes one."""
    earliest(text)
    return {10: DAY, 7: MONTH, 4: YEAR}[len(text)]


def earliest(text: str) -> dt.date:
    """The first day ``text`` allows: 1938-05 → 1938-05-01, 1938 → 1938-01-01. ValueError
    if it is not YYYY, YYYY-MM or YYYY-MM-DD, or names no real day."""
    match = WRITTEN.match(text)
    if match is None:
        raise ValueError(f"Not a birth date ({FORMATS}): {text!r}")
    year, month, day = match.groups()
    return dt.date(int(year), int(month or 1), int(day or 1))


def written(day: dt.date, known: str) -> str:
    """``day`` written at the precision ``known``: (1938-05-01, month) → "1938-05"."""
    return day.isoformat()[:{DAY: 10, MONTH: 7, YEAR: 4}[known]]


def age_on(text: str | None, day: dt.date) -> int | None:
    """Whole years lived on ``day``, counted from the earliest day ``text`` allows (None
    without a birth date)."""
    if not text:
        return None
    born = earliest(text)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def month_day(text: str | None) -> str | None:
    """The birthday as MM-DD, only where month and day are known."""
    if not text or precision(text) != DAY:
        return None
    return text[5:]


def birthday_in(text: str, year: int) -> dt.date | None:
    """The day the birthday is kept in ``year`` (29 February on the 28th in a common year);
    None where month and day are not known: no greeting on a made-up day."""
    if precision(text) != DAY:
        return None
    born = earliest(text)
    try:
        return born.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)
