"""What a caller of dispatch sends: the arguments of every RPC (contract version 1). The
directory it takes and gives is the shared contract's (services/shared/directory.py)."""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from services.dispatch.accounts import MAX_PASSWORD_LENGTH, PEOPLE_ROLES
from services.dispatch.policy import DEADLINES, to_millis
from services.shared import clock
from services.shared.directory import UNIT_ID
from services.shared.schemas import (
    CATEGORIES, LONG_TEXT, SHORT_TEXT, AddressSchema, StrictSchema, Text, unicode_text,
)
from services.shared.states import STATES

TICKET_NO = validate.Length(min=1, max=40)


# RPC arguments
class Moment(fields.AwareDateTime):
    """An ISO 8601 time (``2025-10-09T02:00:00Z``, or with an offset such as ``+08:00``; a
    naive one is UTC), loaded as an aware UTC datetime to the millisecond, as stored."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=clock.UTC, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs):
        return to_millis(clock.as_utc(super()._deserialize(value, attr, data, **kwargs)))


def Decision(**kwargs) -> fields.Boolean:  # noqa: N802 - reads as a field type
    """true or false, and nothing that merely looks like one."""
    return fields.Boolean(truthy={True}, falsy={False}, **kwargs)


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


class QueueArgs(StrictSchema):
    unit_id = Text(required=True, validate=UNIT_ID)
    states = fields.List(fields.String(validate=validate.OneOf(STATES)), load_default=None,
                         allow_none=True, validate=validate.Length(min=1))


class RouteArgs(StrictSchema):
    address = fields.Nested(AddressSchema, required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))


# Accounts
class Username(Text):
    """Letters, digits, '.', '_' and '-', compared without case: stored in lower case."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).lower()


USERNAME = [validate.Length(min=2, max=64),
            validate.Regexp(r"^[a-z0-9][a-z0-9._-]*$",
                            error="Letters, digits, '.', '_' and '-', starting with a letter "
                                  "or digit.")]


def Password(**kwargs) -> fields.String:  # noqa: N802 - reads as a field type
    """A password as typed (spaces count); accounts.check_password_policy says the rest."""
    return fields.String(validate=[validate.Length(min=1, max=MAX_PASSWORD_LENGTH), unicode_text],
                         **kwargs)


class FirstAdminSchema(StrictSchema):
    username = Username(required=True, validate=USERNAME)
    name = Text(required=True, validate=SHORT_TEXT)
    password = Password(required=True)


class NewUserSchema(FirstAdminSchema):
    role = fields.String(required=True, validate=validate.OneOf(PEOPLE_ROLES))
    unit_id = Text(load_default=None, allow_none=True, validate=UNIT_ID)


class UserChangesSchema(StrictSchema):
    """What an admin may change; only the fields sent change."""

    name = Text(validate=SHORT_TEXT)
    role = fields.String(validate=validate.OneOf(PEOPLE_ROLES))
    unit_id = Text(allow_none=True, validate=UNIT_ID)
    active = Decision()
    password = Password()

    @validates_schema
    def _something(self, data: dict, **kwargs) -> None:
        if not data:
            raise ValidationError("Name at least one change.")


class UserArgs(StrictSchema):
    username = Username(required=True, validate=USERNAME)


class UpdateUserArgs(UserArgs):
    changes = fields.Nested(UserChangesSchema, required=True)


class SignInArgs(StrictSchema):
    """Loose on purpose: a username that could not exist is refused as any unknown one is."""

    username = Username(required=True, validate=SHORT_TEXT)
    password = Password(required=True)


class PasswordChangeArgs(UserArgs):
    old_password = Password(required=True)
    new_password = Password(required=True)


class TokenArgs(StrictSchema):
    token = fields.String(required=True, validate=[validate.Length(min=1, max=200), unicode_text])


class IssueTokenArgs(UserArgs):
    name = Text(required=True, validate=SHORT_TEXT)  # what the token is for: "工单同步脚本"


class RevokeTokenArgs(UserArgs):
    token_id = Text(required=True, validate=validate.Length(min=1, max=64))
