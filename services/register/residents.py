"""The register of vulnerable residents (台账): who they are, who answers for them, and
every change to them, kept for good.

Plain functions, no broker and no database: the store and the service do the I/O.

A resident, as stored (``residents``, _id = resident_id)::

    {"_id", "resident_id", "name", "phones" [E.164], "address" {district … room, detail},
     "birth_date" ("1927-03-05", or "1927-03" / "1927" when only that is known) | null,
     "living_status", "groups" [codes], "health_notes",
     "hobbies", "emergency_contacts" [{name, relation, phone}], "grid_unit_id",
     "grid_worker", "checkin_plan" {days, times, paused, paused_until} | null,
     "consent_notes", "retired", "retired_at", "retired_reason", "created_at",
     "changed_at", "version", "history" [...], "outbox" [...]}
Each read of a card is a document of the register's ``card_views`` (see store.RegisterStore).

Age and birthday are worked out from ``birth_date`` whenever asked, never stored, so
they are never out of date (services/shared/births.py: a year-month or a year counts from
its first day, and has no birthday to greet). Nothing is deleted: retiring marks a
resident retired, and each step appends to ``history`` (when, who, what changed from what
to what, why, and the import batch it came with) in the same update that says
``register_changed``.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from services.shared import access, births, clock
from services.shared.errors import IllegalTransition, NotPermitted
from services.shared.events import new_event
from services.shared.payloads import CARD_FIELDS, LIVING_STATUSES, event_data
from services.shared.schemas import PLACE_LEVELS
from services.shared.words import LIVING_STATUS_WORDS

assert tuple(LIVING_STATUS_WORDS) == LIVING_STATUSES
# The groups every register has (seed 002 sorts its elders this way); REGISTER.groups in
# the service's config adds more, code: word.
BUILT_IN_GROUPS = {
    "retired_cadre": "离退休老干部",
    "low_income": "低保",
    "childless": "孤寡",
    "veteran": "退役军人",
    "disabled": "失能",
}
ADDRESS_LEVELS = PLACE_LEVELS + ("room",)  # down to the room: how a resident is found

# What a resident is, as add_resident takes it and change_resident changes it.
RESIDENT_FIELDS = (
    "name", "phones", "address", "birth_date", "living_status", "groups", "health_notes",
    "hobbies", "emergency_contacts", "grid_unit_id", "grid_worker", "checkin_plan",
    "consent_notes",
)

# Steps, as history names them, and the register_changed change each says.
ADDED, CHANGED, RETIRED = "added", "changed", "retired"
CHECKINS_PAUSED, CHECKINS_RESUMED = "checkins_paused", "checkins_resumed"
EVENT_CHANGE = {ADDED: ADDED, CHANGED: CHANGED, RETIRED: RETIRED,
                CHECKINS_PAUSED: CHANGED, CHECKINS_RESUMED: CHANGED}

# Who may read what: services/shared/access.py. Who may change the register: admins
# anything, anywhere; unit staff the residents of their own grid unit (check_edit).


def group_words(configured: dict | None) -> dict[str, str]:
    """Every group a resident may be in, code: Chinese word, built-in ones first."""
    more = {str(code): str(word) for code, word in (configured or {}).items()}
    return {**BUILT_IN_GROUPS, **more}


def new_resident_id() -> str:
    return "R" + uuid.uuid4().hex[:10].upper()


def today(now: dt.datetime) -> dt.date:
    """The calendar day in Shanghai: ages and birthdays turn over at local midnight."""
    return clock.local(now).date()


# --- who may ---------------------------------------------------------------------------


def facts(resident: dict) -> access.Facts:
    """What the access rule needs of a resident: their grid unit and district."""
    return {"grid_unit_id": resident.get("grid_unit_id"),
            "district": (resident.get("address") or {}).get("district")}


def as_read_by(actor: dict, resident: dict) -> dict:
    """The resident as this reader may have them: health notes only for the resident's own
    grid unit (services/shared/access.py: health_notes); blank for everyone else, admins
    and the centre included."""
    if resident.get("health_notes") and not access.may(actor, "health_notes", facts(resident)):
        return {**resident, "health_notes": None}
    return resident


def check_read(actor: dict, resident: dict) -> None:
    """Refuse a card read by anyone but the centre of the resident's district (admins,
    dispatchers, supervisors) and the resident's own grid unit (services/shared/access.py:
    card); the refusal is the same as for a resident who does not exist."""
    access.check(actor, "card", facts(resident), resident["_id"])


def check_edit(actor: dict, grid_unit_id: str | None) -> None:
    """Refuse a change to a resident of ``grid_unit_id`` by anyone but an admin or that
    unit's staff."""
    if actor["role"] == "admin" or _own_unit(actor, grid_unit_id):
        return
    if actor["role"] == "unit_staff":
        raise NotPermitted("unit staff keep the register of their own unit only")
    raise NotPermitted("only admins and the resident's own unit change the register")


def find_scope(actor: dict, asked: dict) -> dict:
    """The filters a find really runs with for this actor (services/shared/access.py:
    register): unit staff see their own unit (asking for another is refused), a district's
    centre its district, agents may only look up a phone. NotPermitted."""
    scope = access.require(actor, "register")
    if scope == access.EVERY:
        district = actor.get("district")
        place = asked.get("place") or {}
        if district is not None and place.get("district") not in (None, district):
            raise NotPermitted("the register of another district is not yours to read")
        return {**asked, "place": {**place, "district": district}} if district else asked
    if scope == access.OWN_UNIT and actor.get("unit_id"):
        if asked.get("grid_unit_id") not in (None, actor["unit_id"]):
            raise NotPermitted("unit staff read the register of their own unit only")
        return {**asked, "grid_unit_id": actor["unit_id"]}
    if scope == access.BY_PHONE:
        others = [name for name, value in asked.items()
                  if name not in ("phone", "limit") and value not in (None, False)]
        if asked.get("phone") is None or others:
            raise NotPermitted("agents find residents by phone only, to know a caller")
        return asked
    raise NotPermitted("this role does not read the register")


def phone_lookup(actor: dict) -> bool:
    """Whether a find by this actor reveals a card to someone outside the resident's unit
    and so is recorded in each found resident's views."""
    return access.whose(actor, "register") == access.BY_PHONE


def _own_unit(actor: dict, grid_unit_id: str | None) -> bool:
    return (actor["role"] == "unit_staff" and actor.get("unit_id") is not None
            and actor["unit_id"] == grid_unit_id)


# --- ages and birthdays ------------------------------------------------------------------


age_on = births.age_on            # whole years on a day, from the earliest day allowed
birthday_in = births.birthday_in  # the day kept in a year; None unless month and day known


def latest_birth_date(min_age: int, day: dt.date) -> str:
    """The latest birth date of someone at least ``min_age`` on ``day`` (ISO text, which
    sorts as dates do: a stored "1946-05" is on or before "1946-05-01", as its age is
    counted from that day)."""
    try:
        limit = day.replace(year=day.year - min_age)
    except ValueError:  # 29 February, min_age years back is a common year
        limit = dt.date(day.year - min_age, 2, 28)
    return limit.isoformat()


def birthdays_between(residents: Iterable[dict], start: dt.date, days: int) -> list[dict]:
    """The residents whose birthday falls in [start, start + days), in date order, each as
    {resident (the document), date (ISO), turns (the age they reach that day)}. Only
    those whose month and day of birth are known have one."""
    end = start + dt.timedelta(days=days)
    found = []
    for resident in residents:
        if not resident.get("birth_date"):
            continue
        for year in range(start.year, end.year + 1):
            day = birthday_in(resident["birth_date"], year)
            if day is not None and start <= day < end:
                found.append({"resident": resident, "date": day.isoformat(),
                              "turns": age_on(resident["birth_date"], day)})
    return sorted(found, key=lambda item: (item["date"], item["resident"]["name"]))


# --- matching one person ---------------------------------------------------------------


def match_keys(resident: dict) -> set[str]:
    """What identifies a person in a register that has no ids: the name with a phone, or
    the name with the address down to the room."""
    name = resident.get("name")
    if not name:
        return set()
    keys = {f"{name}|{phone}" for phone in resident.get("phones") or ()}
    address = resident.get("address") or {}
    if address.get("room"):
        keys.add(f"{name}|" + "/".join(address.get(level) or "" for level in ADDRESS_LEVELS))
    return keys


# --- steps -------------------------------------------------------------------------------


@dataclass
class Change:
    """What a step does to a resident: fields to set, the history entry and the event,
    applied only if the resident is still at ``version`` (compare-and-set)."""

    resident_id: str
    version: int  # as read; the resident becomes version + 1
    fields: dict
    history: dict
    event: dict


def new_resident(resident_id: str, fields: dict, actor: dict, now: dt.datetime,
                 batch_id: str | None = None) -> dict:
    """The document of a resident added with ``fields`` (as ResidentSchema loaded them),
    version 1, with its first history entry and its register_changed in the outbox."""
    at = clock.iso(now)
    values = {name: fields.get(name) for name in RESIDENT_FIELDS}
    values.update(prepared({}, values))
    resident = {
        "_id": resident_id, "resident_id": resident_id, **values,
        "retired": False, "retired_at": None, "retired_reason": None,
        "created_at": at, "changed_at": at, "version": 1,
    }
    changes = {name: {"from": None, "to": value} for name, value in values.items()
               if value not in (None, [], "")}
    resident["history"] = [_history(ADDED, actor, at, changes, None, batch_id, 1)]
    resident["outbox"] = [_event(ADDED, resident, actor)]
    return resident


def differences(resident: dict, fields: dict) -> dict:
    """{field: {from, to}} for each of ``fields`` that differs from the resident's."""
    return {name: {"from": resident.get(name), "to": value} for name, value in fields.items()
            if resident.get(name) != value}


def plan_kept(plan: dict | None, old: dict | None) -> dict | None:
    """A check-in plan as stored: its days and times, paused as the old plan was (a new
    timetable does not end a hospital stay)."""
    if plan is None:
        return None
    return {"days": list(plan["days"]), "times": list(plan["times"]),
            "paused": bool(old and old.get("paused")),
            "paused_until": old.get("paused_until") if old else None}


LIST_FIELDS = ("phones", "groups", "emergency_contacts")


def prepared(resident: dict, fields: dict) -> dict:
    """``fields`` as they would be stored on this resident: a list left null is empty,
    and a new check-in timetable keeps the plan's pause."""
    fields = dict(fields)
    if "checkin_plan" in fields:
        fields["checkin_plan"] = plan_kept(fields["checkin_plan"], resident.get("checkin_plan"))
    for name in LIST_FIELDS:
        if name in fields and fields[name] is None:
            fields[name] = []
    return fields


def changed(resident: dict, fields: dict, actor: dict, now: dt.datetime,
            batch_id: str | None = None) -> Change | None:
    """The change setting ``fields`` (a part of a resident, as ResidentSchema loaded it),
    or None when they say what the register says already. IllegalTransition on a retired
    resident; NotPermitted when the actor may not edit them, or when unit staff would hand
    the resident to another unit (only an admin moves a resident between units)."""
    check_edit(actor, resident.get("grid_unit_id"))
    _refuse_if_retired(resident)
    fields = prepared(resident, fields)
    what = differences(resident, fields)
    if not what:
        return None
    if "grid_unit_id" in what:
        check_edit(actor, what["grid_unit_id"]["to"])
    return _change(resident, CHANGED, {name: fields[name] for name in what}, what, actor, now,
                   batch_id=batch_id)


def retired(resident: dict, actor: dict, reason: str, now: dt.datetime) -> Change:
    """Retire a resident (moved away, passed away, in care): kept in the register, no
    longer served or called. IllegalTransition if retired already."""
    check_edit(actor, resident.get("grid_unit_id"))
    _refuse_if_retired(resident)
    at = clock.iso(now)
    fields = {"retired": True, "retired_at": at, "retired_reason": reason}
    return _change(resident, RETIRED, fields, differences(resident, fields), actor, now,
                   reason=reason)


def checkins_paused(resident: dict, actor: dict, until: dt.date | None, reason: str,
                    now: dt.datetime) -> Change:
    """Pause the check-in calls (a hospital stay, travel), the plan kept; ``until`` the
    last day without calls, or None until resumed. IllegalTransition without a plan, on a
    paused plan, or with ``until`` in the past."""
    check_edit(actor, resident.get("grid_unit_id"))
    _refuse_if_retired(resident)
    plan = resident.get("checkin_plan")
    if not plan:
        raise IllegalTransition(f"resident {resident['_id']} has no check-in plan to pause")
    if plan.get("paused"):
        raise IllegalTransition(f"the check-ins of resident {resident['_id']} are paused already")
    if until is not None and until < today(now):
        raise IllegalTransition(f"cannot pause check-ins until {until}, a day already past")
    fields = {"checkin_plan": {**plan, "paused": True,
                               "paused_until": until.isoformat() if until else None}}
    return _change(resident, CHECKINS_PAUSED, fields, differences(resident, fields), actor, now,
                   reason=reason)


def checkins_resumed(resident: dict, actor: dict, reason: str | None,
                     now: dt.datetime) -> Change:
    """Resume paused check-in calls on the plan as it was. IllegalTransition when they
    are not paused."""
    check_edit(actor, resident.get("grid_unit_id"))
    _refuse_if_retired(resident)
    plan = resident.get("checkin_plan")
    if not plan or not plan.get("paused"):
        raise IllegalTransition(f"the check-ins of resident {resident['_id']} are not paused")
    fields = {"checkin_plan": {**plan, "paused": False, "paused_until": None}}
    return _change(resident, CHECKINS_RESUMED, fields, differences(resident, fields), actor,
                   now, reason=reason)


def _refuse_if_retired(resident: dict) -> None:
    if resident.get("retired"):
        raise IllegalTransition(f"resident {resident['_id']} is retired from the register")


def _change(resident: dict, action: str, fields: dict, what: dict, actor: dict,
            now: dt.datetime, *, reason: str | None = None,
            batch_id: str | None = None) -> Change:
    at = clock.iso(now)
    version = resident["version"] + 1
    fields = {**fields, "changed_at": at}
    after = {**resident, **fields, "version": version}
    return Change(resident["_id"], resident["version"], fields,
                  _history(action, actor, at, what, reason, batch_id, version),
                  _event(action, after, actor))


def _history(action: str, actor: dict, at: str, changes: dict, reason: str | None,
             batch_id: str | None, version: int) -> dict:
    return {"at": at, "action": action, "actor": actor, "changes": changes, "reason": reason,
            "batch_id": batch_id, "version": version}


def _event(action: str, resident: dict, actor: dict) -> dict:
    return new_event("register", "register_changed",
                     event_data("register_changed", change=EVENT_CHANGE[action],
                                resident=card_of(resident), version=resident["version"]),
                     actor=actor)


# --- what callers see --------------------------------------------------------------------


def card_of(resident: dict) -> dict:
    """The card other services act on (ResidentCardSchema): what register_changed carries."""
    return {name: resident.get(name) for name in CARD_FIELDS}


def checkin_status(plan: dict | None, day: dt.date) -> str | None:
    """none (no plan), active, or paused; a pause whose last day has passed is over."""
    if not plan:
        return None
    until = plan.get("paused_until")
    if plan.get("paused") and (until is None or dt.date.fromisoformat(until) >= day):
        return "paused"
    return "active"


def as_row(resident: dict, day: dt.date) -> dict:
    """A resident as find_residents lists them: who, where, age, status, groups, unit,
    plan; no health notes, contacts or history (those are on the card, whose every read is
    recorded)."""
    return {
        "resident_id": resident["_id"], "name": resident["name"],
        "phones": resident.get("phones") or [], "address": resident.get("address"),
        "birth_date": resident.get("birth_date"),
        "age": age_on(resident.get("birth_date"), day),
        "birthday": births.month_day(resident.get("birth_date")),
        "living_status": resident.get("living_status"), "groups": resident.get("groups") or [],
        "grid_unit_id": resident.get("grid_unit_id"), "grid_worker": resident.get("grid_worker"),
        "checkin_plan": resident.get("checkin_plan"),
        "checkin_status": checkin_status(resident.get("checkin_plan"), day),
        "retired": bool(resident.get("retired")), "version": resident["version"],
    }


CARD_VIEWS_SHOWN = 20


def as_card(resident: dict, day: dt.date) -> dict:
    """A resident's whole card: the row's fields plus health notes, hobbies, emergency
    contacts, consent notes, retirement, times, the history (oldest first) and the latest
    views of the card (newest first) with how many there have been."""
    views = resident.get("views") or []
    return {
        **as_row(resident, day),
        "health_notes": resident.get("health_notes"), "hobbies": resident.get("hobbies"),
        "emergency_contacts": resident.get("emergency_contacts") or [],
        "consent_notes": resident.get("consent_notes"),
        "retired_at": resident.get("retired_at"), "retired_reason": resident.get("retired_reason"),
        "created_at": resident.get("created_at"), "changed_at": resident.get("changed_at"),
        "history": resident.get("history") or [],
        "views": list(reversed(views[-CARD_VIEWS_SHOWN:])),
        "view_count": resident.get("view_count", len(views)),
    }


def view(actor: dict, now: dt.datetime, via: str) -> dict:
    """A read of a card, as its ``views`` keep it: who, when, and how (card, phone_lookup)."""
    return {"at": clock.iso(now), "actor": actor, "via": via}


def words(configured_groups: dict | None) -> dict[str, Any]:
    """The register's vocabulary for a console: living statuses and groups in Chinese."""
    return {"living_statuses": dict(LIVING_STATUS_WORDS),
            "groups": group_words(configured_groups)}
