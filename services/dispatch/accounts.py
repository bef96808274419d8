"""Accounts of the people who work in the directory's units (and at the centre), and of the
programs that call on their behalf: roles, passwords, sign-in slow-down and API tokens.

Plain rules, no database: the service reads a user's document, asks these functions what
follows, and has the store write it. Time is an argument (``now``), so tests control it.

- A role is one of ``PEOPLE_ROLES``. Unit staff belong to one handling unit of the
  directory; everyone else belongs to the centre or to no unit.
- A password has at least ``MIN_PASSWORD_LENGTH`` characters and is not the username. It is
  kept only as an argon2id hash (argon2-cffi's default parameters, tens of ms a check).
- After ``FAILURES_BEFORE_LOCK`` wrong passwords in a row an account is locked for
  ``FIRST_LOCK``, and each further failure doubles it, up to ``LONGEST_LOCK``; a right
  password resets the count. An unknown username and a wrong password get the same answer.
- Every change to an account is said as ``account_changed`` (``said``), with the actor
  and the names of the fields changed, never a password, a hash or a token.
- An API token is ``hlt_<token_id>_<secret>``: the id finds it, the secret proves it. Only
  its sha256 is kept (the secret is random and long, so a slow hash adds nothing); the
  token itself is shown once, when issued.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from functools import lru_cache
from typing import Any, Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

from services.dispatch.steps import CENTRE_ID, CENTRE_KIND
from services.shared import clock
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.events import new_event
from services.shared.payloads import event_data

PEOPLE_ROLES = ("agent", "dispatcher", "unit_staff", "supervisor", "admin")
ADMIN = "admin"
UNIT_STAFF = "unit_staff"

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # hashing is the costly part: bound what one request may send

FAILURES_BEFORE_LOCK = 5
FIRST_LOCK = dt.timedelta(seconds=30)
LONGEST_LOCK = dt.timedelta(minutes=15)

TOKEN_PREFIX = "hlt"
MAX_TOKENS = 20  # per user: tokens live in the user's document
TOKEN_USE_RECORDED_EVERY = dt.timedelta(minutes=1)  # not a write on every call a program makes

# The same answer whether the username is unknown or the password wrong, so that nobody
# learns which usernames exist by trying them.
WRONG_LOGIN = "wrong username or password"
WRONG_TOKEN = "invalid or revoked token"
DEACTIVATED = "this account is deactivated; ask an admin"

HASHER = PasswordHasher()  # argon2id, the library's defaults (tests swap in a cheaper one)


# Passwords
def check_password_policy(username: str, password: str) -> None:
    """Raise InvalidRequest (under ``password``) if ``password`` may not be used."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"At least {MIN_PASSWORD_LENGTH} characters.")
    if password.strip().casefold() == username.casefold():
        problems.append("The password may not be the username.")
    if problems:
        raise InvalidRequest({"password": problems})


# argon2 is deliberately slow (about 0.1 s): it runs in a real OS thread (eventlet's
# tpool) so that the service's other requests go on meanwhile.
def hash_password(password: str) -> str:
    return tpool.execute(HASHER.hash, password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return tpool.execute(HASHER.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's (re-hash at sign-in)."""
    return HASHER.check_needs_rehash(password_hash)


@lru_cache(maxsize=4)
def _decoy_for(hasher: PasswordHasher) -> str:
    return hasher.hash("no such user")


def spend_a_check(password: str) -> None:
    """Check ``password`` against a decoy, so that an unknown username takes as long to
    refuse as a wrong password."""
    password_matches(_decoy_for(HASHER), password)


# Sign-in slow-down
def lock_for(failures: int) -> dt.timedelta | None:
    """How long an account is locked after ``failures`` wrong passwords in a row."""
    if failures < FAILURES_BEFORE_LOCK:
        return None
    doublings = min(failures - FAILURES_BEFORE_LOCK, 16)  # 2**16 × 30 s is past the cap already
    return min(FIRST_LOCK * 2 ** doublings, LONGEST_LOCK)


def locked_until(failures: int, now: dt.datetime) -> dt.datetime | None:
    delay = lock_for(failures)
    return None if delay is None else now + delay


def seconds_locked(user: dict, now: dt.datetime) -> int:
    """Whole seconds (rounded up) until the account may try again; 0 if it is not locked."""
    until = user.get("locked_until")
    if until is None or clock.as_utc(until) <= now:
        return 0
    return math.ceil((clock.as_utc(until) - now).total_seconds())


def refuse_if_locked(user: dict, now: dt.datetime) -> None:
    """NotPermitted, with the seconds to wait, while the account is locked (the password is
    not even checked then, and the attempt is not counted)."""
    wait = seconds_locked(user, now)
    if wait:
        raise NotPermitted(f"too many failed sign-ins: try again in {wait} s")


def refuse_if_inactive(user: dict) -> None:
    if not user["active"]:
        raise NotPermitted(DEACTIVATED)


# Roles and units
def check_role_unit(role: str, unit_id: str | None, unit: dict | None) -> None:
    """Unit staff name a handling unit of the directory (``unit`` is it, looked up, or None
    if there is none of that id); others the centre or no unit. InvalidRequest / NotFound."""
    if role == UNIT_STAFF:
        if unit_id is None:
            raise InvalidRequest({"unit_id": ["Unit staff belong to a handling unit: name it."]})
        if unit is None:
            raise NotFound(f"unit {unit_id}")
        if unit["kind"] == CENTRE_KIND:
            raise InvalidRequest({"unit_id": ["The centre's people are dispatchers, "
                                              "supervisors or admins, not unit staff."]})
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


# Users
def new_user(fields: dict, now: dt.datetime, created_by: str | None,
             first_admin: bool = False) -> dict:
    """The stored document of a new, active user from validated ``fields`` (username, name,
    role, unit_id, password); the password is kept only as its hash."""
    user = {
        "_id": fields["username"], "username": fields["username"], "name": fields["name"],
        "role": fields["role"], "unit_id": fields.get("unit_id"),
        "password_hash": hash_password(fields["password"]), "active": True,
        "failures": 0, "locked_until": None, "last_login_at": None, "tokens": [],
        "created_at": now, "created_by": created_by, "updated_at": now,
    }
    if first_admin:
        user["first_admin"] = True  # a unique index lets only one account carry it
    return user


def changed(user: dict, changes: dict, unit: dict | None, other_active_admins: int,
            now: dt.datetime) -> dict:
    """The fields to set when an admin changes ``user`` (any of name, role, unit_id, active,
    password). ``unit`` is the directory's unit the user will belong to (None if none or
    unknown); ``other_active_admins`` counts active admins besides this user, since the
    last one may be neither demoted nor deactivated. A new password also lifts a lock."""
    role = changes.get("role", user["role"])
    unit_id = changes["unit_id"] if "unit_id" in changes else user["unit_id"]
    if "role" in changes or "unit_id" in changes:
        # only then: a user whose unit left the directory can still be renamed or deactivated
        check_role_unit(role, unit_id, unit)
    stays_admin = role == ADMIN and changes.get("active", user["active"])
    if user["role"] == ADMIN and user["active"] and not stays_admin and other_active_admins == 0:
        raise IllegalTransition("the last active admin may be neither demoted nor deactivated")
    fields: dict[str, Any] = {name: value for name, value in changes.items()
                              if name in ("name", "role", "unit_id", "active")}
    if "password" in changes:
        fields.update(new_password(user["username"], changes["password"]))
    fields["updated_at"] = now
    return fields


def new_password(username: str, password: str) -> dict:
    """The fields that put a new password in place (and lift a lock); InvalidRequest if the
    policy refuses it."""
    check_password_policy(username, password)
    return {"password_hash": hash_password(password), "failures": 0, "locked_until": None}


def identity(user: dict, unit_name: str | None) -> dict:
    """Who signed in, as the console keeps them: id (= username), username, name, role,
    unit_id, unit_name. Its id, name, role and unit_id make the actor of later RPCs."""
    return {"id": user["_id"], "username": user["username"], "name": user["name"],
            "role": user["role"], "unit_id": user["unit_id"], "unit_name": unit_name}


def profile(user: dict, unit_name: str | None, now: dt.datetime) -> dict:
    """An account as an admin (or its owner) reads it: ``identity`` plus active, times,
    locked_until (while locked) and tokens without their secrets. Never a hash."""
    locked = seconds_locked(user, now) > 0
    return {
        **identity(user, unit_name), "active": user["active"],
        "created_at": clock.iso(user["created_at"]), "updated_at": clock.iso(user["updated_at"]),
        "last_login_at": clock.iso(user["last_login_at"]),
        "locked_until": clock.iso(user["locked_until"]) if locked else None,
        "tokens": [token_view(token) for token in user.get("tokens") or []],
    }


# API tokens
def new_token(name: str, now: dt.datetime) -> tuple[str, dict]:
    """A fresh token and the record kept of it (its hash, never the token)."""
    token_id = secrets.token_hex(8)
    token = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    return token, {"token_id": token_id, "name": name, "hash": token_digest(token),
                   "created_at": now, "last_used_at": None}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_id_of(token: str) -> str | None:
    """The id a token carries, or None if it is not shaped as one of ours."""
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or not token_id or not secret:
        return None
    return token_id


def token_record(user: dict, token_id: str) -> dict | None:
    return next((token for token in user.get("tokens") or []
                 if token["token_id"] == token_id), None)


def token_matches(record: dict, token: str) -> bool:
    return hmac.compare_digest(record["hash"], token_digest(token))


def use_worth_recording(record: dict, now: dt.datetime) -> bool:
    last = record.get("last_used_at")
    return last is None or now - clock.as_utc(last) >= TOKEN_USE_RECORDED_EVERY


def token_view(record: dict) -> dict:
    return {"token_id": record["token_id"], "name": record["name"],
            "created_at": clock.iso(record["created_at"]),
            "last_used_at": clock.iso(record["last_used_at"])}


def issued(token: str, record: dict) -> dict:
    """What issue_token answers: the only time the token itself is shown."""
    return {"token_id": record["token_id"], "token": token, "name": record["name"],
            "created_at": clock.iso(record["created_at"])}


# What is said of an account
# What an admin may change, in the order ``fields`` names them (a password by name only).
ACCOUNT_FIELDS = ("name", "role", "unit_id", "active", "password")
CREATED_FIELDS = ("name", "role", "unit_id", "password")


def fields_changed(user: dict, changes: dict) -> list[str]:
    """The names of the fields an admin's ``changes`` really change (a password always)."""
    return [name for name in ACCOUNT_FIELDS if name in changes
            and (name == "password" or changes[name] != user.get(name))]


def change_named(fields: list[str]) -> str:
    """``password_changed`` when only the password changes (a reset), else ``changed``."""
    return "password_changed" if fields == ["password"] else "changed"


def said(user: dict, change: str, actor: dict, fields: Sequence[str],
         token_id: str | None = None) -> dict:
    """The ``account_changed`` event of ``user`` as it is after the change: its username,
    role, unit and whether it is active, the names of the ``fields`` changed and the ``token_id`` concerned; never
    a password, a hash or a token's secret."""
    data = event_data("account_changed", username=user["username"], change=change,
                      role=user["role"], unit_id=user["unit_id"], active=user["active"],
                      fields=list(fields), token_id=token_id)
    return new_event("dispatch", "account_changed", data, actor=actor)
