"""What changed since a moment, for pages that keep themselves up to date (a unit's queue,
the dispatch centre, supervision): which tickets a reader may see were recorded as moving
since the reader's cursor, found by the minutes they were recorded in (an indexed
equality, store.recorded_since), never by reading every ticket.

A cursor is a time (ISO 8601, UTC). Each answer gives the next one, a little behind the
ledger's clock (``LAG``): an entry written while the answer was read, with a time just
before it, is told again next time rather than never; a reader tells repeats apart by
each ticket's ``seq``. A cursor further back than ``LOOKBACK`` (a page left asleep) is
not looked through: the answer says ``complete`` false, and the page reads its list
again.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

from services.shared import access, clock
from services.shared.errors import InvalidRequest, NotPermitted
from services.shared.schemas import CENTRE_ID

LAG: Final = dt.timedelta(seconds=2)
LOOKBACK: Final = dt.timedelta(minutes=10)
CENTRE, SUPERVISION, QUEUE = "centre", "supervision", "queue:"
WELFARE_CATEGORY, CHECKIN_CHANNEL = "welfare_check", "checkin"
PENDING, RETURNED = "pending", "ticket_returned"


def scope_of(actor: dict, scope: str) -> tuple[str, str | None]:
    """The page a reader watches, ("queue", unit_id), ("centre", None) or ("supervision",
    None), if they may read it (access.py: queue, supervision); NotPermitted if not,
    InvalidRequest for a scope that names no page."""
    if scope == SUPERVISION:
        access.require(actor, "supervision")
        return SUPERVISION, None
    if scope == CENTRE:
        unit_id = CENTRE_ID
    elif scope.startswith(QUEUE) and len(scope) > len(QUEUE):
        unit_id = scope[len(QUEUE):]
    else:
        raise InvalidRequest({"scope": ["Name a page: queue:<unit_id>, centre or supervision."]})
    if not access.may(actor, "queue", {"unit_id": unit_id}) and \
            access.whose(actor, "queue") != access.EVERY:
        raise NotPermitted(f"queue {unit_id}: not among those you may see")
    return (CENTRE if unit_id == CENTRE_ID else "queue"), unit_id


def window(since: dt.datetime | None, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """From when to read, and whether that covers all since the cursor: a cursor missing
    or further back than LOOKBACK reads the last LOOKBACK only (not complete)."""
    earliest = now - LOOKBACK
    if since is None or since < earliest:
        return earliest, False
    return since, True


def minutes_between(start: dt.datetime, end: dt.datetime) -> list[str]:
    """The recorded minutes (store.recorded_minute's text) from ``start`` to ``end``, both
    included, and the next one (a clock a little ahead)."""
    from services.ledger.store import recorded_minute

    moment = clock.as_utc(start).replace(second=0, microsecond=0)
    last = clock.as_utc(end) + dt.timedelta(minutes=1)
    minutes = []
    while moment <= last:
        minutes.append(recorded_minute(moment))
        moment += dt.timedelta(minutes=1)
    return minutes


def concerns(page: str, unit_id: str | None, entry: dict, row: dict) -> bool:
    """Whether what ``entry`` recorded changes the page: a unit's queue (the ticket is
    its, or it assists, or the ticket left it), the centre's (the ticket waits there, or
    left it), supervision (any step dispatch took on a ticket)."""
    if page == SUPERVISION:
        return entry.get("source") == "dispatch"
    if page == CENTRE and (row.get("state") == PENDING or entry["event_type"] == RETURNED):
        return True  # waits at the centre (a unit sent it back: the record keeps its unit)
    data = entry.get("data") or {}
    units = {row.get("unit_id"), data.get("unit_id"), data.get("previous_unit_id")}
    units.update(assist.get("unit_id") for assist in row.get("assists") or [])
    return unit_id in units


def left(unit_id: str | None, entry: dict) -> bool:
    """Whether ``entry`` took the ticket away from ``unit_id`` (reassigned or returned)."""
    data = entry.get("data") or {}
    return unit_id is not None and (data.get("previous_unit_id") == unit_id or (
        entry.get("event_type") == RETURNED and data.get("unit_id") == unit_id))


def is_welfare(row: dict) -> bool:
    """A welfare check (探访关爱): the category, or a missed check-in's ticket."""
    return row.get("category") == WELFARE_CATEGORY or row.get("channel") == CHECKIN_CHANNEL


def changed_item(row: dict, entry: dict) -> dict:
    """A changed ticket as the answer tells it: enough to cue a reader (urgent, welfare)."""
    return {"ticket_no": row["_id"], "seq": entry.get("seq"),
            "event_type": entry["event_type"], "state": row.get("state"),
            "unit_id": row.get("unit_id"), "category": row.get("category"),
            "kind": row.get("kind"), "urgency": row.get("urgency"),
            "priority": row.get("priority"), "urgent": row.get("urgency") == "urgent",
            "welfare": is_welfare(row)}


def answer(actor: dict, page: str, unit_id: str | None, entries: Iterable[dict],
           rows: dict[str, dict], since: dt.datetime, complete: bool,
           now: dt.datetime) -> dict:
    """The changes answer from the entries recorded after ``since`` and the rows of their
    tickets the actor may see (``rows``, by number): the newest entry of each ticket that
    concerns the page; ``gone``: tickets the reader's own unit no longer sees because
    they left it (they were its: nothing new is told)."""
    newest: dict[str, dict] = {}
    gone: set[str] = set()
    for entry in entries:
        number = entry.get("ticket_no")
        if number is None or clock.as_utc(entry["recorded_at"]) <= since:
            continue
        row = rows.get(number)
        if row is None:
            if page == "queue" and actor.get("unit_id") == unit_id and left(unit_id, entry):
                gone.add(number)
            continue
        if not concerns(page, unit_id, entry, row):
            continue
        kept = newest.get(number)
        if kept is None or (entry.get("seq") or 0) > (kept.get("seq") or 0):
            newest[number] = entry
    tickets = [changed_item(rows[number], entry) for number, entry in sorted(newest.items())]
    return {"cursor": clock.iso(now - LAG), "complete": complete,
            "changed": bool(tickets or gone) or not complete,
            "tickets": tickets, "gone": sorted(gone - set(newest))}
