"""Recording events: the rules that turn an envelope into a ledger entry, say in one
sentence what an entry records, and keep the ``tickets`` read model.

Plain functions, no broker and no database: the store and the service do the I/O.

An entry is the event as it was said, never changed once written::

    {"_id": event_id, "ticket_no", "seq", "event_type", "source", "schema_version",
     "occurred_at" (datetime), "recorded_at" (datetime), "actor", "data"}

``seq`` numbers one ticket's entries 1, 2, 3… in the order the ledger recorded them;
an event without a ticket has ``ticket_no`` and ``seq`` null.
"""
from __future__ import annotations

import datetime as dt

from services.shared import clock

# --- entries -----------------------------------------------------------------------------


def entry_of(event: dict, recorded_at: dt.datetime) -> dict:
    """The entry for a validated envelope, before the store numbers it (``seq`` null)."""
    return {
        "_id": event["event_id"],
        "ticket_no": event.get("ticket_no"),
        "seq": None,
        "event_type": event["event_type"],
        "source": event["source"],
        "schema_version": event.get("schema_version"),
        "occurred_at": clock.parse_iso(event["occurred_at"]),
        "recorded_at": recorded_at,
        "actor": event.get("actor"),
        "data": event.get("data") or {},
    }


def follow(entry: dict, previous: dict | None) -> dict:
    """The entry numbered to follow ``previous``, the ticket's last recorded entry (None for
    its first). The one place that links an entry to the one before it: a per-ticket hash
    chain will add the previous entry's hash here."""
    return {**entry, "seq": (previous["seq"] if previous else 0) + 1}


def as_item(entry: dict) -> dict:
    """An entry as timeline and feed callers see it (JSON-ready, times as ISO text)."""
    return {
        "seq": entry.get("seq"),
        "event_id": entry["_id"],
        "ticket_no": entry.get("ticket_no"),
        "event_type": entry["event_type"],
        "source": entry["source"],
        "occurred_at": clock.iso(entry["occurred_at"]),
        "recorded_at": clock.iso(entry["recorded_at"]),
        "actor": entry.get("actor"),
        "data": entry.get("data") or {},
        "summary": summary(entry),
    }


# --- summaries: one short sentence per entry, for a console ----------------------------

OUTCOME_WORDS = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
    "unreachable": "联系不上",
    "answered": "已直接答复",
}
DEADLINE_WORDS = {"accept": "签收", "contact": "联系", "resolve": "办结"}
SUMMARY_TEXT_LIMIT = 40


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SUMMARY_TEXT_LIMIT else text[:SUMMARY_TEXT_LIMIT - 1] + "…"


def _word(words: dict[str, str], value: str | None) -> str:
    return words.get(value, str(value))


def _with(head: str, detail: str | None) -> str:
    return f"{head}: {_short(detail)}" if detail else head


def _dispatched(data: dict) -> str:
    unit = data.get("unit_name") or data.get("unit_id") or ""
    if not data.get("routed", True):
        return f"待派: 未找到承办单位, 留在 {unit}"
    if data.get("reason") == "reassigned":
        return f"改派至 {unit}"
    return f"派单至 {unit}"


def _callback_completed(data: dict) -> str:
    outcome = data.get("outcome")
    if outcome == "unreachable" and not data.get("final", True):
        return "回访: 未接通, 将再次拨打"
    return _with("回访: " + _word(OUTCOME_WORDS, outcome), data.get("note"))


def _callback_scheduled(data: dict) -> str:
    attempt = data.get("attempt") or 1
    return "安排回访" if attempt == 1 else f"安排回访: 第{attempt}次"


SUMMARIES = {
    "ticket_created": lambda d: _with("受理", d.get("description")),
    "ticket_answered": lambda d: _with("直接答复", d.get("answer")),
    "ticket_dispatched": _dispatched,
    "ticket_accepted": lambda d: "签收",
    "ticket_returned": lambda d: _with("退单", d.get("reason")),
    "ticket_contacted": lambda d: _with("联系市民", d.get("note")),
    "ticket_resolved": lambda d: _with("办结", d.get("resolution")),
    "ticket_overdue": lambda d: "超时: " + _word(DEADLINE_WORDS, d.get("deadline")),
    "ticket_closed": lambda d: "结案: " + _word(OUTCOME_WORDS, d.get("outcome")),
    "ticket_reopened": lambda d: _with("重办", d.get("note")),
    "callback_scheduled": _callback_scheduled,
    "callback_completed": _callback_completed,
}


def summary(entry: dict) -> str:
    """A short Chinese sentence saying what the entry records ("派单至 …", "退单: 原因").
    Worded when read, not stored, so the wording can change without touching the record."""
    describe = SUMMARIES.get(entry["event_type"])
    return describe(entry.get("data") or {}) if describe else entry["event_type"]


# --- the tickets read model ----------------------------------------------------------------
#
# One row per ticket (_id = ticket_no): its current state, unit, category, received time,
# outcome and reopen count, as the entries so far say. Events of one ticket reach the
# ledger out of order across sources, so every field is decided by the events' own
# order, never by arrival: the state is the one said by the latest event (by occurred_at,
# then seq), the unit by the latest dispatch, the ticket's particulars by ticket_created
# whenever it arrives. Applying an event twice gives the same row.

STATE_OF = {
    "ticket_dispatched": lambda d: "dispatched" if d.get("routed", True) else "pending",
    "ticket_accepted": lambda d: "accepted",
    "ticket_returned": lambda d: "pending",
    "ticket_contacted": lambda d: "contacted",
    "ticket_resolved": lambda d: "resolved",
    "ticket_closed": lambda d: "closed",
    "ticket_reopened": lambda d: "dispatched",
    # Before dispatch says anything, the ticket is as intake received it.
    "ticket_created": lambda d: d.get("status") or "received",
}
"""The state each event puts a ticket in (dispatch's states, and intake's ``received`` /
``answered`` until dispatch speaks). Events not listed leave the state alone."""

PARTICULARS = ("category", "kind", "channel", "urgency", "priority")
PLACE_LEVELS = ("district", "subdistrict", "community")  # no building or room: personal


def order_key(entry: dict) -> list:
    """Where an entry stands in its ticket's history: occurred_at, then the ledger's seq."""
    return [clock.iso(entry["occurred_at"]), entry.get("seq") or 0]


def _later(entry: dict, row: dict, key_field: str) -> bool:
    current = row.get(key_field)
    return current is None or order_key(entry) > list(current)


def ticket_changes(row: dict | None, entry: dict) -> dict:
    """The fields of the ticket's read-model ``row`` (None before its first event) that
    ``entry`` changes, as a ``$set`` document. Order-independent and idempotent."""
    row = row or {}
    data = entry.get("data") or {}
    event_type = entry["event_type"]
    occurred_at = entry["occurred_at"]
    changes: dict = {}

    last = row.get("last_event_at")
    if last is None or occurred_at > clock.as_utc(last):
        changes["last_event_at"] = occurred_at

    if event_type in STATE_OF and _later(entry, row, "state_key"):
        changes.update(state=STATE_OF[event_type](data), state_at=occurred_at,
                       state_key=order_key(entry))

    if event_type == "ticket_created":
        # The ticket as received: these are facts of the ticket, whenever they arrive.
        changes.update({name: data.get(name) for name in PARTICULARS})
        changes["place"] = {level: (data.get("address") or {}).get(level)
                            for level in PLACE_LEVELS}
        changes["received_at"] = clock.parse_iso(data["received_at"]) \
            if data.get("received_at") else occurred_at
    elif event_type == "ticket_dispatched":
        if row.get("received_at") is None:
            # Until ticket_created arrives, dispatch's word for these is the best we have.
            changes.update(category=data.get("category"), priority=data.get("priority"))
        if _later(entry, row, "unit_key"):
            changes.update(unit_id=data.get("unit_id"), unit_name=data.get("unit_name"),
                           unit_key=order_key(entry))
    elif event_type == "ticket_closed":
        if _later(entry, row, "outcome_key"):  # a ticket closed again ends as last closed
            changes.update(outcome=data.get("outcome"), closed_at=occurred_at,
                           outcome_key=order_key(entry))
    elif event_type == "ticket_reopened":
        count = data.get("reopen_count") or 0
        if count > (row.get("reopen_count") or 0):
            changes["reopen_count"] = count
    elif event_type == "ticket_overdue":
        missed = {"deadline": data.get("deadline"), "due_at": data.get("due_at")}
        overdue = list(row.get("overdue") or [])
        if missed not in overdue:
            changes["overdue"] = sorted(overdue + [missed],
                                        key=lambda m: (m["due_at"] or "", m["deadline"] or ""))
    return changes


def new_row(ticket_no: str) -> dict:
    """The read-model fields every ticket has before its events fill them in."""
    return {
        "ticket_no": ticket_no, "state": None, "state_at": None, "unit_id": None,
        "unit_name": None, **{name: None for name in PARTICULARS}, "place": None,
        "received_at": None, "outcome": None, "closed_at": None, "reopen_count": 0,
        "overdue": [], "last_event_at": None,
    }


def as_view(row: dict) -> dict:
    """A read-model row as callers see it (JSON-ready; bookkeeping fields left out)."""
    view = {name: row.get(name, value) for name, value in new_row(row["_id"]).items()}
    for name in ("state_at", "received_at", "closed_at", "last_event_at"):
        view[name] = clock.iso(view[name])
    return view
