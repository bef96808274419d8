"""What a caller of accounts sends besides an account's fields (those are the shared
contract's, services/shared/accounts.py): the arguments of every RPC (contract version 1)."""
from __future__ import annotations

from marshmallow import fields, validate

from services.shared.accounts import (
    DEFAULT_TOKEN_DAYS,
    MAX_TOKEN_DAYS,
    USERNAME,
    Password,
    UserChangesSchema,
    Username,
)
from services.shared.schemas import SHORT_TEXT, UNIT_ID, StrictSchema, Text, unicode_text


class UserArgs(StrictSchema):
    username = Username(required=True, validate=USERNAME)


class UpdateUserArgs(UserArgs):
    changes = fields.Nested(UserChangesSchema, required=True)


class UnitArgs(StrictSchema):
    unit_id = Text(required=True, validate=UNIT_ID)


class SignInArgs(StrictSchema):
    """Loose on purpose: a username that could not exist is refused as any unknown one is."""

    username = Username(required=True, validate=SHORT_TEXT)
    password = Password(required=True)
    # the client's address, as the console saw it (the slow-down counts by it)
    address = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))


class SessionArgs(StrictSchema):
    session = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                     unicode_text])


class EndSessionsArgs(UserArgs):
    session_id = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))


class PasswordChangeArgs(UserArgs):
    old_password = Password(required=True)
    new_password = Password(required=True)
    address = Text(load_default=None, allow_none=True, validate=validate.Length(max=100))


class TokenArgs(StrictSchema):
    token = fields.String(required=True, validate=[validate.Length(min=1, max=200), unicode_text])


class IssueTokenArgs(UserArgs):
    name = Text(required=True, validate=SHORT_TEXT)  # what the token is for: "工单同步脚本"
    days = fields.Integer(load_default=DEFAULT_TOKEN_DAYS, strict=True,
                          validate=validate.Range(min=1, max=MAX_TOKEN_DAYS))
    read_only = fields.Boolean(load_default=False, truthy={True}, falsy={False})


class RevokeTokenArgs(UserArgs):
    token_id = Text(required=True, validate=validate.Length(min=1, max=64))


# Saved views (a named set of the search page's conditions), each user's own
VIEW_FIELDS = ("no", "phone", "name", "words", "place", "category", "state", "unit",
               "first", "last", "sort")


class SaveViewArgs(StrictSchema):
    name = Text(required=True, validate=validate.Length(min=1, max=40))
    filters = fields.Dict(keys=fields.String(validate=validate.OneOf(VIEW_FIELDS)),
                          values=Text(validate=validate.Length(max=200)), required=True)


class ViewIdArgs(StrictSchema):
    view_id = Text(required=True, validate=SHORT_TEXT)
