"""What proves who someone is: passwords and the API tokens of programs (the sign-in
slow-down is throttle.py's, console sessions sessions.py's).

Plain rules, no database: the service reads a user's document, asks these functions what
follows, and has the store write it. Time is an argument (``now``), so tests control it.

- A password has at least ``MIN_PASSWORD_LENGTH`` characters and is not the username. It is
  kept only as an argon2id hash (argon2-cffi's default parameters, tens of ms a check).
- An unknown username and a wrong password get the same answer, after the same work.
- An API token is ``hlt_<token_id>_<secret>``: the id finds it, the secret proves it. Only
  its sha256 is kept (the secret is random and long, so a slow hash adds nothing); the
  token itself is shown once, when issued. It lives ``days`` (default
  ``DEFAULT_TOKEN_DAYS``, at most ``MAX_TOKEN_DAYS``) and is refused after; it may be
  read-only, and then the identity it gives says ``read_only``. A token issued before
  tokens had an expiry lives ``DEFAULT_TOKEN_DAYS`` from its issue.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

from services.shared import clock
from services.shared.accounts import DEFAULT_TOKEN_DAYS, MIN_PASSWORD_LENGTH
from services.shared.errors import InvalidRequest

TOKEN_PREFIX = "hlt"
MAX_TOKENS = 20  # per user: tokens live in the user's document
TOKEN_USE_RECORDED_EVERY = dt.timedelta(minutes=1)  # not a write on every call a program makes

# The same answer whether the username is unknown or the password wrong, so that nobody
# learns which usernames exist by trying them.
WRONG_LOGIN = "wrong username or password"
WRONG_TOKEN = "invalid, revoked or expired token"

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


def new_password(username: str, password: str) -> dict:
    """The fields that put a new password in place; InvalidRequest if the policy refuses
    it."""
    check_password_policy(username, password)
    return {"password_hash": hash_password(password)}


# API tokens
def new_token(name: str, now: dt.datetime, days: int = DEFAULT_TOKEN_DAYS,
              read_only: bool = False) -> tuple[str, dict]:
    """A fresh token and the record kept of it (its hash, never the token), living ``days``
    from ``now``."""
    token_id = secrets.token_hex(8)
    token = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    return token, {"token_id": token_id, "name": name, "hash": token_digest(token),
                   "created_at": now, "last_used_at": None,
                   "expires_at": now + dt.timedelta(days=days), "read_only": read_only}


def token_expires_at(record: dict) -> dt.datetime:
    """When the token is refused from (one issued before tokens expired: from its issue)."""
    if record.get("expires_at") is not None:
        return clock.as_utc(record["expires_at"])
    return clock.as_utc(record["created_at"]) + dt.timedelta(days=DEFAULT_TOKEN_DAYS)


def token_expired(record: dict, now: dt.datetime) -> bool:
    return now >= token_expires_at(record)


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
            "last_used_at": clock.iso(record["last_used_at"]),
            "expires_at": clock.iso(token_expires_at(record)),
            "read_only": bool(record.get("read_only"))}


def issued(token: str, record: dict) -> dict:
    """What issue_token answers: the only time the token itself is shown."""
    return {"token_id": record["token_id"], "token": token, "name": record["name"],
            "created_at": clock.iso(record["created_at"]),
            "expires_at": clock.iso(token_expires_at(record)),
            "read_only": bool(record.get("read_only"))}
