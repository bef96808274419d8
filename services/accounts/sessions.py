"""Console sessions: what a signed-in browser holds, how long it lives, and what ends it.

Plain rules, no database: the service reads a session's document and its user's, asks these
functions what follows, and has the store write it. Time is an argument (``now``).

- Signing in with a password starts a session. The browser keeps only its secret (a random
  256-bit string, in the console's signed cookie); the store keeps the secret's sha256 (as
  for API tokens: the secret is long and random, so a slow hash adds nothing), and finds the
  session by it. A session's id names it in lists and events; it proves nothing.
- A session ends when its user logs out or it is ended by an admin or the user (an RPC);
  when it has not been used for ``idle`` (``SESSIONS.idle_minutes``, default 30) or has
  lived ``lifetime`` (``SESSIONS.lifetime_hours``, default 12) whatever its use; and at
  once when its account is deactivated, its role or unit changes or its password is changed
  or set. For the last, every user document carries a ``session_epoch`` that the change
  raises in the same write, and a session holds the epoch it started under: one of an older
  epoch is over, whether or not its document has been removed yet.
- Its last use is written at most every ``SEEN_RECORDED_EVERY`` (not a write on every
  page), so idle time is measured to within that.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.shared import clock
from services.shared.payloads import SESSION_END_REASONS

SEEN_RECORDED_EVERY = dt.timedelta(seconds=10)
SWEEP_INTERVAL_SECONDS = 60.0  # how often ended sessions' documents are cleared away
ENDED = "this session has ended: sign in again"

# Which changed field ends an account's sessions, and the reason said, first match wins.
ENDING_FIELDS = (("password", "password_changed"), ("role", "role_changed"),
                 ("unit_id", "unit_changed"), ("district", "district_changed"))
assert {reason for _, reason in ENDING_FIELDS} <= set(SESSION_END_REASONS)


@dataclass(frozen=True)
class SessionRules:
    idle: dt.timedelta = dt.timedelta(minutes=30)
    lifetime: dt.timedelta = dt.timedelta(hours=12)


def rules_from(settings: Any) -> SessionRules:
    """The rules from the service's ``SESSIONS`` setting ({idle_minutes, lifetime_hours});
    defaults for what it does not say."""
    settings = settings if isinstance(settings, dict) else {}
    default = SessionRules()
    idle = settings.get("idle_minutes")
    lifetime = settings.get("lifetime_hours")
    rules = SessionRules(
        idle=default.idle if idle in (None, "") else dt.timedelta(minutes=float(idle)),
        lifetime=(default.lifetime if lifetime in (None, "")
                  else dt.timedelta(hours=float(lifetime))))
    if rules.idle <= dt.timedelta(0) or rules.lifetime <= dt.timedelta(0):
        raise ValueError("SESSIONS: idle_minutes and lifetime_hours must be positive")
    return rules


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def epoch_of(user: dict) -> int:
    return int(user.get("session_epoch") or 0)


def new_session(user: dict, unit_name: str | None, address: str | None, now: dt.datetime,
                rules: SessionRules) -> tuple[str, dict]:
    """A fresh secret and the document kept of its session (its hash, never the secret).
    The unit's name is kept as at sign-in: a change of unit ends the session anyway."""
    secret = secrets.token_urlsafe(32)
    return secret, {"_id": secrets.token_hex(8), "hash": digest(secret),
                    "username": user["_id"], "address": address, "unit_name": unit_name,
                    "epoch": epoch_of(user), "started_at": now, "last_seen_at": now,
                    "expires_at": now + rules.lifetime}


def ended_by(session: dict, user: dict | None, now: dt.datetime,
             rules: SessionRules) -> str | None:
    """Why the session is over (a reason of SESSION_END_REASONS), or None while it lives."""
    if user is None or not user["active"]:
        return "deactivated"
    if session.get("epoch", 0) != epoch_of(user):
        return "account_changed"
    if now >= clock.as_utc(session["expires_at"]):
        return "expired"
    if now - clock.as_utc(session["last_seen_at"]) >= rules.idle:
        return "idle"
    return None


def seen_worth_recording(session: dict, now: dt.datetime) -> bool:
    return now - clock.as_utc(session["last_seen_at"]) >= SEEN_RECORDED_EVERY


def ending_reason(fields_changed: Sequence[str], active_after: bool) -> str | None:
    """Why an admin's change (the names of the fields it really changes) ends the account's
    sessions, or None if they live on (a new name, a reactivation)."""
    if "active" in fields_changed and not active_after:
        return "deactivated"
    return next((reason for name, reason in ENDING_FIELDS if name in fields_changed), None)


def session_view(session: dict, rules: SessionRules) -> dict:
    """A session as its user or an admin lists it: never its secret or hash."""
    idle_until = clock.as_utc(session["last_seen_at"]) + rules.idle
    return {"session_id": session["_id"], "username": session["username"],
            "address": session.get("address"), "started_at": clock.iso(session["started_at"]),
            "last_seen_at": clock.iso(session["last_seen_at"]),
            "expires_at": clock.iso(min(clock.as_utc(session["expires_at"]), idle_until))}
