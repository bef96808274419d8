"""The ledger's answers about tickets and its record: timeline entries (``timeline``,
``recent``), a ticket as the ledger's events say it stands (``ticket_view``, ``tickets``),
a ticket as the public reads it (``public_requests``, ``public_request``),
the indicators (``indicators``, ``indicators_xlsx``) and the check of its hash chains
(``verify``). The register's answers are not here.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.shared.answers.dispatch import DeadlineDueSchema
from services.shared.payloads import DeadlinesSchema, Time
from services.shared.schemas import CATEGORIES, ActorSchema
from services.shared.states import ASSIST_STATUSES, INTAKE_STATUSES, STATES

# How the indicators may be grouped, and over what time
GROUPS = ("unit", "subdistrict", "category", "assignee")
# Grouping by person (承办人) names people: supervisors and admins only
PERSONAL_GROUPS = ("assignee",)
INTERVALS = ("day", "week")  # weeks start on Monday


# The record
class ChangedTicketSchema(Schema):
    """A ticket recorded as moving since a cursor: enough for a page to cue its reader."""

    ticket_no = fields.String(required=True)
    seq = fields.Integer(allow_none=True, metadata={
        "description": "the ticket's newest entry told: the same seq is the same change"})
    event_type = fields.String(required=True)
    state = fields.String(allow_none=True)
    unit_id = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    urgency = fields.String(allow_none=True)
    priority = fields.String(allow_none=True)
    urgent = fields.Boolean(required=True)
    welfare = fields.Boolean(required=True, metadata={
        "description": "a welfare check (探访关爱): its category, or a missed check-in's"})


class ChangesSchema(Schema):
    """What changed on a page since a cursor."""

    cursor = fields.String(required=True, metadata={
        "description": "send it as ``since`` next time"})
    complete = fields.Boolean(required=True, metadata={
        "description": "false: the cursor was missing or too old to look through; read "
                       "the whole list again"})
    changed = fields.Boolean(required=True, metadata={
        "description": "whether the page should read its list again"})
    tickets = fields.List(fields.Nested(ChangedTicketSchema), required=True)
    gone = fields.List(fields.String(), required=True, metadata={
        "description": "tickets that left the reader's own unit since"})


class TimelineEntrySchema(Schema):
    """One recorded event, in a Chinese sentence too."""

    seq = fields.Integer(allow_none=True, metadata={"description": "the order the ledger "
                                                                   "recorded it in"})
    event_id = fields.String(required=True)
    caused_by = fields.String(allow_none=True, metadata={
        "description": "the event it followed from, where it says one"})
    ticket_version = fields.Integer(allow_none=True, metadata={
        "description": "dispatch's: the version of the ticket its change brought"})
    ticket_no = fields.String(allow_none=True)
    event_type = fields.String(required=True)
    source = fields.String(required=True)
    occurred_at = Time(required=True)
    recorded_at = Time(required=True)
    actor = fields.Nested(ActorSchema, allow_none=True)
    data = fields.Dict(required=True, metadata={"description": "the event's data as said"})
    summary = fields.String(required=True, metadata={"description": "the step in a Chinese "
                                                                    "sentence"})


# A ticket as the ledger has it
class TicketPlaceSchema(Schema):
    """Where a ticket is, no finer than the community: the rest is personal."""

    district = fields.String(allow_none=True)
    subdistrict = fields.String(allow_none=True)
    community = fields.String(allow_none=True)


class ExtensionAsRecordedSchema(Schema):
    """The latest extension request (延期), as its events say."""

    deadline = fields.String(allow_none=True)
    status = fields.String(allow_none=True, metadata={"description": "requested, approved, "
                                                                     "refused"})
    until = Time(allow_none=True)
    due_at = Time(allow_none=True)


class AssistAsRecordedSchema(Schema):
    unit_id = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(ASSIST_STATUSES))


class LedgerTicketSchema(Schema):
    """``ticket_view``'s answer: the ticket as the recorded events say it stands (it may
    lag dispatch.get_status by the events in flight)."""

    ticket_no = fields.String(required=True)
    state = fields.String(allow_none=True, validate=validate.OneOf(STATES + INTAKE_STATUSES),
                          metadata={"description": "dispatch's states; intake's until "
                                                   "dispatch speaks"})
    state_at = Time(allow_none=True)
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    urgency = fields.String(allow_none=True)
    priority = fields.String(allow_none=True)
    place = fields.Nested(TicketPlaceSchema, allow_none=True)
    received_at = Time(allow_none=True)
    outcome = fields.String(allow_none=True)
    closed_at = Time(allow_none=True)
    reopen_count = fields.Integer(required=True)
    overdue = fields.List(fields.Nested(DeadlineDueSchema), required=True)
    last_event_at = Time(allow_none=True)
    calls = fields.Integer(required=True, metadata={"description": "repeat calls merged in "
                                                                   "included"})
    praise = fields.Dict(allow_none=True, metadata={"description": "a praise call's "
                                                                   "{ticket_no, unit_id}"})
    praise_count = fields.Integer(required=True, metadata={"description": "praise calls "
                                                                          "naming it"})
    deadlines = fields.Nested(DeadlinesSchema, allow_none=True)
    warnings = fields.List(fields.Nested(DeadlineDueSchema), required=True)
    urge_count = fields.Integer(required=True)
    extension = fields.Nested(ExtensionAsRecordedSchema, allow_none=True)
    pause = fields.String(allow_none=True, metadata={"description": "the latest: requested, "
                                                                    "paused, refused, resumed"})
    resume_on = Time(allow_none=True)
    paused_hours = fields.Float(required=True, metadata={"description": "all pauses ended "
                                                                        "so far"})
    assists = fields.List(fields.Nested(AssistAsRecordedSchema), required=True)
    assignee = fields.String(allow_none=True, metadata={
        "description": "the username of the person answering for it (承办人); null: nobody"})
    assignee_name = fields.String(allow_none=True)


class ListedTicketSchema(LedgerTicketSchema):
    """A ticket as ``tickets`` lists it."""

    description = fields.String(allow_none=True, metadata={"description": "as received"})
    summary = fields.String(allow_none=True, metadata={"description": "its latest entry's "
                                                                      "sentence"})


class SearchedCallerSchema(Schema):
    """The caller of a ticket found by a search: the phone masked for a reader who may not
    see the caller (access.py), the name as given."""

    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    anonymous = fields.Boolean(allow_none=True)


class SearchedTicketSchema(ListedTicketSchema):
    """A ticket a search found: as ``tickets`` lists it, with its caller."""

    caller = fields.Nested(SearchedCallerSchema, allow_none=True)


class SearchAnswerSchema(Schema):
    """A page of a search: how many tickets match in all, and this page of them."""

    total = fields.Integer(required=True, metadata={
        "description": "tickets matching, within what the reader may see, counted up to "
                       "500"})
    total_exact = fields.Boolean(required=True, metadata={
        "description": "false when more than ``total`` match"})
    offset = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    tickets = fields.List(fields.Nested(SearchedTicketSchema), required=True)


class PublicRequestSchema(Schema):
    """A ticket as the public reads it (the Open311 feed): nothing of the caller, no place
    below the community, no free text but a description the publication policy allows,
    redacted (services/ledger/publication.py)."""

    ticket_no = fields.String(required=True)
    category = fields.String(allow_none=True, validate=validate.OneOf(CATEGORIES))
    state = fields.String(allow_none=True, validate=validate.OneOf(STATES + INTAKE_STATUSES))
    unit_name = fields.String(allow_none=True, metadata={"description": "the handling unit"})
    place = fields.Nested(TicketPlaceSchema, required=True)
    received_at = Time(allow_none=True)
    updated_at = Time(allow_none=True, metadata={"description": "its latest event"})
    resolve_by = Time(allow_none=True, metadata={"description": "the resolve deadline"})
    description = fields.String(allow_none=True, metadata={
        "description": "null unless published: phones, ID and card numbers and names "
                       "redacted ([电话], [身份证号], [银行卡号], [姓名])"})
    media_url = fields.String(allow_none=True, metadata={
        "description": "the caller's media_url (a photo), null unless the description is "
                       "published"})


# The indicators (services/ledger/indicators.py defines each figure)
def Count() -> fields.Integer:  # noqa: N802 - reads as a field type
    return fields.Integer(required=True)


def Ratio() -> fields.Float:  # noqa: N802 - reads as a field type
    """A rate (0.75) or hours; null with nothing to measure."""
    return fields.Float(required=True, allow_none=True)


class FiguresSchema(Schema):
    received = Count()
    accepted = Count()
    accepted_on_time = Count()
    accepted_late = Count()
    accepted_on_time_rate = Ratio()
    contacted = Count()
    contacted_on_time = Count()
    contacted_late = Count()
    contacted_on_time_rate = Ratio()
    resolved = Count()
    resolved_on_time = Count()
    resolved_late = Count()
    resolved_on_time_rate = Ratio()
    callbacks_reached = Count()
    satisfied = Count()
    basically_satisfied = Count()
    unsatisfied = Count()
    unreachable = Count()
    satisfaction_rate = Ratio()
    reopened = Count()
    reopen_rate = Ratio()
    resolve_hours_median = Ratio()
    resolve_hours_p90 = Ratio()
    merged = Count()
    praise = Count()
    closed_satisfied = Count()


class IndicatorRowSchema(FiguresSchema):
    """The figures of one group: its day or week (from Monday) and the grouped fields, as
    asked."""

    day = fields.String(metadata={"format": "date"})
    week = fields.String(metadata={"format": "date", "description": "its Monday"})
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    subdistrict = fields.String(allow_none=True)
    category = fields.String(allow_none=True, validate=validate.OneOf(CATEGORIES))
    assignee = fields.String(allow_none=True, metadata={
        "description": "the username of the person (承办人); null: facts of nobody's"})
    assignee_name = fields.String(allow_none=True)


class PeriodSchema(Schema):
    start = Time(required=True)
    end = Time(required=True, metadata={"description": "excluded"})
    first_day = fields.String(required=True, metadata={"format": "date"})
    last_day = fields.String(required=True, metadata={"format": "date"})


class IndicatorsSchema(Schema):
    """``indicators``'s answer: ``rows`` per group, ``totals``, per ``units``, and where
    the tickets received in the period stand now, ``by_state``."""

    period = fields.Nested(PeriodSchema, required=True)
    group_by = fields.List(fields.String(validate=validate.OneOf(GROUPS)), required=True)
    interval = fields.String(allow_none=True, validate=validate.OneOf(INTERVALS))
    rows = fields.List(fields.Nested(IndicatorRowSchema), required=True)
    totals = fields.Nested(FiguresSchema, required=True)
    units = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSchema),
                        required=True, metadata={"description": "by unit_id"})
    by_state = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class WorkbookSchema(Schema):
    """An Excel workbook (``indicators_xlsx``)."""

    filename = fields.String(required=True)
    content_base64 = fields.String(required=True)


# The hash chains
class BrokenPlaceSchema(Schema):
    ticket_no = fields.String(allow_none=True)
    chain = fields.String(required=True, metadata={"description": "the ticket number, "
                                                                  "resident:<id> or global"})
    seq = fields.Integer(allow_none=True)
    event_id = fields.String(allow_none=True)
    problem = fields.String(required=True, metadata={"description": "edited, removed, "
                                                                    "reordered"})
    detail = fields.String(required=True)


class CountsDifferSchema(Schema):
    day = fields.String(required=True, metadata={"description": "the numbers' district and "
                                                                "day: YP20261123"})
    ledger = fields.Integer(required=True)
    dispatch = fields.Integer(required=True)


class TicketCountsSchema(Schema):
    """The tickets the ledger recorded created, against those dispatch holds."""

    ledger = fields.Integer(required=True)
    dispatch = fields.Integer(allow_none=True, metadata={"description": "null: it did not "
                                                                        "answer"})
    differ = fields.List(fields.Nested(CountsDifferSchema), required=True)


class ChainReportSchema(Schema):
    """``verify``'s answer: what was changed directly in the store."""

    checked = fields.Integer(required=True, metadata={"description": "entries walked"})
    chains = fields.Integer(required=True)
    broken = fields.List(fields.Nested(BrokenPlaceSchema), required=True)
    unchained = fields.Integer(required=True, metadata={"description": "entries recorded "
                                                                       "before chaining"})
    unchained_chains = fields.List(fields.String(), required=True)
    tickets = fields.Nested(TicketCountsSchema, allow_none=True, metadata={
        "description": "the whole record's tickets against dispatch's; null for one ticket"})
