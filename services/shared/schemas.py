"""Payload schemas and vocabulary shared by every service (marshmallow).

The names here are the contract: the same word is used in events, storage, the
console and the README.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import phonenumbers
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from services.shared import births
from services.shared.errors import InvalidRequest

CHANNELS = ("hotline", "wechat", "app", "web", "walk_in")
# Tickets the system opens itself, never asked for by a caller: a missed check-in.
SYSTEM_CHANNELS = ("checkin",)
KINDS = ("consult", "help", "complaint", "report", "suggestion", "praise")
CATEGORIES = (
    "home_repair", "street_light", "building_safety", "elevator", "veteran_services",
    "elderly_meals", "errands", "welfare_check", "sanitation", "parking", "other",
)
URGENCIES = ("normal", "urgent")
PRIORITIES = ("normal", "high")
# The roles of the people who sign in (accounts gives each account one of them); of the
# programs that call the services under an account of their own, with an API token (the
# call centre's software taking calls, the automated callback workers); and the system
# itself, which acts on events and timers inside a service.
PEOPLE_ROLES = ("agent", "dispatcher", "unit_staff", "supervisor", "admin")
CALL_CENTRE, CALLBACK_WORKER = "call_centre", "callback_worker"
MACHINE_ROLES = (CALL_CENTRE, CALLBACK_WORKER)
ACCOUNT_ROLES = PEOPLE_ROLES + MACHINE_ROLES
ROLES = ACCOUNT_ROLES + ("system",)
CENTRE_ROLES = ("dispatcher", "supervisor", "admin")  # the dispatch centre (派单中心)
SUPERVISOR_ROLES = ("supervisor", "admin")            # supervisors (督办)
CALLBACK_OUTCOMES = ("satisfied", "basically_satisfied", "unsatisfied", "unreachable")
PLACE_LEVELS = ("district", "subdistrict", "community", "estate", "building")

# The dispatch centre is the unit of dispatch's directory with this id (and kind): pending
# tickets wait there, and its people are dispatchers, supervisors and admins.
CENTRE_ID = "centre"

# Free text is bounded so that one request cannot fill a store or a queue.
SHORT_TEXT = validate.Length(min=1, max=100)
LONG_TEXT = validate.Length(min=1, max=4000)
# A search's bounds, as the ledger keeps them and the console's API says them: a page of at
# most SEARCH_MAX; at most SEARCH_OFFSET_MAX passed over (a list newest first reads the keys
# of every ticket before its page, so a page further on is found by narrowing instead);
# at most SEARCH_UNITS_MAX units named.
SEARCH_MAX = 200
SEARCH_OFFSET_MAX = 10_000
SEARCH_UNITS_MAX = 50
# A unit of the directory, as dispatch and the accounts that name units spell its id:
# ASCII letters and digits, Chinese characters (殷行网格), '.', '_', '-'. Spelled out, not
# \w: the API's pattern must mean to a client (ECMA's \w is ASCII) what it means here.
UNIT_ID = [validate.Length(min=1, max=64),
           validate.Regexp(r"^[A-Za-z0-9_.\u3400-\u4dbf\u4e00-\u9fff-]+$",
                           error="Letters, digits, Chinese characters, '.', '_' and '-' "
                                 "only.")]


# A line break as people type it: a browser sends a textarea's Enter as CRLF, some old
# programs (and Excel cells written by them) a lone CR; the system keeps LF.
_LINE_BREAK = re.compile(r"\r\n?")


def typed_text(value: str) -> str:
    """Free text as the system keeps it, however it was typed: surrounding space stripped,
    every line break (CRLF, CR) as LF. ValidationError "Control characters are not
    allowed." for any other control character but tab, "Not valid Unicode text." for a
    lone surrogate. Every schema reads free text through here (the Text field)."""
    text = _LINE_BREAK.sub("\n", value)
    # before stripping: the API's pattern (TEXT) refuses them at either end too; C1
    # controls (U+0080-U+009F, NEL among them) and DEL too, which no keyboard types
    if any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in text):
        raise ValidationError("Control characters are not allowed.")
    unicode_text(text)
    return text.strip()


def unicode_text(value: str) -> None:
    """Refuse a lone surrogate ("\\ud800"): JSON can carry one, but neither UTF-8 nor a
    store (BSON) can hold it, so it would fail far from the caller."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Not valid Unicode text.") from None


# Free text as the API's description says it: no control character but tab and the line
# ends (CR and CRLF are read as LF); a field that must not be empty needs one character
# other than space. The space is spelled out, not written \s: a client's regex dialect
# (ECMA's \s has U+FEFF, not U+0085) would otherwise disagree with what str.strip takes.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_SPACE = r"\t\n\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT_CHAR = rf"[^{_CONTROL}]"
TEXT = f"^{TEXT_CHAR}*$"
VISIBLE_TEXT = rf"^{TEXT_CHAR}*[^{_CONTROL}{_SPACE}]{TEXT_CHAR}*$"
# the space around text that Text strips and lets through (for a pattern of its own)
TEXT_SPACE = rf"[{_SPACE}]"


class Text(fields.String):
    """A string field read as people type it (typed_text): line breaks as LF, other
    control characters refused, surrounding space stripped. Its pattern in the API's
    description says the same (TEXT, VISIBLE_TEXT where it must not be empty)."""

    def __init__(self, *args: Any, metadata: dict | None = None, **kwargs: Any) -> None:
        super().__init__(*args, metadata=metadata, **kwargs)
        if "pattern" not in self.metadata and not any(
                isinstance(rule, validate.Regexp) for rule in self.validators):
            needs_text = any(isinstance(rule, validate.Length) and (rule.min or 0) > 0
                             for rule in self.validators)
            self.metadata = {**self.metadata, "pattern": VISIBLE_TEXT if needs_text else TEXT}

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        return typed_text(super()._deserialize(value, attr, data, **kwargs))


class IsoDate(fields.Field):
    """A calendar date as ISO text (``1927-03-05``), loaded as that text."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError as exc:
            raise ValidationError("Not a date (YYYY-MM-DD).") from exc


class BirthDate(fields.Field):
    """A birth date at the precision known (services/shared/births.py): ``1927-03-05``,
    or ``1927-03`` / ``1927`` when only the month or the year is known; loaded as that
    text."""

    def __init__(self, *, metadata: dict | None = None, **kwargs):
        super().__init__(metadata={"type": "string", "pattern": births.WRITTEN.pattern,
                                   "description": births.FORMATS, "example": "1941-05-02",
                                   **(metadata or {})}, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        refusal = f"Not a birth date ({births.FORMATS})."
        if not isinstance(value, str):
            raise ValidationError(refusal)
        try:
            births.earliest(value.strip())
        except ValueError as exc:
            raise ValidationError(refusal) from exc
        return value.strip()


def Decision(**kwargs) -> fields.Boolean:  # noqa: N802 - reads as a field type
    """true or false, and nothing that merely looks like one."""
    return fields.Boolean(truthy={True}, falsy={False}, **kwargs)


def normalise_phone(text: Any) -> str:
    """A Chinese phone number, mobile or landline, however written, in E.164
    (+8613812345678); ValueError if it is not a valid number."""
    text = str(text).strip()
    if len(text) > 32:
        raise ValueError("Not a phone number.")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Phone(fields.String):
    """A phone number field, normalised to E.164 (see normalise_phone)."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        try:
            return normalise_phone(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class StrictSchema(Schema):
    """Refuses fields it does not know, so a typo is an error rather than silently lost."""

    class Meta:
        unknown = RAISE


class AddressSchema(StrictSchema):
    district = Text(required=True, validate=SHORT_TEXT)
    subdistrict = Text(load_default=None, validate=SHORT_TEXT)
    community = Text(load_default=None, validate=SHORT_TEXT)
    estate = Text(load_default=None, validate=SHORT_TEXT)
    building = Text(load_default=None, validate=SHORT_TEXT)
    room = Text(load_default=None, validate=SHORT_TEXT)
    detail = Text(load_default=None, validate=validate.Length(max=500))


class CallerSchema(StrictSchema):
    name = Text(load_default=None, validate=SHORT_TEXT)
    phone = Phone(load_default=None)
    anonymous = fields.Boolean(load_default=False)


class ActorSchema(StrictSchema):
    """Who takes a step: a person with a role, scoped to a unit where the role needs one."""

    id = Text(required=True, validate=SHORT_TEXT)
    name = Text(required=True, validate=SHORT_TEXT)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    unit_id = Text(load_default=None, validate=SHORT_TEXT)
    # The district the actor serves (a unit's, or an account's); none or absent: every
    # district (services/shared/access.py).
    district = Text(allow_none=True, validate=SHORT_TEXT)
    # the session the statement came from, and whether it may only read (statements.py)
    session = Text(allow_none=True, validate=SHORT_TEXT)
    read_only = fields.Boolean()


SYSTEM_ACTOR: dict[str, Any] = {"id": "system", "name": "系统", "role": "system",
                                "unit_id": None, "district": None}


def load(schema: Schema, payload: Any, *, partial: bool | Sequence[str] = False) -> dict:
    """Validate ``payload`` with ``schema``; raise InvalidRequest listing every field error."""
    if not isinstance(payload, dict):
        raise InvalidRequest({"_schema": ["A JSON object is required."]})
    try:
        return schema.load(payload, partial=partial)
    except ValidationError as exc:
        raise InvalidRequest(exc.messages) from None




def load_actor(actor: Any) -> dict:
    """The actor of an RPC, as the statement accounts signed says (services/shared/
    statements.py): {id, name, role, unit_id} and, where set, district, session and
    read_only. NotPermitted for anything else: a forged, expired or withdrawn statement,
    or an actor the caller made up."""
    from services.shared import statements  # statements reads no schema: no cycle

    return statements.read(actor)


__all__ = [
    "CHANNELS", "SYSTEM_CHANNELS", "KINDS", "CATEGORIES", "URGENCIES", "PRIORITIES", "ROLES",
    "PEOPLE_ROLES", "MACHINE_ROLES", "ACCOUNT_ROLES", "CALL_CENTRE", "CALLBACK_WORKER",
    "CENTRE_ID", "UNIT_ID", "Decision",
    "CENTRE_ROLES", "SUPERVISOR_ROLES",
    "CALLBACK_OUTCOMES", "PLACE_LEVELS", "unicode_text", "Text", "Phone", "normalise_phone",
    "typed_text",
    "StrictSchema", "AddressSchema", "CallerSchema", "ActorSchema", "SYSTEM_ACTOR", "load",
    "load_actor", "EXCLUDE", "IsoDate", "BirthDate",
]
