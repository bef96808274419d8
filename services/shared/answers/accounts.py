"""The accounts' answers: who signed in (``authenticate``, ``authenticate_token``), an
account as an admin or its owner reads it (``create_user``, ``get_user``, ``list_users``
and every change), and a token just issued (``issue_token``, its secret shown once)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.shared.payloads import Time
from services.shared.schemas import PEOPLE_ROLES


class IdentitySchema(Schema):
    """Who signed in: its id, name, role and unit_id make the actor of later RPCs."""

    id = fields.String(required=True, metadata={"description": "the username"})
    username = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(PEOPLE_ROLES))
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)


class TokenViewSchema(Schema):
    token_id = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "what the token is for"})
    created_at = Time(required=True)
    last_used_at = Time(allow_none=True)


class UserProfileSchema(IdentitySchema):
    """An account; never a password or a token's secret."""

    active = fields.Boolean(required=True)
    created_at = Time(required=True)
    updated_at = Time(required=True)
    last_login_at = Time(allow_none=True)
    locked_until = Time(allow_none=True, metadata={"description": "while locked"})
    tokens = fields.List(fields.Nested(TokenViewSchema), required=True)


class IssuedTokenSchema(TokenViewSchema):
    token = fields.String(required=True, metadata={"description": "shown this once only"})
