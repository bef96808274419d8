"""The people who use the console: their roles, the units they serve, who may manage whose
account, the account as its readers see it, and what is said when one changes.

Plain rules, no database, no RPC: the service looks up what they need (a user's document, a
unit of dispatch's directory) and passes it in. Time is an argument (``now``).

- A role is one of the contract's ``ACCOUNT_ROLES``. Unit staff belong to one handling unit
  of dispatch's directory; everyone else belongs to the centre or to no unit.
- A program's account (``MACHINE_ROLES``: the call centre's software, a callback worker)
  signs in with an API token only, never with a password, and never becomes a person's
  account (nor a person's a program's): what it did stays under its own name.
- Every change to an account is said as the event ``account_changed`` (made by
  ``account_changed()``), with the actor and the names of the fields changed, never a
  password, a hash or a token.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from services.accounts import credentials
from services.shared import clock
from services.shared.directory import CENTRE_ID
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.events import new_event
from services.shared.payloads import event_data
from services.shared.schemas import MACHINE_ROLES

ADMIN = "admin"
UNIT_STAFF = "unit_staff"
DEACTIVATED = "this account is deactivated; ask an admin"
PROGRAM_BY_TOKEN = "this account is a program's: it signs in with its API token"


# Roles and units
def check_role_unit(role: str, unit_id: str | None,
                    find_unit: Callable[[str], dict | None]) -> None:
    """Unit staff name a handling unit of the directory (``find_unit`` looks it up: None if
    there is none of that id); others the centre or no unit. InvalidRequest / NotFound."""
    if role == UNIT_STAFF:
        if unit_id is None:
            raise InvalidRequest({"unit_id": ["Unit staff belong to a handling unit: name it."]})
        if unit_id == CENTRE_ID:
            raise InvalidRequest({"unit_id": ["The centre's people are dispatchers, "
                                              "supervisors or admins, not unit staff."]})
        if find_unit(unit_id) is None:
            raise NotFound(f"unit {unit_id}")
    elif unit_id not in (None, CENTRE_ID):
        raise InvalidRequest({"unit_id": [f"Only unit staff belong to a handling unit; "
                                          f"a {role} belongs to '{CENTRE_ID}' or to none."]})


def may_read(actor: dict, username: str) -> bool:
    """An admin reads any account; everyone reads their own."""
    return actor["role"] == ADMIN or actor["id"] == username


def check_admin(actor: dict) -> None:
    if actor["role"] != ADMIN:
        raise NotPermitted("only an admin manages accounts")


def check_reader(actor: dict, username: str) -> None:
    if not may_read(actor, username):
        raise NotPermitted("only an admin or the user themself")


def actor_of(user: dict) -> dict:
    """The user as the actor of what they do (logging out)."""
    return {"id": user["_id"], "name": user["name"], "role": user["role"],
            "unit_id": user["unit_id"]}


def refuse_if_inactive(user: dict) -> None:
    if not user["active"]:
        raise NotPermitted(DEACTIVATED)


def is_program(role: str) -> bool:
    """Whether the role is a program's (MACHINE_ROLES), not a person's."""
    return role in MACHINE_ROLES


def refuse_program_password(user: dict) -> None:
    """A program's account never signs in with a password (nor to the console)."""
    if is_program(user["role"]):
        raise NotPermitted(PROGRAM_BY_TOKEN)


# Users
def new_user(fields: dict, now: dt.datetime, created_by: str | None,
             first_admin: bool = False) -> dict:
    """The stored document of a new, active user from validated ``fields`` (username, name,
    role, unit_id, password); the password is kept only as its hash."""
    user = {
        "_id": fields["username"], "username": fields["username"], "name": fields["name"],
        "role": fields["role"], "unit_id": fields.get("unit_id"),
        "district": fields.get("district"),
        "password_hash": credentials.hash_password(fields["password"]), "active": True,
        "last_login_at": None, "tokens": [], "session_epoch": 0,
        "created_at": now, "created_by": created_by, "updated_at": now,
    }
    if first_admin:
        user["first_admin"] = True  # a unique index lets only one account carry it
    return user


def changed(user: dict, changes: dict, find_unit: Callable[[str], dict | None],
            other_active_admins: int, now: dt.datetime) -> dict:
    """The fields to set when an admin changes ``user`` (any of name, role, unit_id,
    district, active, password). ``find_unit`` looks up the directory's unit the user will
    belong to; ``other_active_admins`` counts active admins besides this user, since the
    last one may be neither demoted nor deactivated. A new password also lifts a lock."""
    role = changes.get("role", user["role"])
    unit_id = changes["unit_id"] if "unit_id" in changes else user["unit_id"]
    if is_program(role) != is_program(user["role"]):
        raise InvalidRequest({"role": ["A person's account stays a person's and a program's "
                                       "a program's: make a new account."]})
    if "role" in changes or "unit_id" in changes:
        # only then: a user whose unit left the directory can still be renamed or deactivated
        check_role_unit(role, unit_id, find_unit)
    stays_admin = role == ADMIN and changes.get("active", user["active"])
    if user["role"] == ADMIN and user["active"] and not stays_admin and other_active_admins == 0:
        raise IllegalTransition("the last active admin may be neither demoted nor deactivated")
    fields: dict[str, Any] = {name: value for name, value in changes.items()
                              if name in ("name", "role", "unit_id", "district", "active")}
    if "password" in changes:
        fields.update(credentials.new_password(user["username"], changes["password"]))
    fields["updated_at"] = now
    return fields


def identity(user: dict, unit_name: str | None, read_only: bool = False,
             district: str | None = None) -> dict:
    """Who signed in, as the console keeps them: id (= username), username, name, role,
    unit_id, unit_name, district (their unit's, else the account's; none: every district),
    and read_only (a read-only API token: only reads are allowed). accounts signs its id,
    name, role, unit_id and district into the statement later RPCs carry."""
    return {"id": user["_id"], "username": user["username"], "name": user["name"],
            "role": user["role"], "unit_id": user["unit_id"], "unit_name": unit_name,
            "district": district or user.get("district"), "read_only": read_only}


def profile(user: dict, unit_name: str | None, held_until: dt.datetime | None) -> dict:
    """An account as an admin (or its owner) reads it: ``identity`` plus active, times,
    locked_until (while its username is held by the sign-in slow-down, see throttle.py)
    and tokens without their secrets. Never a hash."""
    return {
        **identity(user, unit_name), "active": user["active"],
        "created_at": clock.iso(user["created_at"]), "updated_at": clock.iso(user["updated_at"]),
        "last_login_at": clock.iso(user["last_login_at"]),
        "locked_until": clock.iso(held_until),
        "tokens": [credentials.token_view(token) for token in user.get("tokens") or []],
    }


# What is said of an account
# What an admin may change, in the order ``fields`` names them (a password by name only).
ACCOUNT_FIELDS = ("name", "role", "unit_id", "district", "active", "password")
CREATED_FIELDS = ("name", "role", "unit_id", "password")


def fields_changed(user: dict, changes: dict) -> list[str]:
    """The names of the fields an admin's ``changes`` really change (a password always)."""
    return [name for name in ACCOUNT_FIELDS if name in changes
            and (name == "password" or changes[name] != user.get(name))]


def change_named(fields: list[str]) -> str:
    """``password_changed`` when only the password changes (a reset), else ``changed``."""
    return "password_changed" if fields == ["password"] else "changed"


def account_changed(user: dict, change: str, actor: dict, fields: Sequence[str],
                    token_id: str | None = None) -> dict:
    """The ``account_changed`` event of ``user`` as it is after the change: its username,
    role, unit and whether it is active, the names of the ``fields`` changed and the
    ``token_id`` concerned; never a password, a hash or a token's secret."""
    data = event_data("account_changed", username=user["username"], change=change,
                      role=user["role"], unit_id=user["unit_id"], active=user["active"],
                      fields=list(fields), token_id=token_id)
    return new_event("accounts", "account_changed", data, actor=actor)


def session_ended(username: str, session_ids: Sequence[str], reason: str,
                  actor: dict) -> dict:
    """The ``session_ended`` event: these sessions of ``username`` are over, and why (one of
    SESSION_END_REASONS); their ids, never their secrets."""
    data = event_data("session_ended", username=username, session_ids=list(session_ids),
                      reason=reason)
    return new_event("accounts", "session_ended", data, actor=actor)
