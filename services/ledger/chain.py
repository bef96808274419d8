"""The tamper-evident ledger: every entry is hash-chained to the one before it, so an entry
edited, removed or reordered directly in the store shows.

Plain functions, no broker and no database: the store reads the chains, the service walks
them with these rules.

**Chains.** A ticket's entries form one chain, in ``seq`` order. An entry without a ticket
(check-ins, callback tasks without one) goes in its resident's chain,
``resident:<resident_id>``, when its data names a resident, else in the one ``global``
chain; its place there is ``chain_seq`` (``seq`` stays null: it numbers tickets' entries
only). A resident's chain keeps check-ins of different residents from racing for one seq.

**Hash.** ``hash`` = sha256 (hex) of the canonical JSON (keys sorted, no spaces, UTF-8) of
the entry's recorded content: event_id, ticket_no, seq, chain, chain_seq, event_type,
source, schema_version, occurred_at, recorded_at (ISO text, milliseconds), actor, data,
``caused_by`` and ``ticket_version`` where the entry has them (entries recorded before the
ledger kept them hash as they were), and ``prev_hash``, the hash of the entry before it in
its chain; the first entry of a chain (or the first after entries recorded before the
chain existed) has ``GENESIS``.

**Verifying** one chain (``problems``) names each entry:
- ``edited``: its content no longer gives its hash (a field changed, or its hash);
- ``reordered``: its content gives its hash only at another place in the chain (its seq
  was changed, e.g. two seqs swapped);
- ``removed``: a place in the chain is empty (a gap), or an entry's ``prev_hash`` is not
  the hash of the entry now before it (one was taken out and the rest renumbered);
- entries without a hash, before the chain's first hashed entry, were recorded before the
  ledger chained its entries: counted as *unchained*, not broken.
Removing a ticket's last entry leaves no gap; the ledger's read model still lists the
events it applied (the latest 200), so verify reports those too (``missing``). A
resident's or the global chain has no read model: its last entry can go unnoticed.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from services.shared import clock

GENESIS = "0" * 64
GLOBAL_CHAIN = "global"
EDITED, REMOVED, REORDERED = "edited", "removed", "reordered"
# Finding where a reordered entry was recorded tries each empty or suspect place: bounded,
# so a store rewritten wholesale is reported as edited rather than searched for long.
REORDER_SEARCH_MAX = 200
# Kept and hashed where an entry has them: what orders a ticket's history (record.py).
CAUSAL_FIELDS = ("caused_by", "ticket_version")


def chain_of(entry: dict) -> str:
    """The name of the chain an entry belongs to: its ticket number, its resident's chain,
    or the global one."""
    if entry.get("ticket_no") is not None:
        return entry["ticket_no"]
    resident_id = (entry.get("data") or {}).get("resident_id")
    return f"resident:{resident_id}" if resident_id else GLOBAL_CHAIN


def place(entry: dict) -> int | None:
    """The entry's place in its chain: seq for a ticket's, chain_seq for the others."""
    return entry.get("seq") if entry.get("ticket_no") is not None else entry.get("chain_seq")


def _places(entries: Iterable[dict]) -> set[int]:
    """The places the entries stand at; one whose place was taken away stands at none."""
    return {number for number in map(place, entries) if number is not None}


def hash_of(entry: dict, prev_hash: str, at: int | None = None) -> str:
    """The hash of the entry's recorded content after ``prev_hash``; ``at`` puts it at
    another place in its chain (to find where a reordered entry was recorded)."""
    position = place(entry) if at is None else at
    ticket = entry.get("ticket_no") is not None
    content = {
        "event_id": entry["_id"],
        "ticket_no": entry.get("ticket_no"),
        "seq": position if ticket else entry.get("seq"),
        "chain": entry.get("chain"),
        "chain_seq": entry.get("chain_seq") if ticket else position,
        "event_type": entry.get("event_type"),
        "source": entry.get("source"),
        "schema_version": entry.get("schema_version"),
        "occurred_at": _time(entry.get("occurred_at")),
        "recorded_at": _time(entry.get("recorded_at")),
        "actor": entry.get("actor"),
        "data": entry.get("data"),
        "prev_hash": prev_hash,
    }
    for name in CAUSAL_FIELDS:
        if entry.get(name) is not None:
            content[name] = entry[name]
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _time(value):
    # The store keeps milliseconds: hash what it gives back, whatever was handed to it.
    return clock.iso(value) if hasattr(value, "microsecond") else value


def link(entry: dict, previous: dict | None) -> dict:
    """``entry``, numbered in its chain after ``previous`` (its chain's last entry, None for
    the first), with its ``prev_hash`` and ``hash``."""
    number = (place(previous) or 0) + 1 if previous else 1
    if entry.get("ticket_no") is not None:
        linked = {**entry, "seq": number}
    else:
        linked = {**entry, "chain": chain_of(entry), "chain_seq": number}
    prev_hash = (previous or {}).get("hash") or GENESIS
    return {**linked, "prev_hash": prev_hash, "hash": hash_of(linked, prev_hash)}


def problem(entry: dict, seq: int | None, kind: str, detail: str) -> dict:
    """One broken place, as verify reports it."""
    return {"ticket_no": entry.get("ticket_no"), "chain": chain_of(entry), "seq": seq,
            "event_id": entry.get("_id"), "problem": kind, "detail": detail}


def problems(entries: Iterable[dict]) -> tuple[list[dict], int]:
    """Every broken place of one chain (its entries in any order), and how many of its
    entries were recorded before the chain existed (unchained)."""
    entries = sorted(entries, key=lambda entry: (place(entry) or 0, str(entry["_id"])))
    hashed = [entry for entry in entries if entry.get("hash")]
    first = place(hashed[0]) if hashed else None
    unchained = [entry for entry in entries if not entry.get("hash")
                 and (first is None or (place(entry) or 0) < first)]
    # The chain begins at seq 1, or after the entries recorded before chaining.
    start = None if first is None else first if unchained else 1
    broken: list[dict] = []
    stripped = [entry for entry in entries if not entry.get("hash") and entry not in unchained]
    for entry in stripped:  # a hash taken away after the chain began
        broken.append(problem(entry, place(entry), EDITED, "its hash has been removed"))

    # Where each hashed entry was recorded: where it stands if its content gives its hash.
    recorded_at: dict[str, int] = {}
    suspects = []
    for entry in hashed:
        position = place(entry)  # link places every entry: one without is a suspect
        if position is not None and hash_of(entry, entry.get("prev_hash") or "") == entry["hash"]:
            recorded_at[entry["_id"]] = position
        else:
            suspects.append(entry)
    if suspects:
        taken = {place(entry) for entry in entries}
        last = max(place(entry) or 0 for entry in entries)
        # A removal with the rest renumbered moves every later entry down by one.
        free = [n for n in range(start or 1, last + len(suspects) + 1) if n not in taken]
        candidates = sorted(set(free) | _places(suspects))
        search = len(suspects) * len(candidates) <= REORDER_SEARCH_MAX ** 2
        for entry in suspects:
            found = next((n for n in candidates if n != place(entry) and search and
                          hash_of(entry, entry.get("prev_hash") or "", n) == entry["hash"]),
                         None)
            if found is None:
                broken.append(problem(entry, place(entry), EDITED,
                                      "its content no longer gives its hash"))
            else:
                recorded_at[entry["_id"]] = found
                broken.append(problem(entry, place(entry), REORDERED,
                                      f"recorded as seq {found}, now at seq {place(entry)}"))

    # Walk the chain in the order it was recorded: every place filled, each entry after
    # the one it was recorded after.
    at_place: dict[int, list[dict]] = {}
    for entry in hashed:
        if entry["_id"] in recorded_at:
            at_place.setdefault(recorded_at[entry["_id"]], []).append(entry)
    reported = {item["event_id"] for item in broken}
    filled = set(at_place) | _places(entry for entry in entries
                                     if entry["_id"] not in recorded_at)
    if start is not None:
        for number in range(start, max(filled) + 1):
            if number not in filled:
                broken.append({**problem(hashed[0], number, REMOVED,
                                         f"no entry at seq {number}"), "event_id": None})
    for number, recorded in sorted(at_place.items()):
        for entry in recorded:
            previous = at_place.get(number - 1) or []
            if number == start or not previous:
                expected = [GENESIS] if number == start else None
            else:
                expected = [other.get("hash") or GENESIS for other in previous]
            if expected is None or entry["prev_hash"] in expected:
                continue
            if any(other["_id"] in reported for other in previous):
                continue  # the entry before is reported already
            broken.append(problem(entry, place(entry), REMOVED,
                                  f"the entry before seq {number} is not the one it was "
                                  f"recorded after"))
    return sorted(broken, key=lambda item: (item["seq"] or 0, item["problem"])), \
        len(unchained)


def missing(ticket_no: str, lost: Iterable[str], removed: int, last: int) -> list[dict]:
    """The entries removed from the end of a ticket's chain, which leave no gap: the events
    its read model applied that the record no longer has (``lost``), beyond the ``removed``
    places its chain already reported; they stood after seq ``last``."""
    lost = sorted(lost)
    detail = "the read model applied events the record no longer has: " + ", ".join(lost)
    return [{"ticket_no": ticket_no, "chain": ticket_no, "seq": last + n, "problem": REMOVED,
             "event_id": lost[0] if len(lost) == 1 else None, "detail": detail}
            for n in range(1, len(lost) - removed + 1)]
