"""The directory of places, units and routing rules, as dispatch's ``load_directory`` takes
it and ``get_directory`` answers it (and ``put_unit``, ``put_rule``, ``remove_rule`` one
piece of it): the shape only. Whether a rule's unit and place exist is dispatch's
``directory.checked``'s business.
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from services.shared.schemas import (  # noqa: F401 - CENTRE_ID: the directory's too
    CATEGORIES,
    CENTRE_ID,
    SHORT_TEXT,
    UNIT_ID,
    StrictSchema,
    Text,
)

# The dispatch centre is a unit of the directory (CENTRE_ID): it holds the tickets no
# unit does.
CENTRE_KIND = "centre"
UNIT_KINDS = (CENTRE_KIND, "grid_workstation", "neighbourhood_committee", "property_company",
              "department")
ANY_CATEGORY = "*"  # a rule for every category the place has no rule of its own for
PLACE_SEPARATOR = "/"

PLACE_PATH = validate.Length(min=1, max=500)


def _one_place_name(name: str) -> None:
    if PLACE_SEPARATOR in name:
        raise ValidationError(f"A place name cannot contain '{PLACE_SEPARATOR}'.")


def _place_path(path: str) -> None:
    if any(not part.strip() for part in path.split(PLACE_SEPARATOR)):
        raise ValidationError("A place path is names joined by '/', none of them empty.")


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


def district_of(unit: dict) -> str | None:
    """The district a unit serves: the first name of its place's path; None for a unit
    without a place (the centre, which serves every district)."""
    place = unit.get("place")
    return place.split(PLACE_SEPARATOR)[0] if place else None
