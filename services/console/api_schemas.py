"""What the JSON API takes and gives (marshmallow; flask-smorest writes them into
/api/openapi.json). What the services answer is described by the shared contract's own
schemas (services/shared/answers/, the directory's services/shared/directory.py), as
are the requests they define (a new ticket; a new user and the changes to one:
services/shared/accounts.py); what the console itself takes and composes is here.

Times are ISO 8601 text in UTC (``2026-11-23T02:00:00.000Z``), as the services give them.
"""
from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate

from services.console import bulk
from services.shared import clock
from services.shared.accounts import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS
from services.shared.answers.dispatch import TicketStatusSchema
from services.shared.answers.ledger import GROUPS, INTERVALS, TimelineEntrySchema
from services.shared.evidence import MAX_FILES
from services.shared.payloads import DEADLINE_NAMES as DEADLINES
from services.shared.payloads import LIVING_STATUSES, TicketSchema
from services.shared.schemas import (
    CATEGORIES,
    LONG_TEXT,
    SEARCH_MAX,
    SEARCH_OFFSET_MAX,
    SEARCH_UNITS_MAX,
    SHORT_TEXT,
    UNIT_ID,
    AddressSchema,
    BirthDate,
    StrictSchema,
    Text,
)
from services.shared.states import SEARCH_STATES, STATES


def Time(**kwargs) -> fields.String:  # noqa: N802 - reads as a field type
    """A time the services gave, passed on as they wrote it (ISO 8601, UTC)."""
    return fields.String(metadata={"format": "date-time"}, **kwargs)


# A time as IsoTime reads it: RFC 3339 in the years 1900 to 8999 (no leap second), so
# that the time in UTC, and a Shanghai day's start in UTC, is a time of four digits too.
ISO_TIME = (r"^\s*(19|[2-8]\d)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3])"
            r":[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)\s*$")


class IsoTime(fields.String):
    """A time a caller sends: ISO 8601 with a zone (``2026-11-25T10:00:00+08:00``; without
    one it is UTC), passed on to the services as UTC text."""

    def __init__(self, metadata: dict | None = None, **kwargs):
        super().__init__(metadata={"format": "date-time", "pattern": ISO_TIME,
                                   **(metadata or {})}, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs) or ""
        try:
            moment = clock.parse_iso(text.strip())
        except (ValueError, OverflowError) as exc:
            raise ValidationError("Not an ISO 8601 time.") from exc
        if not 1900 <= moment.year <= 8999:
            raise ValidationError("A time in the years 1900 to 8999.")
        return clock.iso(moment)


# A day as Day reads it, in the years 1900 to 8999 like ISO_TIME.
DAY = r"^\s*(19|[2-8]\d)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\s*$"


class Day(fields.String):
    """A Shanghai calendar day (``2026-11-23``), or a time at 00:00 Shanghai."""

    def __init__(self, metadata: dict | None = None, **kwargs):
        super().__init__(metadata={"format": "date", "example": "2026-11-23",
                                   "pattern": DAY, **(metadata or {})}, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            moment = clock.local(clock.parse_iso(text))  # the ledger says if it is a whole day
        except (ValueError, OverflowError) as exc:
            raise ValidationError("Not a date (2026-11-23) or an ISO 8601 time.") from exc
        if not 1900 <= moment.year <= 8999:
            raise ValidationError("A day in the years 1900 to 8999.")
        return text


class ErrorSchema(Schema):
    """What every error answers (services/console/errors.py)."""

    code = fields.Integer(required=True, metadata={"description": "the HTTP status"})
    status = fields.String(required=True, metadata={"description": "its name, in Chinese"})
    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), metadata={
        "description": "bad input only: each field's messages (a nested field's, nested; "
                       "``_schema`` for the whole)"})


# Tickets
class TicketFileSchema(Schema):
    """Everything about one ticket: as received (null for readers who see tickets through
    dispatch only: the units handling it), its state now (null until dispatch has it, and
    for praise calls, which are not handled), and its timeline, each as the reader may see
    it (the README's "Who may see what")."""

    ticket = fields.Nested(TicketSchema, allow_none=True, required=True)
    status = fields.Nested(TicketStatusSchema, allow_none=True, required=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema), required=True)
    caller_in_full = fields.Boolean(required=True)


class QueueQuerySchema(Schema):
    state = fields.List(fields.String(validate=validate.OneOf(STATES)),
                        metadata={"description": "only these states (repeat to name several)"})
    mine = fields.Boolean(load_default=False, metadata={
        "description": "only the tickets given to the person the token is issued to (承办人)"})


# Steps on a ticket
def Note(**kwargs) -> Text:  # noqa: N802 - reads as a field type
    return Text(validate=LONG_TEXT, **kwargs)


class ReturnBody(StrictSchema):
    reason = Note(required=True)


class ContactBody(StrictSchema):
    note = Note(load_default=None, allow_none=True)


class ResolveBody(StrictSchema):
    resolution = Note(required=True)


class UnitBody(ContactBody):
    unit_id = Text(required=True, validate=UNIT_ID)


class UrgeBody(StrictSchema):
    note = Note(required=True)


class ExtensionBody(StrictSchema):
    until = IsoTime(required=True)
    reason = Note(required=True)
    deadline = fields.String(load_default="resolve", validate=validate.OneOf(DEADLINES))


class DecisionBody(ContactBody):
    approve = fields.Boolean(required=True, truthy={True}, falsy={False})


class PauseBody(StrictSchema):
    reason = Note(required=True)
    resume_on = IsoTime(load_default=None, allow_none=True)


class AssignBody(StrictSchema):
    username = Text(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "one of the holding unit's active staff (GET /api/units/{unit_id}/"
                       "staff); your own to take it yourself (接单)"})


class ReportBody(StrictSchema):
    report = Note(required=True)


# The ticket's record: internal notes and attachments
class NoteBody(StrictSchema):
    note = Note(required=True, metadata={"description": "an internal note between staff "
                                                        "(内部备注): never published"})


class AttachBody(Schema):
    """A multipart form: one or more files (repeat ``files``)."""

    files = fields.List(Upload(), required=True,
                        validate=validate.Length(min=1, max=MAX_FILES),
                        metadata={"description": "JPEG, PNG or WebP photos, PDF, Word (.docx) "
                                                 "or Excel (.xlsx) documents, at most 10 MB "
                                                 "each"})


class AttachmentQuery(Schema):
    download = fields.Boolean(load_default=False, metadata={
        "description": "true: as a download (Content-Disposition: attachment)"})


# Indicators
class IndicatorsQuerySchema(Schema):
    start = Day(required=True)
    end = Day(required=True, metadata={"description": "excluded"})
    group_by = fields.List(fields.String(validate=validate.OneOf(GROUPS)),
                           metadata={"description": "repeat to group by several, each once",
                                     "uniqueItems": True})
    interval = fields.String(validate=validate.OneOf(INTERVALS))


# Accounts
class TokenRequestSchema(StrictSchema):
    name = Text(required=True, validate=SHORT_TEXT,
                metadata={"description": "what the token is for, e.g. 工单同步脚本"})
    days = fields.Integer(load_default=DEFAULT_TOKEN_DAYS, strict=True,
                          validate=validate.Range(min=1, max=MAX_TOKEN_DAYS),
                          metadata={"description": "how many days it lives (default 90)"})
    read_only = fields.Boolean(load_default=False, metadata={
        "description": "only reads (GET) allowed with it"})


# The register of vulnerable residents (台账): the register service validates every field
# again and keeps the rules (known groups, birth dates, who may touch which unit's residents).
def PhoneText(**kwargs) -> fields.String:  # noqa: N802 - reads as a field type
    """A Chinese phone number, mobile or landline, however written (``138 1234 5678``,
    ``021-6543 2100``, ``+86…``): the register normalises it, and refuses one that
    libphonenumber does not know as a valid number. OpenAPI has no pattern for that: the
    custom format ``phone-cn`` names the rule."""
    return fields.String(validate=validate.Length(min=1, max=32), metadata={
        "format": "phone-cn", "description": "a valid Chinese phone number (mobile or "
                                             "landline), however written"}, **kwargs)


SEARCH_SORTS = ("newest", "oldest", "updated", "number")  # ledger.search's


class TicketSearchQuery(Schema):
    """Which tickets to find, open and closed: every condition given must hold."""

    ticket_no = Text(validate=SHORT_TEXT)
    phone = PhoneText()  # any of the ticket's callers' (repeat calls merged in too)
    name = Text(validate=SHORT_TEXT, metadata={"description": "a caller's name"})
    words = Text(validate=validate.Length(min=1, max=200), metadata={
        "description": "words of the description, all of them (Chinese is cut into words: "
                       "扶手 finds 浴缸扶手)"})
    place = Text(validate=SHORT_TEXT, metadata={
        "description": "a district, subdistrict or community, by name"})
    category = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)),
                           validate=validate.Length(max=len(CATEGORIES)),
                           metadata={"description": "any of these (repeat to name several)"})
    unit_id = fields.List(fields.String(validate=UNIT_ID),
                          validate=validate.Length(max=SEARCH_UNITS_MAX),
                          metadata={"description": "led by any of these units"})
    state = fields.List(fields.String(validate=validate.OneOf(SEARCH_STATES)),
                        validate=validate.Length(max=len(SEARCH_STATES)),
                        metadata={"description": "in any of these states"})
    start = IsoTime(metadata={"description": "received at or after"})
    end = IsoTime(metadata={"description": "received before"})
    sort = fields.String(load_default="newest", validate=validate.OneOf(SEARCH_SORTS),
                         metadata={"description": "newest or oldest received first, the "
                                                  "latest step first, or by number"})
    offset = fields.Integer(load_default=0, validate=validate.Range(0, SEARCH_OFFSET_MAX),
                            metadata={"description": "tickets passed over (at most 10,000: "
                                                     "narrow the conditions to reach further)"})
    limit = fields.Integer(load_default=20, validate=validate.Range(0, SEARCH_MAX),
                           metadata={"description": "0: the number found alone"})


def GroupCode(**kwargs) -> fields.String:  # noqa: N802 - reads as a field type
    """One of the register's groups: the five every register has and those its
    configuration adds (GET /api/register's words on the pages), so no fixed enum."""
    return fields.String(validate=SHORT_TEXT, metadata={
        "format": "register-group", "description": "a group the register knows: "
        "retired_cadre, low_income, childless, veteran, disabled and those configured"},
        **kwargs)


# "9:30" is read as 09:30 (services/register/schemas.py TimeOfDay)
TIME_OF_DAY = validate.Regexp(r"^\s*([01]?\d|2[0-3])[:：][0-5]\d\s*$",
                              error="Not a time of day (HH:MM).")


class EmergencyContactBody(StrictSchema):
    name = Text(required=True, validate=SHORT_TEXT)
    relation = Text(allow_none=True, validate=validate.Length(max=20))
    phone = PhoneText(required=True)


class CheckinPlanBody(StrictSchema):
    days = fields.List(fields.Integer(strict=True, validate=validate.Range(1, 7)),
                       required=True, validate=validate.Length(min=1),
                       metadata={"description": "ISO weekdays, 1 = Monday … 7 = Sunday"})
    times = fields.List(fields.String(validate=[validate.Length(min=1, max=10), TIME_OF_DAY]),
                        required=True,
                        validate=validate.Length(min=1, max=12),
                        metadata={"description": "times of day in Shanghai, HH:MM"})


def MaybeText(**kwargs) -> Text:  # noqa: N802 - reads as a field type
    return Text(allow_none=True, **kwargs)


class ResidentBody(StrictSchema):
    """A resident (add_resident's fields). Phones in any Chinese way of writing them;
    ``grid_unit_id`` is the unit staff's own unit when left out; ``groups`` among the
    register's (GET /api/register's words: see the pages' forms)."""

    name = Text(required=True, validate=SHORT_TEXT)
    phones = fields.List(PhoneText(), allow_none=True, validate=validate.Length(max=5))
    address = fields.Nested(AddressSchema, required=True)
    birth_date = BirthDate(allow_none=True)
    living_status = fields.String(allow_none=True, validate=validate.OneOf(LIVING_STATUSES))
    groups = fields.List(GroupCode(), allow_none=True)
    health_notes = MaybeText(validate=validate.Length(max=2000))
    hobbies = MaybeText(validate=validate.Length(max=500))
    emergency_contacts = fields.List(fields.Nested(EmergencyContactBody), allow_none=True,
                                     validate=validate.Length(max=5))
    grid_unit_id = MaybeText(validate=SHORT_TEXT)
    grid_worker = MaybeText(validate=SHORT_TEXT)
    checkin_plan = fields.Nested(CheckinPlanBody, allow_none=True)
    consent_notes = MaybeText(validate=validate.Length(max=2000))


class ResidentChangesBody(ResidentBody):
    """Some of a resident's fields (a field given replaces the whole of it), as of the
    card's ``version`` the editor read: a change made since by someone else is a 409."""

    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


RESIDENT_FIELDS = tuple(ResidentBody._declared_fields)


class RetireBody(StrictSchema):
    reason = Text(required=True, validate=validate.Length(min=1, max=500),
                  metadata={"description": "moved away, passed away, in residential care…"})


class PauseCheckinsBody(RetireBody):
    until = fields.Date(load_default=None, allow_none=True,
                        metadata={"description": "the last day without calls; none: until "
                                                 "resumed"})


class ResumeCheckinsBody(StrictSchema):
    reason = MaybeText(load_default=None, validate=validate.Length(max=500))


class RegisterFilterQuery(Schema):
    """Which residents: every filter given must hold. Unit staff always get their own
    unit's; an admin names a unit or gets every unit's."""

    place = Text(validate=validate.Length(min=1, max=200),
                          metadata={"description": "from the district down, e.g. "
                                                   "杨浦区/殷行街道/开鲁新村"})
    living_status = fields.String(validate=validate.OneOf(LIVING_STATUSES))
    group = GroupCode()
    min_age = fields.Integer(validate=validate.Range(0, 150),
                             metadata={"description": "at least this old today"})
    grid_unit_id = fields.String(validate=UNIT_ID)


class RegisterQuery(RegisterFilterQuery):
    phone = PhoneText()
    include_retired = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=1000, validate=validate.Range(1, 5000))


class BirthdaysQuery(Schema):
    grid_unit_id = fields.String(validate=UNIT_ID,
                                 metadata={"description": "unit staff: their own (default)"})
    start = fields.Date(metadata={"description": "default: today in Shanghai"})
    days = fields.Integer(load_default=7, validate=validate.Range(1, 366))


class ImportBody(Schema):
    """A multipart form: the file, and whether to write what it says."""

    file = Upload(required=True, metadata={"description": "the register, .xlsx or .csv "
                                                          "(UTF-8 or GBK), the template's "
                                                          "columns"})
    dry_run = fields.Boolean(load_default=True,
                             metadata={"description": "true (the default): write nothing, "
                                                      "say what would be done"})


class CheckinsQuery(Schema):
    limit = fields.Integer(load_default=30, validate=validate.Range(1, 500))


class CardViewsQuery(Schema):
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


# Pages that keep themselves up to date, and one step on many tickets
SCOPE = r"^(centre|supervision|queue:[A-Za-z0-9._-]{1,64})$"
TICKET_NO = r"^[A-Za-z0-9._-]{1,40}$"


class ChangesQuerySchema(Schema):
    scope = fields.String(required=True, validate=validate.Regexp(SCOPE), metadata={
        "description": "the page: ``queue:<unit_id>``, ``centre`` or ``supervision``",
        "pattern": SCOPE})
    since = IsoTime(load_default=None, allow_none=True, metadata={
        "description": "the cursor of the last answer; none at first"})


class BulkBody(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(("reassign", "urge")))
    ticket_nos = fields.List(
        fields.String(validate=validate.Regexp(TICKET_NO), metadata={"pattern": TICKET_NO}),
        required=True, validate=validate.Length(min=1, max=bulk.BULK_MAX))
    unit_id = Text(load_default=None, allow_none=True, validate=UNIT_ID, metadata={
        "description": "reassign: the unit each ticket goes to"})
    note = Note(load_default=None, allow_none=True, metadata={
        "description": "reassign: a note for the unit (optional); urge: what is urged"})


class BulkResultSchema(Schema):
    ticket_no = fields.String(required=True)
    ok = fields.Boolean(required=True)
    code = fields.Integer(allow_none=True, required=True, metadata={
        "description": "the status the step alone would have answered (403, 404, 409, 422, "
                       "503: not tried), or null"})
    message = fields.String(allow_none=True, required=True, metadata={
        "description": "why not, in Chinese"})
    state = fields.String(allow_none=True, required=True, metadata={
        "description": "the ticket's state after the step"})


class BulkAnswerSchema(Schema):
    action = fields.String(required=True)
    done = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    results = fields.List(fields.Nested(BulkResultSchema), required=True)
