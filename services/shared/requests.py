"""What a caller of intake sends: the ``create_ticket`` request (contract version 1), as
intake loads it and the console's API takes and describes it."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from services.shared.schemas import (
    CATEGORIES,
    CHANNELS,
    KINDS,
    LONG_TEXT,
    SHORT_TEXT,
    URGENCIES,
    AddressSchema,
    CallerSchema,
    StrictSchema,
    Text,
)


class PraisedSchema(StrictSchema):
    """What a praise call (表扬) praises: a ticket, a handling unit, or both."""

    ticket_no = Text(load_default=None, validate=SHORT_TEXT)
    unit_id = Text(load_default=None, validate=SHORT_TEXT)

    @validates_schema
    def _names_something(self, data: dict, **kwargs) -> None:
        if not data.get("ticket_no") and not data.get("unit_id"):
            raise ValidationError("Name the praised ticket_no or unit_id (or both).")


# An http(s) URL of printable ASCII: what is checked is what the API's description says
# (a URL format would leave a generated client guessing which URLs pass).
MEDIA_URL = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[!-~]*)?$"


class TicketRequestSchema(StrictSchema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    caller = fields.Nested(CallerSchema, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    description = Text(required=True, validate=LONG_TEXT)
    address = fields.Nested(AddressSchema, required=True)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    answer = Text(load_default=None, validate=LONG_TEXT)
    external_id = Text(load_default=None, validate=SHORT_TEXT)
    # false: the agent judges this call a new matter, whatever open ticket it resembles
    merge = fields.Boolean(load_default=True)
    praise = fields.Nested(PraisedSchema, load_default=None)
    # a photo or other media of the matter, where the caller sent one (an app's Open311
    # media_url): kept with the ticket, published under the description's rules
    media_url = fields.String(load_default=None, validate=[
        validate.Length(max=500),
        validate.Regexp(MEDIA_URL, error="Not a valid http or https URL.")])

    @validates_schema
    def _answer_only_for_consultations(self, data: dict, **kwargs) -> None:
        if data.get("answer") and data.get("kind") != "consult":
            raise ValidationError("Only a consultation can be answered on the spot.", "answer")

    @validates_schema
    def _praise_names_what_is_praised(self, data: dict, **kwargs) -> None:
        if data.get("kind") == "praise" and not data.get("praise"):
            raise ValidationError("A praise call names the praised ticket_no or unit_id.",
                                  "praise")
        if data.get("praise") and data.get("kind") != "praise":
            raise ValidationError("Only a praise call names what it praises.", "praise")

    @validates_schema
    def _caller_reachable_or_anonymous(self, data: dict, **kwargs) -> None:
        caller = data.get("caller") or {}
        if not caller.get("anonymous") and not caller.get("phone") and not caller.get("name"):
            raise ValidationError(
                "Give the caller's name or phone, or mark the caller anonymous.", "caller"
            )
