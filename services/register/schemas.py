"""What a caller of the register RPCs sends (contract version 1): a resident, a change,
and the arguments of each RPC, validated by marshmallow before anything is read or written.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from services.register.residents import ADDRESS_LEVELS, LIST_FIELDS
from services.shared import births, clock
from services.shared.payloads import LIVING_STATUSES
from services.shared.schemas import (
    SHORT_TEXT,
    AddressSchema,
    BirthDate,
    IsoDate,
    Phone,
    StrictSchema,
    Text,
)

NOTES = validate.Length(max=2000)
MAX_PHONES = 5
MAX_CONTACTS = 5
EARLIEST_BIRTH = dt.date(1880, 1, 1)
FIND_DEFAULT = 1000
FIND_MAX = 5000
IMPORT_MAX_BYTES = 10 * 1024 * 1024  # a register of some thousands of residents fits easily
BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


class OptionalText(Text):
    """Text that may be left out, null or blank: all three mean "none"."""

    def __init__(self, **kwargs):
        super().__init__(load_default=None, allow_none=True, **kwargs)

    # a field may load to another type than String's str (here: None for blank)
    def _deserialize(  # type: ignore[override]
            self, value: Any, attr, data, **kwargs) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        return text or None

    def _validate(self, value: Any) -> None:
        if value is not None:  # blank became none: nothing left to check
            super()._validate(value)


def _lived(text: str | None) -> None:
    """A birth date must be a day already lived, and not beyond anyone's age (a year or a
    month: its first day)."""
    if text is None:
        return
    day = births.earliest(text)
    if day > clock.local(clock.now()).date():
        raise ValidationError("A birth date cannot be in the future.")
    if day < EARLIEST_BIRTH:
        raise ValidationError(f"A birth date before {EARLIEST_BIRTH.year} is not credible.")


class TimeOfDay(fields.String):
    """A time of day in Shanghai, "HH:MM" (9:30 is loaded as 09:30)."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        match = TIME_OF_DAY.match(super()._deserialize(value, attr, data, **kwargs).strip())
        if not match:
            raise ValidationError("Not a time of day (HH:MM).")
        return f"{int(match.group(1)):02d}:{match.group(2)}"


class EmergencyContactInput(StrictSchema):
    name = Text(required=True, validate=SHORT_TEXT)
    relation = OptionalText(validate=validate.Length(max=20))
    phone = Phone(required=True)


class CheckinPlanInput(StrictSchema):
    """When to phone the resident: ISO weekdays (1 = Monday … 7 = Sunday) and times of day.
    Pausing is a step of its own (pause_checkins), so a plan given here keeps its pause."""

    days = fields.List(fields.Integer(strict=True, validate=validate.Range(1, 7)),
                       required=True, validate=validate.Length(min=1))
    times = fields.List(TimeOfDay(), required=True, validate=validate.Length(min=1, max=12))

    @post_load
    def _in_order(self, data: dict, **kwargs) -> dict:
        return {"days": sorted(set(data["days"])), "times": sorted(set(data["times"]))}


class ResidentSchema(StrictSchema):
    """A resident of the register. ``known_groups`` are the group codes the service knows
    (the built-in five and REGISTER.groups)."""

    name = Text(required=True, validate=SHORT_TEXT)
    phones = fields.List(Phone(), load_default=list, allow_none=True,
                         validate=validate.Length(max=MAX_PHONES))
    address = fields.Nested(AddressSchema, required=True)
    birth_date = BirthDate(load_default=None, allow_none=True, validate=_lived)
    living_status = fields.String(load_default=None, allow_none=True,
                                  validate=validate.OneOf(LIVING_STATUSES))
    groups = fields.List(fields.String(), load_default=list, allow_none=True)
    health_notes = OptionalText(validate=NOTES)
    hobbies = OptionalText(validate=validate.Length(max=500))
    emergency_contacts = fields.List(fields.Nested(EmergencyContactInput), load_default=list,
                                     allow_none=True, validate=validate.Length(max=MAX_CONTACTS))
    grid_unit_id = OptionalText(validate=SHORT_TEXT)
    grid_worker = OptionalText(validate=SHORT_TEXT)
    checkin_plan = fields.Nested(CheckinPlanInput, load_default=None, allow_none=True)
    consent_notes = OptionalText(validate=NOTES)

    def __init__(self, known_groups: dict[str, str], **kwargs):
        super().__init__(**kwargs)
        self.known_groups = known_groups

    @validates_schema
    def _check(self, data: dict, **kwargs) -> None:
        unknown = [group for group in data.get("groups") or [] if group not in self.known_groups]
        if unknown:
            raise ValidationError(f"Unknown group {', '.join(unknown)}; known: "
                                  f"{', '.join(self.known_groups)}.", "groups")

    @post_load
    def _tidy(self, data: dict, **kwargs) -> dict:
        """Phones and groups once each (groups in the register's order): the same resident
        written twice reads the same."""
        for name in LIST_FIELDS:
            if name in data and data[name] is None:
                data[name] = []  # null and empty say the same: none
        if data.get("phones") is not None:
            data["phones"] = list(dict.fromkeys(data["phones"]))
        if data.get("groups") is not None:
            data["groups"] = [code for code in self.known_groups if code in data["groups"]]
        if data.get("address") is not None:
            data["address"] = {level: data["address"].get(level)
                               for level in AddressSchema._declared_fields}
        return data


class PlacePath(Text):
    """A place as directory paths name it, "杨浦区/殷行街道/开鲁新村", from the district down
    at most to the room; loaded as {level: name}."""

    # a field may load to another type than String's str (here: {level: name})
    def _deserialize(  # type: ignore[override]
            self, value: Any, attr, data, **kwargs) -> dict:
        parts = [part.strip() for part in super()._deserialize(value, attr, data, **kwargs)
                 .strip().strip("/").split("/")]
        if not parts or not all(parts) or len(parts) > len(ADDRESS_LEVELS):
            raise ValidationError("A place is a path from the district down, "
                                  "e.g. 杨浦区/殷行街道/开鲁新村.")
        return dict(zip(ADDRESS_LEVELS, parts, strict=False))  # from the district down


class ResidentIdArgs(StrictSchema):
    resident_id = Text(required=True, validate=SHORT_TEXT)


class CardViewsArgs(ResidentIdArgs):
    limit = fields.Integer(load_default=200, strict=True, validate=validate.Range(1, 1000))


class ChangeArgs(ResidentIdArgs):
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class RetireArgs(ResidentIdArgs):
    reason = Text(required=True, validate=validate.Length(min=1, max=500))


class PauseArgs(ResidentIdArgs):
    until = IsoDate(load_default=None, allow_none=True)
    reason = Text(required=True, validate=validate.Length(min=1, max=500))


class ResumeArgs(ResidentIdArgs):
    reason = OptionalText(validate=validate.Length(max=500))


class FilterArgs(StrictSchema):
    """Which residents: every filter given must hold."""

    place = PlacePath(load_default=None, allow_none=True)
    living_status = fields.String(load_default=None, allow_none=True,
                                  validate=validate.OneOf(LIVING_STATUSES))
    group = Text(load_default=None, allow_none=True, validate=SHORT_TEXT)
    min_age = fields.Integer(load_default=None, allow_none=True, strict=True,
                             validate=validate.Range(0, 150))
    grid_unit_id = OptionalText(validate=SHORT_TEXT)


class FindArgs(FilterArgs):
    phone = Phone(load_default=None, allow_none=True)
    include_retired = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=FIND_DEFAULT, strict=True,
                           validate=validate.Range(1, FIND_MAX))


class BirthdaysArgs(StrictSchema):
    grid_unit_id = Text(required=True, validate=SHORT_TEXT)
    start = IsoDate(load_default=None, allow_none=True)  # default: today in Shanghai
    days = fields.Integer(load_default=7, strict=True, validate=validate.Range(1, 366))


def _base64_text(text: str) -> None:
    if len(text) > IMPORT_MAX_BYTES * 4 // 3 + 4:
        raise ValidationError(f"The file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB.")


class ImportArgs(StrictSchema):
    """A register file to import: .xlsx or .csv, base64. ``rows`` [first, last] limits the
    import to those sheet rows (the whole file is still read, so duplicates across it are
    found); ``batch_id`` names the import in each history entry (one is made if not given)."""

    content_base64 = fields.String(required=True, validate=_base64_text)
    filename = Text(required=True, validate=validate.Length(min=1, max=255))
    dry_run = fields.Boolean(load_default=True)
    rows = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1)),
                       load_default=None, allow_none=True, validate=validate.Length(equal=2))
    batch_id = fields.String(load_default=None, allow_none=True,
                             validate=validate.Regexp(BATCH_ID))

    @validates_schema
    def _check(self, data: dict, **kwargs) -> None:
        rows = data.get("rows")
        if rows and rows[0] > rows[1]:
            raise ValidationError("rows is [first, last], first not after last.", "rows")
