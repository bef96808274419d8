"""The accounts' answers: who signed in (``authenticate``, ``authenticate_token``,
``check_session``), a session just started (``start_session``, its secret given once), the
sessions of a user and those ended, an account as an admin or its owner reads it
(``create_user``, ``get_user``, ``list_users`` and every change), a token just issued
(``issue_token``, its secret shown once), and the statements withdrawn lately
(``recent_withdrawals``, for a service copy that starts)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from services.shared.payloads import Time
from services.shared.schemas import ACCOUNT_ROLES


class IdentitySchema(Schema):
    """Who signed in: its id, name, role and unit_id make the actor of later RPCs."""

    id = fields.String(required=True, metadata={"description": "the username"})
    username = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ACCOUNT_ROLES))
    unit_id = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    read_only = fields.Boolean(load_default=False, metadata={
        "description": "signed in by a read-only API token: only reads (GET) are allowed"})
    district = fields.String(allow_none=True, metadata={
        "description": "the district served (the unit's); none: every district"})
    statement = fields.String(metadata={
        "description": "accounts' signed statement of who acts (services/shared/"
                       "statements.py): the actor of every RPC for the next minutes"})


class SessionStartedSchema(Schema):
    """A console session just started: its secret is in this answer only."""

    session = fields.String(required=True, metadata={
        "description": "the session's secret: what the browser's cookie holds"})
    session_id = fields.String(required=True)
    expires_at = Time(required=True, metadata={"description": "at the latest (its lifetime)"})
    identity = fields.Nested(IdentitySchema, required=True)


class SessionViewSchema(Schema):
    """A live console session; never its secret."""

    session_id = fields.String(required=True)
    username = fields.String(required=True)
    address = fields.String(allow_none=True, metadata={"description": "the client's address"})
    started_at = Time(required=True)
    last_seen_at = Time(required=True)
    expires_at = Time(required=True, metadata={
        "description": "when it ends if not used again (idle), or its lifetime's end"})


class EndedSessionsSchema(Schema):
    session_ids = fields.List(fields.String(), required=True)


class TokenViewSchema(Schema):
    token_id = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "what the token is for"})
    created_at = Time(required=True)
    last_used_at = Time(allow_none=True)
    expires_at = Time(required=True, metadata={"description": "refused from then on"})
    read_only = fields.Boolean(required=True, metadata={"description": "only reads allowed"})


class UserProfileSchema(IdentitySchema):
    """An account; never a password or a token's secret."""

    active = fields.Boolean(required=True)
    created_at = Time(required=True)
    updated_at = Time(required=True)
    last_login_at = Time(allow_none=True)
    locked_until = Time(allow_none=True, metadata={
        "description": "while the sign-in slow-down holds the username (only for addresses "
                       "that typed a wrong password for it)"})
    tokens = fields.List(fields.Nested(TokenViewSchema), required=True)


class IssuedTokenSchema(TokenViewSchema):
    token = fields.String(required=True, metadata={"description": "shown this once only"})


class WithdrawalSchema(Schema):
    """Statements accounts withdrew at one moment: those of the sessions named and, when a
    username is given, every statement of that user issued until then."""

    class Meta:
        unknown = EXCLUDE  # a newer accounts may say more; a service reads what it knows

    at = Time(required=True, metadata={"description": "when accounts withdrew them"})
    session_ids = fields.List(fields.String(), required=True, metadata={
        "description": "console sessions' ids, token:<id> for an API token; never a secret"})
    username = fields.String(allow_none=True, metadata={
        "description": "set when every statement of the user until then is withdrawn "
                       "(deactivated, or role, unit or password changed)"})


class RecentWithdrawalsSchema(Schema):
    """What accounts withdrew lately (``recent_withdrawals``): what a service copy that
    starts has not heard."""

    class Meta:
        unknown = EXCLUDE

    since = Time(required=True, metadata={
        "description": "every withdrawal from then on is in the answer"})
    withdrawals = fields.List(fields.Nested(WithdrawalSchema), required=True, metadata={
        "description": "oldest first"})


class ColleagueSchema(Schema):
    """One of a unit's active staff, to give a ticket to (承办人): nothing personal."""

    username = fields.String(required=True)
    name = fields.String(required=True)


class SavedViewSchema(Schema):
    """A saved view: a named set of the search page's conditions, its owner's alone."""

    view_id = fields.String(required=True)
    name = fields.String(required=True)
    filters = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    saved_at = Time(required=True)
