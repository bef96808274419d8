"""Importing a register file: deciding, row by row, what each row would do to the register
before anything is written: add a resident, change one, leave one unchanged, or be refused,
with the reasons in Chinese; a row that is no resident (blank, a footer, a note) is
skipped, with its reason too.

A row is the register's resident when it names them by 台账编号, or has their name and
one of their phones, or their name and their address down to the room. Two rows naming
one person are a mistake in the file: the later one is refused. Plain functions: the
service reads the residents the rows could be and writes what the plan says.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError

from services.register import residents
from services.register.schemas import ResidentSchema
from services.register.sheets import HEADERS, Sheet, SheetRow
from services.shared import access
from services.shared.errors import NotPermitted

ADD, CHANGE, UNCHANGED, REFUSED, SKIPPED = "add", "change", "unchanged", "refused", "skipped"
ACTIONS = (ADD, CHANGE, UNCHANGED, REFUSED, SKIPPED)
IMPORTERS = ("admin", "unit_staff")
# A resident's field as the committee's columns name it, for reasons and changed columns.
FIELD_WORDS = {
    **{key: HEADERS[key] for key in ("name", "phones", "birth_date", "living_status", "groups",
                                     "health_notes", "hobbies", "grid_unit_id", "grid_worker",
                                     "checkin_plan", "consent_notes")},
    "address": "地址", "emergency_contacts": "紧急联系人",
}
MESSAGE_WORDS = {"Missing data for required field.": "必填",
                 "Field may not be null.": "必填"}


@dataclass
class RowPlan:
    row: int
    name: str | None
    action: str = REFUSED
    reasons: list[str] = field(default_factory=list)
    resident_id: str | None = None
    fields: dict | None = None   # add: the resident; change: the fields the row gives
    version: int | None = None   # change: the resident's version the plan was made on
    changes: dict | None = None  # change: {field: {from, to}}

    def refuse(self, *reasons: str) -> RowPlan:
        self.action = REFUSED
        self.reasons.extend(reasons)
        return self

    def as_report(self) -> dict:
        return {"row": self.row, "name": self.name, "action": self.action,
                "reasons": list(self.reasons), "resident_id": self.resident_id,
                "changes": self.changes or {},
                "changed_columns": [FIELD_WORDS.get(name, name) for name in self.changes or {}]}


def new_batch_id(now: dt.datetime) -> str:
    """An import's id, recorded in each history entry it makes: imp-20261123-8f3a2c1d."""
    return f"imp-{residents.today(now):%Y%m%d}-{uuid.uuid4().hex[:8]}"


def lookups(sheet: Sheet) -> tuple[list[str], list[str], list[str]]:
    """The names, phones and 台账编号 the rows give: the service reads the residents who
    could be them."""
    names: set[str] = set()
    phones: set[str] = set()
    ids: set[str] = set()
    for row in sheet.rows:
        if row.fields.get("name"):
            names.add(row.fields["name"])
        phones.update(row.fields.get("phones") or ())
        if row.resident_id:
            ids.add(row.resident_id)
    return sorted(names), sorted(phones), sorted(ids)


def plan(sheet: Sheet, existing: list[dict], actor: dict,
         known_groups: dict[str, str]) -> list[RowPlan]:
    """What each row of the sheet would do, in the sheet's order, the rows skipped among
    them. ``existing``: the residents the rows could be (see lookups)."""
    by_id = {resident["_id"]: resident for resident in existing}
    by_key: dict[str, list[dict]] = {}
    for resident in existing:
        for key in residents.match_keys(resident):
            by_key.setdefault(key, []).append(resident)
    seen: dict[str, int] = {}  # identifying key → the first row that gave it
    plans = []
    for row in sheet.rows:
        decision = RowPlan(row.number, row.fields.get("name"))
        keys = _row_keys(row)
        earlier = sorted({seen[key] for key in keys if key in seen})
        for key in keys:
            seen.setdefault(key, row.number)
        if earlier:
            decision.refuse(f"与第{earlier[0]}行重复 (同一人只填一行)")
        elif row.reasons:
            decision.refuse(*row.reasons)
        else:
            _decide(decision, row, by_id, by_key, actor, known_groups)
        plans.append(decision)
    plans.extend(RowPlan(skipped.number, None, SKIPPED, [skipped.reason])
                 for skipped in sheet.skipped)
    return sorted(plans, key=lambda decision: decision.row)


def _row_keys(row: SheetRow) -> set[str]:
    keys = residents.match_keys(row.fields)
    if row.resident_id:
        keys.add(f"id|{row.resident_id}")
    # rows that are the same in every cell are one person, even without a phone or a room
    keys.add("row|" + json.dumps(row.fields, sort_keys=True, ensure_ascii=False, default=str))
    return keys


def _decide(decision: RowPlan, row: SheetRow, by_id: dict, by_key: dict, actor: dict,
            known_groups: dict[str, str]) -> None:
    resident, reason = _match(row, by_id, by_key)
    if reason:
        decision.refuse(reason)
        return
    if resident is None:
        _plan_add(decision, row, actor, known_groups)
    else:
        _plan_change(decision, row, resident, actor, known_groups)


def _match(row: SheetRow, by_id: dict, by_key: dict) -> tuple[dict | None, str | None]:
    """The register's resident the row names, or None for a new one; or why it cannot say."""
    if row.resident_id:
        resident = by_id.get(row.resident_id)
        if resident is None:
            return None, f"台账编号不存在: {row.resident_id}"
    else:
        found = {resident["_id"]: resident for key in residents.match_keys(row.fields)
                 for resident in by_key.get(key, ())}
        active = [resident for resident in found.values() if not resident.get("retired")]
        if len(active) > 1:
            return None, (f"与台账中多位人员相符 ({'、'.join(sorted(r['_id'] for r in active))})"
                          f"，请填写台账编号")
        if not active and found:
            resident = next(iter(found.values()))
        else:
            resident = active[0] if active else None
    if resident is not None and resident.get("retired"):
        return None, f"该人员已在台账中注销 ({resident['_id']})"
    return resident, None


def _plan_add(decision: RowPlan, row: SheetRow, actor: dict,
              known_groups: dict[str, str]) -> None:
    fields = dict(row.fields)
    if not (fields.get("address") or {}).get("district"):
        decision.refuse("缺少区 (地址至少填写到区)")
        return
    if not fields.get("grid_unit_id") and actor["role"] == "unit_staff":
        fields["grid_unit_id"] = actor["unit_id"]  # a unit's sheet is its own register
    loaded = _load(decision, fields, known_groups, partial=False)
    if loaded is None:
        return
    if not _may_edit(decision, actor, loaded.get("grid_unit_id")):
        return
    decision.action, decision.fields = ADD, loaded


def _plan_change(decision: RowPlan, row: SheetRow, resident: dict, actor: dict,
                 known_groups: dict[str, str]) -> None:
    decision.resident_id, decision.version = resident["_id"], resident["version"]
    fields = dict(row.fields)
    if "address" in fields:  # the levels the sheet has over the register's (detail kept)
        fields["address"] = {**(resident.get("address") or {}), **fields["address"]}
    if not fields.get("grid_unit_id"):
        fields.pop("grid_unit_id", None)  # a blank 网格 keeps the unit that answers for them
    if not access.may(actor, "health_notes", residents.facts(resident)):
        # their export had no health notes to give back: keep what the register holds
        fields.pop("health_notes", None)
    if not _may_edit(decision, actor, resident.get("grid_unit_id")):
        return
    loaded = _load(decision, fields, known_groups, partial=True)
    if loaded is None:
        return
    if "grid_unit_id" in loaded and not _may_edit(decision, actor, loaded["grid_unit_id"]):
        return
    changes = residents.differences(resident, residents.prepared(resident, loaded))
    decision.fields = loaded
    decision.action = CHANGE if changes else UNCHANGED
    decision.changes = changes or None


def _may_edit(decision: RowPlan, actor: dict, grid_unit_id: str | None) -> bool:
    try:
        residents.check_edit(actor, grid_unit_id)
    except NotPermitted:
        decision.refuse(f"网格 {grid_unit_id or '(未填)'} 不属于本单位，无权导入")
        return False
    return True


def _load(decision: RowPlan, fields: dict, known_groups: dict[str, str], *,
          partial: bool) -> dict | None:
    try:
        return ResidentSchema(known_groups=known_groups).load(
            fields, partial=residents.RESIDENT_FIELDS if partial else None)
    except ValidationError as exc:
        decision.refuse(*_reasons(exc.messages))
        return None


def _reasons(messages: Any, path: tuple = ()) -> list[str]:
    """marshmallow's messages as "列名: 原因" lines, named by the deepest column known
    (address.district → 区, emergency_contacts.0.phone → 紧急联系人)."""
    if isinstance(messages, dict):
        return [reason for key, inner in messages.items()
                for reason in _reasons(inner, path + (key,))]
    texts = messages if isinstance(messages, list) else [messages]
    if not all(isinstance(text, str) for text in texts):
        return [reason for inner in texts for reason in _reasons(inner, path)]
    words = [HEADERS.get(key) or FIELD_WORDS.get(key) for key in reversed(path)
             if isinstance(key, str)]
    word = next(filter(None, words), "/".join(map(str, path)))
    return [f"{word}: {MESSAGE_WORDS.get(text, text)}" for text in texts]


def report(plans: list[RowPlan], sheet: Sheet, filename: str, dry_run: bool,
           batch_id: str | None) -> dict:
    """The import's answer: each row's action and reasons, and how many of each."""
    counts = {action: 0 for action in ACTIONS}
    for decision in plans:
        counts[decision.action] += 1
    return {"filename": filename, "dry_run": dry_run, "batch_id": batch_id,
            "columns": sheet.columns, "ignored_columns": sheet.ignored, "counts": counts,
            "rows": [decision.as_report() for decision in plans]}
