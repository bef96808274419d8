"""What a caller of dispatch sends: the arguments of every RPC, and the directory of
places, units and routing rules (contract version 1).

Only the shape is checked here; whether a rule's unit and place exist is
``directory.checked``'s business.
"""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from services.dispatch.policy import DEADLINES, to_millis
from services.dispatch.steps import CENTRE_KIND, STATES
from services.shared import clock
from services.shared.schemas import (
    CATEGORIES, LONG_TEXT, SHORT_TEXT, UNIT_ID, AddressSchema, Decision, StrictSchema, Text,
)

UNIT_KINDS = (CENTRE_KIND, "grid_workstation", "neighbourhood_committee", "property_company",
              "department")
ANY_CATEGORY = "*"  # a rule for every category the place has no rule of its own for
PLACE_SEPARATOR = "/"

TICKET_NO = validate.Length(min=1, max=40)
PLACE_PATH = validate.Length(min=1, max=500)


def _one_place_name(name: str) -> None:
    if PLACE_SEPARATOR in name:
        raise ValidationError(f"A place name cannot contain '{PLACE_SEPARATOR}'.")


def _place_path(path: str) -> None:
    if any(not part.strip() for part in path.split(PLACE_SEPARATOR)):
        raise ValidationError("A place path is names joined by '/', none of them empty.")


# The directory
class PlaceSchema(StrictSchema):
    """A place and the places inside it: district › subdistrict › community › estate › building."""

    name = Text(required=True, validate=[SHORT_TEXT, _one_place_name])
    children = fields.List(fields.Nested(lambda: PlaceSchema()), load_default=list)


class UnitSchema(StrictSchema):
    id = Text(required=True, validate=UNIT_ID)
    name = Text(required=True, validate=SHORT_TEXT)
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    place = Text(load_default=None, validate=[PLACE_PATH, _place_path])  # the place it answers for


class RuleFieldsSchema(StrictSchema):
    category = fields.String(required=True,
                             validate=validate.OneOf(CATEGORIES + (ANY_CATEGORY,)))
    place = Text(required=True, validate=[PLACE_PATH, _place_path])


class RuleSchema(RuleFieldsSchema):
    """Tickets of ``category`` at ``place`` (or anywhere below it) go to ``unit_id``."""

    unit_id = Text(required=True, validate=UNIT_ID)


class RuleKeySchema(RuleFieldsSchema):
    """Names a rule by category and place; a unit_id may come along (a rule as
    get_directory lists it) and is not needed."""

    unit_id = Text(load_default=None, validate=UNIT_ID)


class DirectorySchema(StrictSchema):
    units = fields.List(fields.Nested(UnitSchema), required=True)
    places = fields.List(fields.Nested(PlaceSchema), required=True)
    rules = fields.List(fields.Nested(RuleSchema), load_default=list)


# RPC arguments
class Moment(fields.AwareDateTime):
    """An ISO 8601 time (``2025-10-09T02:00:00Z``, or with an offset such as ``+08:00``; a
    naive one is UTC), loaded as an aware UTC datetime to the millisecond, as stored."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=clock.UTC, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs):
        return to_millis(clock.as_utc(super()._deserialize(value, attr, data, **kwargs)))


class TicketArgs(StrictSchema):
    ticket_no = Text(required=True, validate=TICKET_NO)


class ReturnArgs(TicketArgs):
    reason = Text(required=True, validate=LONG_TEXT)


class ContactArgs(TicketArgs):
    note = Text(load_default=None, validate=LONG_TEXT)


class ResolveArgs(TicketArgs):
    resolution = Text(required=True, validate=LONG_TEXT)


class ReassignArgs(TicketArgs):
    unit_id = Text(required=True, validate=UNIT_ID)
    note = Text(load_default=None, validate=LONG_TEXT)


class UrgeArgs(TicketArgs):
    note = Text(required=True, validate=LONG_TEXT)


class ExtensionArgs(TicketArgs):
    until = Moment(required=True)
    reason = Text(required=True, validate=LONG_TEXT)
    deadline = fields.String(load_default="resolve", validate=validate.OneOf(DEADLINES))


class DecisionArgs(TicketArgs):
    approve = Decision(required=True)
    note = Text(load_default=None, validate=LONG_TEXT)


class PauseArgs(TicketArgs):
    reason = Text(required=True, validate=LONG_TEXT)
    resume_on = Moment(load_default=None, allow_none=True)


class AssistArgs(ReassignArgs):
    """A unit asked to assist, or released: ``unit_id``, with an optional note."""


class ReportArgs(TicketArgs):
    report = Text(required=True, validate=LONG_TEXT)


class UnitArgs(StrictSchema):
    unit_id = Text(required=True, validate=UNIT_ID)


class QueueArgs(UnitArgs):
    states = fields.List(fields.String(validate=validate.OneOf(STATES)), load_default=None,
                         allow_none=True, validate=validate.Length(min=1))


class RouteArgs(StrictSchema):
    address = fields.Nested(AddressSchema, required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
