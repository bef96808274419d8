"""The sign-in slow-down: how wrong passwords are counted, and who must wait before trying
again. It tells nobody which usernames exist, and nobody can keep a named person out by
guessing at their password from somewhere else.

Plain rules, no database: the service reads the counts that concern a try, asks these
functions what follows, and has the store write it. Time is an argument (``now``).

Wrong passwords are counted three ways, by the name typed (whether or not an account has it,
so an unknown username is counted, locked and answered exactly as a known one):

- by **username and client address**: after ``PAIR.threshold`` (5) in a row that address
  waits 30 s before trying that username again, doubling with each further wrong one up
  to 15 min. A right password from that address starts its count again.
- by **client address**, whatever the usernames: after ``ADDRESS.threshold`` (20) the
  address waits before trying any username, 30 s doubling up to 15 min (someone trying
  one password against many names). A right password does not start this count again
  (an attacker's own account would wipe it); it is forgotten after an hour without one.
- by **username**, from every address: after ``USERNAME.threshold`` (10) the username is
  held, 30 s doubling up to the modest ceiling of 2 min (many addresses guessing one
  person's password), but only for the addresses that have themselves typed a wrong
  password for it. An address with no wrong password for that username (the person at
  their own desk) is never held by it: an attacker's guesses cannot keep the owner out.
  A right password starts this count again.

A try while any of these holds it is refused without checking the password, and is not
counted. Every count is forgotten after ``FORGET_AFTER`` (an hour) without a wrong
password; an admin who sets a user's password forgets that username's counts. Refusals say
the same words for every reason ("wrong username or password", or the seconds to wait),
and an unknown username costs a password check as a known one does (``spend_a_check``).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from services.shared import clock

NO_ADDRESS = "-"  # a caller that names no address (an RPC from a command line) shares one
FORGET_AFTER = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Limit:
    threshold: int  # wrong passwords before the first wait
    first: dt.timedelta
    longest: dt.timedelta

    def lock_for(self, failures: int) -> dt.timedelta | None:
        """How long a count of ``failures`` holds its tries back (None: not at all)."""
        if failures < self.threshold:
            return None
        doublings = min(failures - self.threshold, 16)  # 2**16 × 30 s is past any cap
        return min(self.first * 2 ** doublings, self.longest)


PAIR = Limit(5, dt.timedelta(seconds=30), dt.timedelta(minutes=15))
ADDRESS = Limit(20, dt.timedelta(seconds=30), dt.timedelta(minutes=15))
USERNAME = Limit(10, dt.timedelta(seconds=30), dt.timedelta(minutes=2))
LIMITS = {"pair": PAIR, "address": ADDRESS, "username": USERNAME}
# What a right password starts again (the address's count is left: see above).
CLEARED_BY_SUCCESS = ("pair", "username")


def keys(username: str, address: str | None) -> dict[str, str]:
    """The count documents' ids for a try: {kind: _id}."""
    address = address or NO_ADDRESS
    return {"pair": f"pair:{username}\x1f{address}", "address": f"address:{address}",
            "username": f"username:{username}"}


def live_failures(record: dict | None, now: dt.datetime) -> int:
    """The count a record holds, 0 once forgotten."""
    if record is None or now - clock.as_utc(record["last_failure_at"]) >= FORGET_AFTER:
        return 0
    return int(record["failures"])


def forgotten(record: dict | None, now: dt.datetime) -> bool:
    """A record to clear before counting on it again."""
    return record is not None and live_failures(record, now) == 0


def seconds_held(record: dict | None, now: dt.datetime) -> int:
    """Whole seconds (rounded up) the record holds tries back; 0 if it does not."""
    until = None if record is None else record.get("locked_until")
    if until is None or clock.as_utc(until) <= now:
        return 0
    return math.ceil((clock.as_utc(until) - now).total_seconds())


def wait(records: dict[str, dict | None], now: dt.datetime) -> int:
    """The seconds a try must wait, given the records of its keys by kind (0: try now).
    The username's hold applies only to an address that has failed for that username."""
    waits = [seconds_held(records.get("pair"), now), seconds_held(records.get("address"), now)]
    if live_failures(records.get("pair"), now) > 0:
        waits.append(seconds_held(records.get("username"), now))
    return max(waits)


def held_message(seconds: int) -> str:
    return f"too many failed sign-ins: try again in {seconds} s"
