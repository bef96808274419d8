"""What a caller of ledger sends: the arguments of its RPCs (contract version 1)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from services.shared import clock
from services.shared.schemas import SHORT_TEXT, StrictSchema, Text

RECENT_DEFAULT = 50
RECENT_MAX = 500


class Time(fields.Field):
    """An ISO 8601 time (``2026-11-23T02:00:00Z``, or with an offset such as ``+08:00``;
    a bare date or naive time is UTC), loaded as an aware UTC datetime."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> dt.datetime:
        if not isinstance(value, str):
            raise ValidationError("Not an ISO 8601 time.")
        try:
            return clock.parse_iso(value.strip())
        except ValueError as exc:
            raise ValidationError("Not an ISO 8601 time.") from exc


class TicketNoSchema(StrictSchema):
    ticket_no = Text(required=True, validate=SHORT_TEXT)


class PeriodSchema(StrictSchema):
    """A half-open period: ``start`` included, ``end`` excluded."""

    start = Time(required=True)
    end = Time(required=True)

    @validates_schema
    def _start_before_end(self, data: dict, **kwargs) -> None:
        if data["start"] >= data["end"]:
            raise ValidationError("The period must end after it starts.", "end")


class RecentSchema(StrictSchema):
    limit = fields.Integer(load_default=RECENT_DEFAULT,
                           validate=validate.Range(min=1, max=RECENT_MAX), strict=True)
