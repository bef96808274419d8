"""Deadlines: how long a unit has to sign for a ticket, contact the caller and resolve it.

The hours come from the policy file (``POLICY_FILE``, e.g. deploy/policy.yml) and count
from the moment of dispatch, by the clock. Working days are a later change, and
``Policy.deadlines_for`` is the one place it lands.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from marshmallow import ValidationError, fields, validate, validates_schema

from services.shared.errors import InvalidRequest
from services.shared.schemas import CATEGORIES, URGENCIES, StrictSchema, load

DEADLINES = ("accept", "contact", "resolve")


def Hours(**kwargs) -> fields.Float:  # noqa: N802 - reads as a field type
    """Hours from dispatch; fractions allowed (half an hour to sign for an urgent ticket)."""
    return fields.Float(validate=validate.Range(min=0), **kwargs)


class HoursSchema(StrictSchema):
    accept = Hours(required=True)
    contact = Hours(required=True)
    resolve = Hours(required=True)


class HoursOverrideSchema(StrictSchema):
    accept = Hours()
    contact = Hours()
    resolve = Hours()


class PolicySchema(StrictSchema):
    deadlines = fields.Dict(keys=fields.String(validate=validate.OneOf(URGENCIES)),
                            values=fields.Nested(HoursSchema), required=True)
    categories = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CATEGORIES)),
        values=fields.Dict(keys=fields.String(validate=validate.OneOf(URGENCIES)),
                           values=fields.Nested(HoursOverrideSchema)),
        load_default=dict,
    )

    @validates_schema
    def _every_urgency_has_deadlines(self, data: dict, **kwargs) -> None:
        missing = [urgency for urgency in URGENCIES if urgency not in data.get("deadlines", {})]
        if missing:
            raise ValidationError(f"Deadlines are needed for {', '.join(missing)}.", "deadlines")


class Policy:
    """The deadline table: hours per urgency, with some categories allowed longer."""

    def __init__(self, table: Any):
        self.table = load(PolicySchema(), table)

    def hours(self, category: str, urgency: str) -> dict[str, float]:
        hours = dict(self.table["deadlines"][urgency])
        hours.update(self.table["categories"].get(category, {}).get(urgency, {}))
        return hours

    def deadlines_for(self, category: str, urgency: str,
                      start: dt.datetime) -> dict[str, dt.datetime]:
        """``accept_by``, ``contact_by`` and ``resolve_by`` for a ticket dispatched at ``start``."""
        hours = self.hours(category, urgency)
        return {f"{name}_by": _to_millis(start + dt.timedelta(hours=hours[name]))
                for name in DEADLINES}


def _to_millis(moment: dt.datetime) -> dt.datetime:
    # MongoDB keeps milliseconds; cut here so a deadline reads back as it was computed.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def read_file(path: str) -> Policy:
    """The policy from a YAML file; InvalidRequest naming what is wrong with it."""
    with open(path, encoding="utf-8") as file:
        table = yaml.safe_load(file)
    try:
        return Policy(table)
    except InvalidRequest as exc:
        raise InvalidRequest({path: exc.errors}) from None
