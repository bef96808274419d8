"""The register's answers: a resident as lists show them (``find_residents``,
``birthdays``), a resident's whole card (``get_resident`` and every change), an import's
report (``import_register``), the register's words (``register_words``) and its Excel files
(``register_template``, ``export_register``: the ledger's WorkbookSchema). A resident's
tickets (``tickets_of_resident``) are the ledger's ListedTicketSchema.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.shared.answers.ledger import ListedTicketSchema, WorkbookSchema
from services.shared.births import FORMATS as BIRTH_DATE_FORMATS
from services.shared.births import WRITTEN as BIRTH_DATE
from services.shared.payloads import (
    LIVING_STATUSES,
    CheckinPlanSchema,
    EmergencyContactSchema,
    Time,
)
from services.shared.schemas import ActorSchema, AddressSchema

__all__ = ["ResidentRowSchema", "BirthdaySchema", "ResidentRecordSchema", "ImportReportSchema",
           "RegisterWordsSchema", "ListedTicketSchema", "WorkbookSchema"]

CHECKIN_STATUSES = ("active", "paused")
IMPORT_ACTIONS = ("add", "change", "unchanged", "refused", "skipped")


class ResidentRowSchema(Schema):
    """A resident as the register lists them: no health notes, contacts or history (those
    are on the card, whose every read is recorded)."""

    resident_id = fields.String(required=True)
    name = fields.String(required=True)
    phones = fields.List(fields.String(), required=True, metadata={"description": "E.164"})
    address = fields.Nested(AddressSchema, allow_none=True)
    birth_date = fields.String(allow_none=True, metadata={
        "pattern": BIRTH_DATE.pattern, "description": BIRTH_DATE_FORMATS})
    age = fields.Integer(allow_none=True, metadata={
        "description": "today, in Shanghai, counted from the earliest day the birth date "
                       "allows (1938-05 as if born on 1938-05-01)"})
    birthday = fields.String(allow_none=True, metadata={
        "description": "MM-DD; null unless month and day of birth are known"})
    living_status = fields.String(allow_none=True, validate=validate.OneOf(LIVING_STATUSES))
    groups = fields.List(fields.String(), required=True)
    grid_unit_id = fields.String(allow_none=True)
    grid_worker = fields.String(allow_none=True)
    checkin_plan = fields.Nested(CheckinPlanSchema, allow_none=True)
    checkin_status = fields.String(allow_none=True, validate=validate.OneOf(CHECKIN_STATUSES),
                                   metadata={"description": "null without a plan"})
    retired = fields.Boolean(required=True)
    version = fields.Integer(required=True)


class BirthdaySchema(ResidentRowSchema):
    birthday_on = fields.String(required=True, metadata={"format": "date"})
    turns = fields.Integer(allow_none=True, metadata={"description": "the age reached"})


class HistoryEntrySchema(Schema):
    """One step in a resident's history."""

    at = Time(required=True)
    action = fields.String(required=True, metadata={
        "description": "added, changed, retired, checkins_paused, checkins_resumed"})
    actor = fields.Nested(ActorSchema, required=True)
    changes = fields.Dict(required=True, metadata={"description": "{field: {from, to}}"})
    reason = fields.String(allow_none=True)
    batch_id = fields.String(allow_none=True, metadata={"description": "the import's"})
    version = fields.Integer(required=True)


class CardViewSchema(Schema):
    """One read of a card."""

    at = Time(required=True)
    actor = fields.Nested(ActorSchema, required=True)
    via = fields.String(required=True, metadata={
        "description": "card, phone_lookup, export, or \"ticket <number>\": the card on a ticket"})


class ResidentRecordSchema(ResidentRowSchema):
    """A resident's whole card. Every read of it is recorded (``views``)."""

    health_notes = fields.String(allow_none=True)
    hobbies = fields.String(allow_none=True)
    emergency_contacts = fields.List(fields.Nested(EmergencyContactSchema), required=True)
    consent_notes = fields.String(allow_none=True)
    retired_at = Time(allow_none=True)
    retired_reason = fields.String(allow_none=True)
    created_at = Time(allow_none=True)
    changed_at = Time(allow_none=True)
    history = fields.List(fields.Nested(HistoryEntrySchema), required=True,
                          metadata={"description": "oldest first"})
    views = fields.List(fields.Nested(CardViewSchema), required=True,
                        metadata={"description": "the latest reads, newest first"})
    view_count = fields.Integer(required=True)


class ImportRowSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "the sheet's row number"})
    name = fields.String(allow_none=True)
    action = fields.String(required=True, validate=validate.OneOf(IMPORT_ACTIONS))
    reasons = fields.List(fields.String(), required=True, metadata={
        "description": "why refused or skipped (a blank row, a footer, a note), in Chinese"})
    resident_id = fields.String(allow_none=True)
    changes = fields.Dict(required=True, metadata={"description": "{field: {from, to}}"})
    changed_columns = fields.List(fields.String(), required=True)


class ImportReportSchema(Schema):
    """What an import did (or, on a dry run, would do), row by row."""

    filename = fields.String(required=True)
    dry_run = fields.Boolean(required=True)
    batch_id = fields.String(allow_none=True,
                             metadata={"description": "named in each history entry written"})
    columns = fields.List(fields.String(), required=True)
    ignored_columns = fields.List(fields.String(), required=True, metadata={
        "description": "headers that are not the register's (nor a listed synonym): "
                       "their cells are not imported"})
    counts = fields.Dict(keys=fields.String(validate=validate.OneOf(IMPORT_ACTIONS)),
                         values=fields.Integer(), required=True)
    rows = fields.List(fields.Nested(ImportRowSchema), required=True)


class RegisterWordsSchema(Schema):
    """The register's vocabulary for forms and filters: code → Chinese word."""

    living_statuses = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    groups = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "the five every register has and those "
                                                  "the service's config adds"})
