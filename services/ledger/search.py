"""The search index: what each ticket's read-model row keeps so that tickets can be found
by the caller's phone or name, words of the description, place, category, unit, state
and the day received, and the query a search makes of those fields.

The index is written by the same event application as the rest of the row
(record.ticket_changes), so it is kept from events, never made by scanning tickets at a
query; ``SEARCH_VERSION`` marks a row indexed by this code, and rows recorded before (or
by an older index) are indexed again from their ticket_created entry at the ledger's start
(store.index_unindexed). The row keeps:

- ``search_phones``: each caller's phone (the ticket's and those of repeat calls merged
  into it) as dialled at home, digits only (13812345678, 02988881234): so 029-8888-1234,
  +86 29 8888 1234 and 02988881234 are the same number;
- ``search_names``: each caller's name, as given (spaces taken out);
- ``taken_by``: who took the call, for readers who see the calls they took;
- ``scope_units``: the lead unit and every assisting unit, for unit staff's scope;
- ``search_places``: the district, subdistrict and community names;
- ``received_hour``, ``received_day``: the hour and day received, for lists newest first;
- ``search_words``: the description cut by jieba in its search and full modes (浴缸扶手
  gives 浴缸, 扶手 and 浴缸扶手; 路灯不亮 gives 路灯 and 不亮), lower case; a query's words
  must all be there.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from services.shared import clock, privacy, segmentation

SEARCH_VERSION = 2  # 2: full-mode words and a long word's parts
PHONES, NAMES, WORDS, INDEXED = "search_phones", "search_names", "search_words", "search_v"
TAKEN_BY = "taken_by"  # who took the call (its ticket_created's actor): access.TAKEN
# The units whose staff see the ticket (access.HANDLED): the lead now and every unit that
# assists or assisted, one list, so a unit's tickets are found by equality (an index).
SCOPE_UNITS = "scope_units"
PLACES = "search_places"  # the district, subdistrict and community names, one list
# The hour received (UTC, "2026-11-23T02"; "" until ticket_created says): a list newest
# first reads the rows of the last hours by equality (store.search), not every row.
RECEIVED_HOUR = "received_hour"
RECEIVED_DAY = "received_day"  # the same, by day (UTC, "2026-11-23"), for older windows
# A search counts what it found up to this many; above, "more than" (total_exact false):
# counting every ticket of a district to show a page would read them all.
COUNTED = 500
SEARCH_FIELDS = (PHONES, NAMES, WORDS)
MAX_WORDS = 400  # of one description: a row stays small however long the text
# A token worth indexing has a letter, a digit or a Chinese character.
WORDLIKE = re.compile(r"[0-9a-z\u3400-\u9fff]")
HAN_ONLY = re.compile(r"[\u3400-\u9fff]+")

# How results may be sorted: name → [(field, direction)], with the number last so the order
# is total and pages do not overlap.
SORTS: dict[str, list[tuple[str, int]]] = {
    "newest": [("received_at", -1), ("_id", -1)],
    "oldest": [("received_at", 1), ("_id", 1)],
    "updated": [("last_event_at", -1), ("_id", -1)],
    "number": [("_id", 1)],
}
DEFAULT_SORT = "newest"



def _jieba() -> Any:
    """jieba's tokenizer with its default dictionary (segmentation.py)."""
    return segmentation.tokenizer()


def phone_key(phone: str | None) -> str | None:
    """A phone as dialled at home, digits only (a landline keeps its leading 0):
    "+86 29 8888 1234", "029-8888-1234" and "02988881234" all give "02988881234".
    None for text with no digits."""
    return (privacy.dialled_at_home(phone) or None) if phone else None


def name_key(name: str | None) -> str | None:
    """A name as searched: spaces out, lower case (吴 建国 is 吴建国)."""
    key = "".join((name or "").split()).lower()
    return key or None


def index_words(text: str | None) -> list[str]:
    """The words a description is found by, lower case, each once, in order, punctuation
    and spaces left out: jieba's search-mode cut, its full-mode cut (in context the
    search mode may cut 两处路灯不亮 as 路 / 灯不亮, and miss 路灯), and the two-character
    parts of a longer Chinese token (灯不亮 gives 不亮, a word a query keeps whole)."""
    if not text:
        return []
    lowered = text.lower()
    words: list[str] = []
    seen: set[str] = set()

    def found(token: str) -> None:
        token = token.strip()
        if token and token not in seen and WORDLIKE.search(token):
            seen.add(token)
            words.append(token)

    tokenizer = _jieba()
    for token in [*tokenizer.cut_for_search(lowered), *tokenizer.cut(lowered, cut_all=True)]:
        found(token)
        if len(token) > 2 and HAN_ONLY.fullmatch(token):
            for at in range(len(token) - 1):
                found(token[at:at + 2])
    return words[:MAX_WORDS]


def query_words(text: str | None) -> list[str]:
    """The words a query asks for, each of which a ticket's description must have: the
    query cut as jieba cuts a sentence (扶手 坏了 → 扶手, 坏); a word the dictionary does
    not know stays whole."""
    if not text:
        return []
    words: list[str] = []
    for token in _jieba().cut(text.lower()):
        token = token.strip()
        if token and token not in words and WORDLIKE.search(token):
            words.append(token)
    return words


def _added(kept: list | None, *values: str | None) -> list[str]:
    """The kept values with these added (None left out), sorted: the same whatever order
    the events came in."""
    return sorted(set(kept or []) | {value for value in values if value})


def created_changes(row: dict, data: dict, actor: dict | None) -> dict:
    """The search fields a ticket_created (its ``data``, said by ``actor``) sets on the
    ticket's row."""
    caller = data.get("caller") or {}
    return {TAKEN_BY: (actor or {}).get("id"),
            PHONES: _added(row.get(PHONES), phone_key(caller.get("phone"))),
            NAMES: _added(row.get(NAMES), name_key(caller.get("name"))),
            WORDS: index_words(data.get("description")),
            INDEXED: SEARCH_VERSION}


def merged_changes(row: dict, data: dict) -> dict:
    """The search fields a repeat call merged into the ticket adds: its caller."""
    caller = data.get("caller") or {}
    phones = _added(row.get(PHONES), phone_key(caller.get("phone")))
    names = _added(row.get(NAMES), name_key(caller.get("name")))
    changes: dict = {}
    if phones != (row.get(PHONES) or []):
        changes[PHONES] = phones
    if names != (row.get(NAMES) or []):
        changes[NAMES] = names
    return changes


def search_query(asked: dict, scope: dict | None) -> dict:
    """The read-model filter of a search (arguments as SearchSchema loads them) within a
    reader's ``scope`` (record.scope_query): every condition given must hold."""
    clauses: list[dict] = [dict(scope)] if scope else []
    if asked.get("ticket_no"):
        clauses.append({"_id": asked["ticket_no"].strip().upper()})
    phone = phone_key(asked.get("phone"))
    if asked.get("phone"):
        clauses.append({PHONES: phone or ""})
    name = name_key(asked.get("name"))
    if name:
        clauses.append({NAMES: name})
    # each word an equality (not $all): the embedded store answers equalities from its index
    clauses += [{WORDS: word} for word in query_words(asked.get("words"))]
    place = (asked.get("place") or "").strip()
    if place:
        clauses.append({PLACES: place})
    for field, key in (("category", "categories"), ("unit_id", "unit_ids"),
                       ("state", "states")):
        values = asked.get(key)
        if values:
            clauses.append({field: values[0] if len(values) == 1 else {"$in": list(values)}})
    received: dict = {}
    if asked.get("start") is not None:
        received["$gte"] = asked["start"]
    if asked.get("end") is not None:
        received["$lt"] = asked["end"]
    if received:
        clauses.append({"received_at": received})
    if not clauses:
        return {}
    if len(clauses) == 1:
        return clauses[0]
    # one document when no two clauses name the same field; $and otherwise
    merged: dict = {}
    for clause in clauses:
        if set(clause) & set(merged):
            return {"$and": clauses}
        merged.update(clause)
    return merged


def scope_units(row: dict) -> list[str]:
    """The units whose staff see the ticket by its row (access.HANDLED): the lead and
    every assisting unit, now or before."""
    units = [row.get("unit_id")] + [assist.get("unit_id") for assist in row.get("assists") or []]
    return sorted({unit for unit in units if unit})


def places(place: dict | None) -> list[str]:
    """The names a ticket's place is found by: its district, subdistrict and community."""
    return sorted({name for name in (place or {}).values() if name})


HOUR, DAY = "%Y-%m-%dT%H", "%Y-%m-%d"
WINDOW_HOURS = (2, 4, 8, 16, 32)  # the last 62 hours, then days
WINDOW_DAYS = tuple(2 ** n for n in range(2, 11))  # 4 days, 8, … 1024: about five years


def received_hour(received_at: Any) -> str:
    """The hour (UTC) of a time received ("" for none)."""
    return clock.as_utc(received_at).strftime(HOUR) if received_at else ""


def received_day(received_at: Any) -> str:
    """The day (UTC) of a time received ("" for none)."""
    return clock.as_utc(received_at).strftime(DAY) if received_at else ""


Window = tuple[dt.datetime | None, dt.datetime | None, dict]


def windows(now: dt.datetime, start: dt.datetime | None = None,
            end: dt.datetime | None = None) -> list[Window]:
    """The conditions a list newest first reads by, window by window back from ``now`` (an
    hour ahead, for a clock a little ahead): hours (WINDOW_HOURS), then whole days
    (WINDOW_DAYS) less the hours read already, then everything older. Each is an equality
    on the hour or the day, which the embedded store answers from its index, and comes
    with the times it spans, [from, until) (None: no bound). Of a search of a period
    [``start``, ``end``), only the hours and days that overlap it are read."""
    def within(lower: dt.datetime, upper: dt.datetime) -> bool:
        return (end is None or lower < end) and (start is None or upper > start)

    top = clock.as_utc(now) + dt.timedelta(hours=1)
    hour = top.replace(minute=0, second=0, microsecond=0)
    read: list[str] = []
    found: list[Window] = []
    for span in WINDOW_HOURS:
        newest = hour
        hours = []
        for _ in range(span):
            if within(hour, hour + dt.timedelta(hours=1)):
                hours.append(hour.strftime(HOUR))
            read.append(hour.strftime(HOUR))
            hour -= dt.timedelta(hours=1)
        if hours:
            found.append((hour + dt.timedelta(hours=1), newest + dt.timedelta(hours=1),
                          {RECEIVED_HOUR: {"$in": hours}}))
    # from the day of the newest hour not read yet (its hours read already left out)
    day = dt.datetime.combine(hour.date(), dt.time(0), tzinfo=dt.UTC)
    days_read: list[str] = []
    for span in WINDOW_DAYS:
        newest = day
        days = []
        for _ in range(span):
            if within(day, day + dt.timedelta(days=1)):
                days.append(day.date().isoformat())
            days_read.append(day.date().isoformat())
            day -= dt.timedelta(days=1)
        if days:
            found.append((day + dt.timedelta(days=1), newest + dt.timedelta(days=1),
                          {RECEIVED_DAY: {"$in": days}, RECEIVED_HOUR: {"$nin": read}}))
    if start is None or start < day + dt.timedelta(days=1):
        found.append((None, None, {RECEIVED_DAY: {"$nin": days_read + [""]},
                                   RECEIVED_HOUR: {"$nin": read}}))
    return found


def overlaps(window: Window, start: dt.datetime | None, end: dt.datetime | None) -> bool:
    """Whether a window (its [from, until)) may hold tickets received in [start, end)."""
    lower, upper, _ = window
    return (lower is None or end is None or lower < end) and \
        (upper is None or start is None or upper > start)


def narrow(asked: dict) -> bool:
    """Whether a search names what few tickets have (a number, a phone, a name): then all
    it finds is read at once, not window by window."""
    return bool(asked.get("ticket_no") or asked.get("phone") or asked.get("name"))


def sort_of(name: str | None) -> list[tuple[str, int]]:
    """The sort a search asks for by name (SORTS)."""
    return SORTS[name or DEFAULT_SORT]
