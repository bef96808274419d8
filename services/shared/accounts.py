"""What a caller of accounts sends to make or change an account (contract version 1).

The console checks its forms and API requests with these schemas, and the accounts service
checks the same RPC arguments with them, so both refuse the same things in the same words.
Only the shape is checked here; the password policy, roles against units and whether a
unit exists are the accounts service's rules.
"""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from services.shared.schemas import (
    ACCOUNT_ROLES,
    MACHINE_ROLES,
    SHORT_TEXT,
    TEXT_SPACE,
    UNIT_ID,
    Decision,
    StrictSchema,
    Text,
    unicode_text,
)

MAX_PASSWORD_LENGTH = 1024  # hashing is the costly part: bound what one request may send
MIN_PASSWORD_LENGTH = 8  # of a password chosen (signing in compares whatever is typed)
# An API token lives this many days unless its issuer says otherwise, and never longer than
# the most.
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365


class Username(Text):
    """Letters, digits, '.', '_' and '-', compared without case: stored in lower case."""

    def __init__(self, **kwargs: Any) -> None:
        # as sent: in either case, surrounding space stripped (USERNAME checks what is kept:
        # 2 to 64 characters)
        super().__init__(metadata={"pattern": rf"^{TEXT_SPACE}*[A-Za-z0-9][A-Za-z0-9._-]{{1,63}}"
                                              rf"{TEXT_SPACE}*$"}, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).lower()


USERNAME = [validate.Length(min=2, max=64),
            validate.Regexp(r"^[a-z0-9][a-z0-9._-]*$",
                            error="Letters, digits, '.', '_' and '-', starting with a letter "
                                  "or digit.")]


def Password(min_length: int = 1, **kwargs) -> fields.String:  # noqa: N802 - a field type
    """A password as typed (spaces count); a new one has at least ``MIN_PASSWORD_LENGTH``
    characters (the accounts service's policy says the rest: not the username)."""
    length = validate.Length(min=min_length, max=MAX_PASSWORD_LENGTH,
                             error=f"At least {min_length} characters, at most "
                                   f"{MAX_PASSWORD_LENGTH}.")
    return fields.String(validate=[length, unicode_text], **kwargs)


def NewPassword(**kwargs) -> fields.String:  # noqa: N802 - reads as a field type
    return Password(min_length=MIN_PASSWORD_LENGTH, **kwargs)


class FirstAdminSchema(StrictSchema):
    username = Username(required=True, validate=USERNAME)
    name = Text(required=True, validate=SHORT_TEXT)
    password = Password(required=True)


class NewUserSchema(FirstAdminSchema):
    # a person's role, or a program's (MACHINE_ROLES: it signs in with an API token only,
    # so it is given no password)
    role = fields.String(required=True, validate=validate.OneOf(ACCOUNT_ROLES))
    password = NewPassword(load_default=None, allow_none=True)
    unit_id = Text(load_default=None, allow_none=True, validate=UNIT_ID)
    # the district an agent, dispatcher or supervisor serves (unit staff serve their unit's);
    # none: every district (services/shared/access.py)
    district = Text(load_default=None, allow_none=True, validate=SHORT_TEXT)

    @validates_schema
    def _password_for_people(self, data: dict, **kwargs) -> None:
        program = data.get("role") in MACHINE_ROLES
        if program and data.get("password") is not None:
            raise ValidationError("A program's account signs in with an API token: give it "
                                  "no password.", "password")
        if not program and data.get("password") is None:
            raise ValidationError("Missing data for required field.", "password")


class UserChangesSchema(StrictSchema):
    """What an admin may change; only the fields sent change."""

    name = Text(validate=SHORT_TEXT)
    role = fields.String(validate=validate.OneOf(ACCOUNT_ROLES))
    unit_id = Text(allow_none=True, validate=UNIT_ID)
    # the district served (none: every district); unit staff serve their unit's whatever
    # this says
    district = Text(allow_none=True, validate=SHORT_TEXT)
    active = Decision()
    password = NewPassword()

    @validates_schema
    def _something(self, data: dict, **kwargs) -> None:
        if not data:
            raise ValidationError("Name at least one change.")

VIEWS_MAX = 50  # saved views (the search page's conditions, named) a person keeps
