"""What a caller of ledger sends: the arguments of its RPCs (contract version 1)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from services.ledger.search import DEFAULT_SORT, SORTS
from services.shared import clock
from services.shared.answers.ledger import GROUPS, INTERVALS
from services.shared.schemas import (
    CATEGORIES,
    SEARCH_MAX,
    SEARCH_OFFSET_MAX,
    SEARCH_UNITS_MAX,
    SHORT_TEXT,
    StrictSchema,
    Text,
)
from services.shared.states import SEARCH_STATES

RECENT_DEFAULT = 50
RECENT_MAX = 500
TICKETS_DEFAULT = 100
TICKETS_MAX = 500
OFFSET_MAX = 5_000_000
TICKET_STATUSES = ("open", "closed")  # closed: the state closed; open: any other


class TicketNoSchema(StrictSchema):
    ticket_no = Text(required=True, validate=SHORT_TEXT)


class ResidentIdSchema(StrictSchema):
    resident_id = Text(required=True, validate=SHORT_TEXT)


class VerifySchema(StrictSchema):
    ticket_no = Text(load_default=None, allow_none=True, validate=SHORT_TEXT)


class ShanghaiDay(fields.Field):
    """The start of a Shanghai calendar day: a date (``2026-11-23``) or an ISO 8601 time at
    00:00 in Shanghai (``2026-11-23T00:00:00+08:00``, ``2026-11-22T16:00:00Z``), loaded as
    the date. Indicators count whole days, so any other time is refused."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> dt.date:
        if not isinstance(value, str):
            raise ValidationError("Not a date or an ISO 8601 time.")
        text = value.strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
            moment = clock.local(clock.parse_iso(text))
        except (ValueError, OverflowError) as exc:
            raise ValidationError("Not a date or an ISO 8601 time.") from exc
        if moment.time() != dt.time(0):
            raise ValidationError("Indicators count whole days in Shanghai: give a date "
                                  "(2026-11-23) or a time at 00:00 Shanghai "
                                  "(2026-11-23T00:00:00+08:00).")
        return moment.date()


class IndicatorsSchema(StrictSchema):
    """A half-open period of Shanghai days (``start`` included, ``end`` excluded), and how
    to group the figures."""

    start = ShanghaiDay(required=True)
    end = ShanghaiDay(required=True)
    group_by = fields.List(fields.String(validate=validate.OneOf(GROUPS)), load_default=None,
                           allow_none=True)
    interval = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(INTERVALS))

    @validates_schema
    def _check(self, data: dict, **kwargs) -> None:
        if data["start"] >= data["end"]:
            raise ValidationError("The period must end after it starts.", "end")
        group_by = data.get("group_by") or []
        if len(set(group_by)) != len(group_by):
            raise ValidationError("Name each grouping once.", "group_by")


class RecentSchema(StrictSchema):
    limit = fields.Integer(load_default=RECENT_DEFAULT,
                           validate=validate.Range(min=1, max=RECENT_MAX), strict=True)


class Instant(fields.Field):
    """An ISO 8601 time (a naive one is UTC), loaded as an aware UTC datetime."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> dt.datetime:
        if not isinstance(value, str):
            raise ValidationError("Not an ISO 8601 time.")
        try:
            return clock.parse_iso(value.strip())
        except (ValueError, OverflowError) as exc:  # overflow: year 1 or 9999 with an offset
            raise ValidationError("Not an ISO 8601 time.") from exc


class TicketsSchema(StrictSchema):
    """Which tickets to list: received in [start, end), open or closed, or by number."""

    start = Instant(load_default=None, allow_none=True)
    end = Instant(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(TICKET_STATUSES))
    limit = fields.Integer(load_default=TICKETS_DEFAULT,
                           validate=validate.Range(min=1, max=TICKETS_MAX), strict=True)
    ticket_nos = fields.List(Text(validate=SHORT_TEXT), load_default=None, allow_none=True,
                             validate=validate.Length(max=TICKETS_MAX))
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)),
                             load_default=None, allow_none=True)
    # how many of the chosen to pass over first: a page further on
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=OFFSET_MAX),
                            strict=True)

    @validates_schema
    def _check(self, data: dict, **kwargs) -> None:
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ValidationError("The period must end after it starts.", "end")


class ChangesSchema(StrictSchema):
    """Which page's changes, since when (a cursor: the last answer's)."""

    scope = Text(required=True, validate=SHORT_TEXT)
    since = Instant(load_default=None, allow_none=True)


SEARCH_DEFAULT = 20
SEARCH_TEXT = validate.Length(max=200)


class SearchSchema(StrictSchema):
    """What a search asks for (search.search_query): every condition given must hold.
    ``words``: words of the description, all of them; ``phone``: any format (029-8888-1234,
    +86 29 8888 1234); ``place``: a district, subdistrict or community by name; ``start``
    and ``end``: received in [start, end)."""

    ticket_no = Text(load_default=None, allow_none=True, validate=SHORT_TEXT)
    phone = Text(load_default=None, allow_none=True, validate=validate.Length(max=40))
    name = Text(load_default=None, allow_none=True, validate=SHORT_TEXT)
    words = Text(load_default=None, allow_none=True, validate=SEARCH_TEXT)
    place = Text(load_default=None, allow_none=True, validate=SHORT_TEXT)
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)),
                             load_default=None, allow_none=True,
                             validate=validate.Length(max=len(CATEGORIES)))
    unit_ids = fields.List(Text(validate=SHORT_TEXT), load_default=None, allow_none=True,
                           validate=validate.Length(max=SEARCH_UNITS_MAX))
    states = fields.List(fields.String(validate=validate.OneOf(SEARCH_STATES)),
                         load_default=None, allow_none=True,
                         validate=validate.Length(max=len(SEARCH_STATES)))
    start = Instant(load_default=None, allow_none=True)
    end = Instant(load_default=None, allow_none=True)
    sort = fields.String(load_default=DEFAULT_SORT, validate=validate.OneOf(tuple(SORTS)))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0,
                                                                    max=SEARCH_OFFSET_MAX),
                            strict=True)
    limit = fields.Integer(load_default=SEARCH_DEFAULT,
                           validate=validate.Range(min=0, max=SEARCH_MAX), strict=True)

    @validates_schema
    def _check(self, data: dict, **kwargs) -> None:
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ValidationError("The period must end after it starts.", "end")
        if data.get("phone") and not any(ch.isdigit() for ch in data["phone"]):
            raise ValidationError("A phone number has digits.", "phone")
