"""Who may see what: the one access rule, as a table a reader can check (role × what ×
whose), and the few functions every service applies it with.

Every RPC that returns a ticket, a timeline, a queue, a resident, a check-in, an indicator
or a list asks here with the caller's actor; the console and the API only pass the actor
on. A refusal is ``NotPermitted``, and it does not tell whether the thing exists: someone
who may not see a ticket gets the same answer for a ticket of another unit and for a
number nobody has used (``refused``, ``unseen``). Only a reader who may see every such
thing everywhere learns ``NotFound``.

**Whose** a role sees of each kind of thing:

- ``every``: all of them in the actor's district (all districts for an actor bound to
  none, such as the city's centre);
- ``handled``: the tickets their unit leads now, assists or once assisted;
- ``handling``: the tickets their unit leads now or still owes an assist on;
- ``grid``: the residents (and their cards, check-ins, tickets) whose grid unit is theirs;
- ``own_unit``: their own unit's queue and register;
- ``taken``: the calls they took themselves;
- ``by_phone``: one resident at a time, found by the caller's phone.

A role without a row for a thing sees none of it. The README's "Who may see what" is this
table in words (``markdown_table()``). Programs sign in under accounts of their own and
see as little: the call centre's software the calls it took, a callback worker nothing
but the tasks it claims (``steps``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypedDict, TypeVar

from services.shared import privacy
from services.shared.errors import NotFound, NotPermitted

T = TypeVar("T")

EVERY, HANDLED, HANDLING, GRID, OWN_UNIT, TAKEN, BY_PHONE = (
    "every", "handled", "handling", "grid", "own_unit", "taken", "by_phone")

CENTRE = ("dispatcher", "supervisor", "admin")
SUPERVISORS = ("supervisor", "admin")

# What each thing is, in the words the README table uses.
WHAT = {
    "ticket": "a ticket: its state, timeline, description and place",
    "caller": "the caller's phone and room on a ticket",
    "card": "a resident's card, on a ticket or in the register (never health notes on a "
            "ticket)",
    "card_summary": "the resident on a ticket: name, masked phone, the emergency contacts' "
                    "relation",
    "health_notes": "a resident's health notes (only ever from the register)",
    "register": "lists, exports and birthdays of the register",
    "checkins": "a resident's check-ins",
    "card_views": "who looked at a resident's card",
    "queue": "a unit's queue",
    "staff": "a unit's staff: usernames and names, to give a ticket to (承办人)",
    "evidence": "a ticket's internal notes (内部备注) and attachments (现场照片): staff only",
    "supervision": "the supervision list (督办): overdue, warnings, requests",
    "indicators": "indicators and their workbook",
    "callbacks": "the callbacks of a ticket",
    "history": "the ledger's latest entries and its verification",
    "parked": "how many messages each service parked (never applied or answered)",
}

# (role, what) → whose. The table: read it down by role.
RULES: dict[tuple[str, str], str] = {
    # 话务员: takes calls; answers callers about any ticket of the district
    ("agent", "ticket"): EVERY,
    ("agent", "caller"): TAKEN,
    ("agent", "card_summary"): EVERY,
    ("agent", "register"): BY_PHONE,
    # 派单员: the dispatch centre
    ("dispatcher", "ticket"): EVERY,
    ("dispatcher", "card"): EVERY,
    ("dispatcher", "card_summary"): EVERY,
    ("dispatcher", "register"): EVERY,
    ("dispatcher", "checkins"): EVERY,
    ("dispatcher", "queue"): EVERY,
    ("dispatcher", "staff"): EVERY,
    ("dispatcher", "evidence"): EVERY,
    ("dispatcher", "supervision"): EVERY,
    ("dispatcher", "indicators"): EVERY,
    ("dispatcher", "callbacks"): EVERY,
    # 承办单位: grid workstations, neighbourhood committees, property companies
    ("unit_staff", "ticket"): HANDLED,
    ("unit_staff", "caller"): HANDLING,
    ("unit_staff", "card"): GRID,
    ("unit_staff", "card_summary"): HANDLED,
    ("unit_staff", "health_notes"): GRID,
    ("unit_staff", "register"): OWN_UNIT,
    ("unit_staff", "checkins"): GRID,
    ("unit_staff", "queue"): OWN_UNIT,
    ("unit_staff", "staff"): OWN_UNIT,
    ("unit_staff", "evidence"): HANDLING,
    # 督办员
    ("supervisor", "ticket"): EVERY,
    ("supervisor", "card"): EVERY,
    ("supervisor", "card_summary"): EVERY,
    ("supervisor", "register"): EVERY,
    ("supervisor", "checkins"): EVERY,
    ("supervisor", "card_views"): EVERY,
    ("supervisor", "queue"): EVERY,
    ("supervisor", "staff"): EVERY,
    ("supervisor", "evidence"): EVERY,
    ("supervisor", "supervision"): EVERY,
    ("supervisor", "indicators"): EVERY,
    ("supervisor", "callbacks"): EVERY,
    ("supervisor", "history"): EVERY,
    ("supervisor", "parked"): EVERY,
    # 系统管理员
    ("admin", "ticket"): EVERY,
    ("admin", "card"): EVERY,
    ("admin", "card_summary"): EVERY,
    ("admin", "register"): EVERY,
    ("admin", "checkins"): EVERY,
    ("admin", "card_views"): EVERY,
    ("admin", "queue"): EVERY,
    ("admin", "staff"): EVERY,
    ("admin", "evidence"): EVERY,
    ("admin", "supervision"): EVERY,
    ("admin", "indicators"): EVERY,
    ("admin", "callbacks"): EVERY,
    ("admin", "history"): EVERY,
    ("admin", "parked"): EVERY,
    # 话务系统: the call centre's software, creating tickets over RPC with its own token
    ("call_centre", "ticket"): TAKEN,
    ("call_centre", "caller"): TAKEN,
    # 自动回访: callback workers read nothing; claim hands them what a call needs
    # the services themselves, acting on their own (timers, sweeps, one service asking
    # another for what its own rule already allowed)
    ("system", "ticket"): EVERY,
    ("system", "caller"): EVERY,
    ("system", "card"): EVERY,
    ("system", "card_summary"): EVERY,
    ("system", "health_notes"): EVERY,
    ("system", "register"): EVERY,
    ("system", "checkins"): EVERY,
    ("system", "queue"): EVERY,
    ("system", "staff"): EVERY,
    ("system", "callbacks"): EVERY,
    ("system", "history"): EVERY,
    ("system", "indicators"): EVERY,
}


# The steps outside a ticket's own (dispatch's step table, services/dispatch/steps.py,
# decides those), and the roles that may take each.
STEPS: dict[str, tuple[str, ...]] = {
    # intake.create_ticket: a call taken by an agent, by the call centre's software, or
    # typed into the console by the centre
    "take_call": ("agent", "call_centre", "dispatcher", "admin"),
    # callback.claim and callback.complete: the automated callback workers only
    "work_callbacks": ("callback_worker",),
}
STEP_WORDS = {"take_call": "take calls (create tickets)",
              "work_callbacks": "claim and complete callback tasks"}


def check_step(actor: dict, step: str) -> None:
    """Pass if the actor's role may take ``step`` (STEPS); NotPermitted otherwise."""
    if actor["role"] not in STEPS[step]:
        raise NotPermitted(f"a {actor['role']} may not {STEP_WORDS[step]}")


class Facts(TypedDict, total=False):
    """What the rule needs to know of a thing: where it is and who handles it. A service
    fills in what it knows; what it leaves out matches nobody's narrower scope."""

    district: str | None         # the ticket's or resident's district
    units: Iterable[str | None]      # units that lead or led, assist or assisted (handled)
    units_now: Iterable[str | None]  # the unit leading now and units still owing an assist
    grid_unit_id: str | None     # the resident's grid unit
    taken_by: str | None         # the agent who took the call
    unit_id: str | None          # a queue's or a register's unit


def whose(actor: dict, what: str) -> str | None:
    """How much of ``what`` the actor's role sees (one of the scopes above), or None."""
    return RULES.get((actor["role"], what))


def in_district(actor: dict, district: str | None) -> bool:
    """Whether a thing of ``district`` lies where the actor serves (everywhere when the
    actor is bound to no district)."""
    served = actor.get("district")
    return served is None or district == served


def may(actor: dict, what: str, facts: Facts) -> bool:
    """Whether the actor may see this ``what`` with these facts."""
    scope = whose(actor, what)
    unit = actor.get("unit_id")
    if scope is None:
        return False
    if scope == EVERY:
        return in_district(actor, facts.get("district"))
    if scope == HANDLED:
        return unit is not None and unit in set(facts.get("units") or ())
    if scope == HANDLING:
        return unit is not None and unit in set(facts.get("units_now") or ())
    if scope == GRID:
        return unit is not None and unit == facts.get("grid_unit_id")
    if scope == OWN_UNIT:
        return unit is not None and unit == facts.get("unit_id")
    if scope == TAKEN:
        return facts.get("taken_by") is not None and actor["id"] == facts.get("taken_by")
    return False  # BY_PHONE: a look-up, judged where it is made (register.find_residents)


def sees_all(actor: dict, what: str) -> bool:
    """Whether the actor sees every ``what`` everywhere, so that telling them one does not
    exist tells them nothing they could not see."""
    return whose(actor, what) == EVERY and actor.get("district") is None


def refused(what: str, key: str) -> NotPermitted:
    """The one refusal of a read, the same whether the thing exists or not."""
    return NotPermitted(f"{what} {key}: not among those you may see")


def check(actor: dict, what: str, facts: Facts, key: str) -> None:
    """Pass if the actor may see this ``what``; ``refused`` otherwise."""
    if not may(actor, what, facts):
        raise refused(what, key)


def unseen(actor: dict, what: str, key: str) -> Exception:
    """What to raise for a ``what`` that does not exist: NotFound for a reader who sees
    every one everywhere, the same refusal as for another's otherwise."""
    return NotFound(f"{what} {key}") if sees_all(actor, what) else refused(what, key)


def seen(actor: dict, what: str, key: str, thing: T | None,
         facts_of: Callable[[T], Facts]) -> T:
    """``thing`` (None: there is no such thing), if the actor may see it: ``unseen`` when
    it does not exist, ``refused`` when it is not theirs; the one way a read by key is
    judged."""
    if thing is None:
        raise unseen(actor, what, key)
    check(actor, what, facts_of(thing), key)
    return thing


def require(actor: dict, what: str) -> str:
    """The actor's scope for ``what``; NotPermitted for a role without a row."""
    scope = whose(actor, what)
    if scope is None:
        raise NotPermitted(f"{actor['role']} may not read {WHAT.get(what, what)}")
    return scope


def card_level(actor: dict, facts: Facts) -> str | None:
    """How much of a resident card on a ticket this reader sees: "card" (the centre, the
    resident's own grid unit), "card_summary" (other units handling it, agents) or None."""
    for level in ("card", "card_summary"):
        if may(actor, level, facts):
            return level
    return None


def card_as_seen(card: dict | None, level: str | None) -> dict | None:
    """A resident card on a ticket at ``level`` (card_level): whole but for the health
    notes, which stay in the register; the name, masked phones and the emergency contacts'
    relation; or nothing."""
    if not card or level is None:
        return None
    if level == "card":
        return {key: value for key, value in card.items() if key != "health_notes"}
    return {"resident_id": card.get("resident_id"), "name": card.get("name"),
            "phones": [privacy.mask_phone(phone) for phone in card.get("phones") or []],
            "emergency_contacts": [{"relation": contact.get("relation")}
                                   for contact in card.get("emergency_contacts") or []],
            "grid_unit_id": card.get("grid_unit_id")}


def as_seen(actor: dict, data: Any, facts: Facts) -> Any:
    """Event data or an answer about a ticket as this reader may see it, from a service
    other than dispatch (timelines, records, tickets as received): the caller's and every
    phone and room masked unless they may see the caller, and each resident card cut to
    the resident's id and name for those who may see one (nothing for others). The card
    itself is read from dispatch's ticket view or the register, which record each read."""
    level = card_level(actor, facts)
    if not may(actor, "caller", facts):
        data = privacy.mask_payload(data)
    if not may(actor, "evidence", facts):
        data = _record_withheld(data)
    return _cards_cut(data, level)


# What an internal note or an attachment says, kept from readers of the ticket who may not
# read its record (``evidence``): they learn that a note or a file was added, not what.
RECORD_FIELDS = ("note", "name")
RECORD_EVENTS = ("note_added", "attachment_added")


def _record_withheld(data: Any) -> Any:
    if isinstance(data, list):
        return [_record_withheld(item) for item in data]
    if isinstance(data, dict) and data.get("event_type") in RECORD_EVENTS:
        inner = data.get("data") or {}
        return {**data, "data": {key: (None if key in RECORD_FIELDS else value)
                                 for key, value in inner.items()}}
    return data


def _cards_cut(data: Any, level: str | None) -> Any:
    if isinstance(data, list):
        return [_cards_cut(item, level) for item in data]
    if not isinstance(data, dict):
        return data
    return {key: (_named(value, level) if key == "resident" and isinstance(value, dict)
                  else _cards_cut(value, level))
            for key, value in data.items()}


def _named(card: dict, level: str | None) -> dict | None:
    return {"resident_id": card.get("resident_id"), "name": card.get("name")} \
        if level is not None else None


ROLE_ORDER = ("agent", "dispatcher", "unit_staff", "supervisor", "admin", "call_centre",
              "callback_worker", "system")


def markdown_table() -> str:
    """The rule as the README's table: a row per kind of thing, a column per role."""
    head = "| what | " + " | ".join(f"`{role}`" for role in ROLE_ORDER) + " |"
    rule = "|" + " --- |" * (len(ROLE_ORDER) + 1)
    rows = [f"| {meaning} | " + " | ".join(RULES.get((role, what), "—") for role in ROLE_ORDER)
            + " |" for what, meaning in WHAT.items()]
    return "\n".join([head, rule, *rows])
