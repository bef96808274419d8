"""What each ticket adds to the indicators' day buckets, kept right however its events
arrive: late, twice, or out of order.

A **bucket** is one Shanghai calendar day of one unit, in one subdistrict and category:
``(day, unit_id, subdistrict, category)``, and, for the facts of a person answering for
the ticket (承办人: who held it when it was signed for, contacted or resolved, and whose
resolution a callback rated), of that person too (``assignee``). It holds counters and
the resolve-hours values of the resolutions in it. Indicators add up the buckets of a
period and never scan the entries, so asking costs the same with a year of history as
with a day.

How a ticket's events become counts:

1. The ticket's read-model row keeps a small **item** for each event that counts
   (``counted``), whatever order the events arrive in.
2. The ticket's **contributions** are a pure function of those items and of the ticket's
   particulars (``contributions_of``): for each fact, the bucket it falls in and what it
   adds there. Each has a stable id ("accepted:<event_id>", "received:<unit_id>", "state").
3. After every event the contributions are computed again and compared with those already
   handed to the buckets (``settle``). The difference becomes **facts**: take back what
   changed, add what is new. The facts go into the row's ``figures_outbox`` in the same
   compare-and-set update as the row itself, and the store then applies each one to its
   bucket and removes it from the outbox. A bucket remembers the ids of the facts it
   applied, so a fact is counted exactly once even if a crash comes between the two
   writes and the event is delivered again.

So the counts follow the events' own order, not their arrival: a dispatch that arrives
after the ticket's acceptance, or a resolution that arrives after its callback, moves the
counts where they belong.

**Deferred until the ticket is known.** A bucket's subdistrict and category come from
``ticket_created``. Until the ledger has recorded it, the ticket contributes nothing, and
its facts wait in its items; the moment ``ticket_created`` arrives, all of them are
counted. (Dispatch never speaks of a ticket before intake created it, so every ticket's
``ticket_created`` does arrive.) The one exception is praise of a unit named without a
ticket: it has no place and no category, and counts at once under neither.

Who is credited, when the event does not name a unit: a callback's result and a
satisfied closure go to the unit of the latest resolution before them; a merged repeat
call to the unit of the latest dispatch before it (none: no unit); praise of a ticket to
the unit the ticket was last dispatched to. Such a fact waits until that unit is known.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from services.shared import clock

SATISFIED = ("satisfied", "basically_satisfied")
STEP_OF = {"ticket_accepted": "accepted", "ticket_contacted": "contacted",
           "ticket_resolved": "resolved"}
COUNTED_EVENTS = ("ticket_dispatched", *STEP_OF, "ticket_reopened", "callback_completed",
                  "ticket_closed", "ticket_merged", "praise_received", "ticket_assigned")
"""The event types whose items a ticket's row keeps for its contributions."""

STATE_COUNT = "state:"
"""Prefix of the counters of where the tickets received on a day stand now
("state:closed"); they live in the bucket of the received day, with no unit."""


def day_of(moment: dt.datetime) -> str:
    """The Shanghai calendar day of an instant, as ISO text (2026-11-23)."""
    return clock.local(moment).date().isoformat()


# --- items: what a row keeps of an event ---------------------------------------------------

def counting_ticket(entry: dict) -> str | None:
    """The ticket whose row counts ``entry``: praise counts with the praised ticket, when it
    names one; everything else with the ticket it was said about."""
    data = entry.get("data") or {}
    if entry["event_type"] == "praise_received" and data.get("praised_ticket_no"):
        return data["praised_ticket_no"]
    return entry.get("ticket_no")


def rows_of(entry: dict) -> list[str]:
    """The tickets whose rows ``entry`` changes: its own, and the praised ticket's."""
    return list(dict.fromkeys(filter(None, (entry.get("ticket_no"), counting_ticket(entry)))))


def counted_item(entry: dict, key: list) -> dict | None:
    """What a ticket's row keeps of ``entry`` for its contributions (None: nothing, the
    event does not count). ``key`` is the entry's place in the ticket's history."""
    event_type = entry["event_type"]
    if event_type not in COUNTED_EVENTS:
        return None
    data = entry.get("data") or {}
    item = {"id": entry["_id"], "type": event_type, "key": key, "at": entry["occurred_at"],
            "unit_id": data.get("unit_id")}
    if event_type in STEP_OF:
        item["on_time"] = data.get("on_time")
    if event_type == "ticket_resolved":
        item["paused_hours"] = data.get("paused_hours") or 0.0
    if event_type in ("callback_completed", "ticket_closed"):
        item.update(outcome=data.get("outcome"), final=data.get("final", True))
    if event_type == "praise_received":
        item.update(unit_id=data.get("praised_unit_id"),
                    of_ticket=bool(data.get("praised_ticket_no")))
    if event_type == "ticket_assigned":
        item.update(assignee=data.get("assignee"), assignee_name=data.get("assignee_name"))
    return item


# --- contributions: the facts a ticket adds, by bucket -------------------------------------

def _before(items: list[dict], item: dict, event_type: str) -> dict | None:
    """The latest item of ``event_type`` that comes before ``item`` in the history."""
    earlier = [other for other in items
               if other["type"] == event_type and list(other["key"]) < list(item["key"])]
    return earlier[-1] if earlier else None


def _person_at(items: list[dict], item: dict) -> dict | None:
    """The person answering for the ticket (承办人) when ``item`` happened: the latest
    ticket_assigned before it, unless a dispatch (to a unit, afresh) came between."""
    latest = None
    for other in items:
        if other["type"] in ("ticket_assigned", "ticket_dispatched") \
                and list(other["key"]) < list(item["key"]):
            latest = other
    if latest is None or latest["type"] != "ticket_assigned" or not latest.get("assignee"):
        return None
    return {"assignee": latest["assignee"], "assignee_name": latest.get("assignee_name")}


def _resolve_hours(resolution: dict, received_at: dt.datetime) -> float:
    """Hours from the ticket's receipt to this resolution, time paused (挂起) taken off."""
    elapsed = (clock.as_utc(resolution["at"]) - clock.as_utc(received_at)).total_seconds() / 3600
    return max(0.0, elapsed - (resolution.get("paused_hours") or 0.0))


def contributions_of(row: dict) -> list[dict]:
    """Every fact the ticket of read-model ``row`` adds to the buckets, as it stands:
    ``{"id", "day", "unit_id", "subdistrict", "category", "counts", "hours"}``.
    Definitions of the figures: services/ledger/indicators.py."""
    items = sorted(row.get("counted") or [], key=lambda item: list(item["key"]))
    known = row.get("received_at") is not None  # ticket_created recorded
    place = {"subdistrict": (row.get("place") or {}).get("subdistrict"),
             "category": row.get("category")}
    result: list[dict] = []

    def add(contribution_id: str, at: dt.datetime, unit_id: str | None, counts: dict,
            hours: float | None = None, placed: bool = True,
            person: dict | None = None) -> None:
        counts = {name: value for name, value in counts.items() if value}
        if counts or hours is not None:
            result.append({"id": contribution_id, "day": day_of(at), "unit_id": unit_id,
                           **(place if placed else {"subdistrict": None, "category": None}),
                           # only a fact of someone's names them: the others stay as
                           # they were before people were counted
                           **(person or {}), "counts": counts, "hours": hours})

    for item in items:  # praise of a unit, no ticket named: no place, no waiting
        if item["type"] == "praise_received" and not item.get("of_ticket") and item["unit_id"]:
            add(f"praise:{item['id']}", item["at"], item["unit_id"], {"praise": 1}, placed=False)
    if not known:
        return result

    dispatches = [item for item in items if item["type"] == "ticket_dispatched"]
    first_to_unit: dict[str | None, dict] = {}
    for dispatch in dispatches:
        first_to_unit.setdefault(dispatch["unit_id"], dispatch)
    for unit_id, dispatch in first_to_unit.items():
        add(f"received:{unit_id}", dispatch["at"], unit_id,
            {"received": 1, "received_tickets": int(dispatch is dispatches[0])})

    resolutions = [item for item in items if item["type"] == "ticket_resolved"]
    for item in items:
        event_type = item["type"]
        if event_type in STEP_OF:
            step = STEP_OF[event_type]
            counts = {step: 1, f"{step}_on_time": int(item.get("on_time") is True),
                      f"{step}_late": int(item.get("on_time") is False)}
            hours = None
            if event_type == "ticket_resolved":
                hours = _resolve_hours(item, row["received_at"])
                counts["reopened"] = int(_reopened(items, resolutions, item))
            add(f"{step}:{item['id']}", item["at"], item["unit_id"], counts, hours,
                person=_person_at(items, item))
        elif event_type == "callback_completed" and item.get("final", True):
            resolution = _before(items, item, "ticket_resolved")
            if resolution is not None:
                outcome = item.get("outcome")
                add(f"callback:{item['id']}", item["at"], resolution["unit_id"],
                    {outcome: 1, "callbacks_reached": int(outcome != "unreachable")},
                    person=_person_at(items, resolution))
        elif event_type == "ticket_closed" and item.get("outcome") in SATISFIED:
            resolution = _before(items, item, "ticket_resolved")
            unit_id = item["unit_id"] or (resolution or {}).get("unit_id")
            if unit_id:
                add(f"closed:{item['id']}", item["at"], unit_id, {"closed_satisfied": 1},
                    person=_person_at(items, resolution) if resolution else None)
        elif event_type == "ticket_merged":
            dispatch = _before(items, item, "ticket_dispatched")
            add(f"merged:{item['id']}", item["at"], (dispatch or {}).get("unit_id"),
                {"merged": 1})
        elif event_type == "praise_received" and item.get("of_ticket"):
            unit_id = item["unit_id"] or (dispatches[-1]["unit_id"] if dispatches else None)
            if unit_id:
                add(f"praise:{item['id']}", item["at"], unit_id, {"praise": 1})

    if row.get("state"):
        add("state", row["received_at"], None, {STATE_COUNT + row["state"]: 1})
    return result


def _reopened(items: list[dict], resolutions: list[dict], resolution: dict) -> bool:
    """Whether the ticket was reopened after this resolution and before the next one."""
    later = [other for other in resolutions if list(other["key"]) > list(resolution["key"])]
    until = list(later[0]["key"]) if later else None
    return any(item["type"] == "ticket_reopened" and list(item["key"]) > list(resolution["key"])
               and (until is None or list(item["key"]) < until) for item in items)


# --- settling: from contributions to facts --------------------------------------------------

BUCKET_FIELDS = ("day", "unit_id", "subdistrict", "category")
PERSON_FIELDS = ("assignee", "assignee_name")  # only in the buckets of someone's facts


def _bucket(contribution: dict) -> dict:
    return {name: contribution[name] for name in BUCKET_FIELDS + PERSON_FIELDS
            if name in contribution}


def _same(applied: dict, wanted: dict) -> bool:
    return {**applied, "ref": None} == {**wanted, "ref": None}


def settle(applied: list[dict], wanted: list[dict], fact_prefix: str
           ) -> tuple[list[dict], list[dict]]:
    """The facts that bring the buckets from the ``applied`` contributions to the
    ``wanted`` ones, and the contributions as they will stand then. Each fact:
    ``{"id", "bucket", "inc", "push_hours", "pull_hours"}``; ids are ``fact_prefix``
    with a number, so the prefix must be unique to the event and the row."""
    before = {contribution["id"]: contribution for contribution in applied}
    facts: list[dict] = []
    settled: list[dict] = []

    def retract(old: dict) -> None:
        facts.append({"id": f"{fact_prefix}:{len(facts)}", "bucket": _bucket(old),
                      "inc": {name: -value for name, value in old["counts"].items()},
                      "push_hours": None, "pull_hours": old.get("ref")})

    for new in wanted:
        old = before.pop(new["id"], None)
        if old is not None and _same(old, new):
            settled.append(old)
            continue
        if old is not None:
            retract(old)
        fact_id = f"{fact_prefix}:{len(facts)}"
        hours = None if new["hours"] is None else {"id": fact_id, "h": new["hours"]}
        facts.append({"id": fact_id, "bucket": _bucket(new), "inc": dict(new["counts"]),
                      "push_hours": hours, "pull_hours": None})
        settled.append({**new, "ref": fact_id if hours else None})
    for old in before.values():
        retract(old)
    return settled, facts


def praise_count(items: Iterable[dict]) -> int:
    """How many praise calls named this ticket."""
    return sum(1 for item in items if item["type"] == "praise_received" and item.get("of_ticket"))
