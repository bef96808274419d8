"""accounts' storage: ``users``, _id = username, each with its API tokens (kept hashed)
inside, and its outbox: the ``account_changed`` and ``session_ended`` events of a change are
written in the user's document (those of a change in the same update as the change);
``sessions``, _id = session id, the console's sessions (their secrets kept as hashes);
``sign_in_failures``, the counts of the sign-in slow-down (throttle.py), _id its key; and
``withdrawals``, _id = the event's id, what each event that withdrew statements withdrew
(revocation.withdrawal: at, session_ids, username), kept a while for service copies that
start later (``recent_withdrawals``)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.shared import outbox


class AccountStore:
    """People's and programs' accounts."""

    def __init__(self, db: Database):
        self.db = db
        self.users = db["users"]
        self.sessions = db["sessions"]
        self.failures = db["sign_in_failures"]
        self.withdrawals = db["withdrawals"]
        self.views = db["views"]  # saved views: _id view id, each with its username

    def ensure_indexes(self) -> None:
        self.users.create_index([("username", ASCENDING)], unique=True, name="username")
        self.users.create_index([("tokens.token_id", ASCENDING)], name="token_id")
        self.users.create_index([("role", ASCENDING), ("active", ASCENDING)], name="role")
        outbox.ensure_index(self.users)  # the sweep reads only users with events waiting
        # Two create_first_admin calls at once: only one account may carry the mark.
        self.users.create_index([("first_admin", ASCENDING)], unique=True, name="first_admin",
                                partialFilterExpression={"first_admin": True})
        self.sessions.create_index([("hash", ASCENDING)], unique=True, name="hash")
        self.sessions.create_index([("username", ASCENDING)], name="username")
        self.views.create_index([("username", ASCENDING), ("name", ASCENDING)], unique=True,
                                name="username_name")
        self.failures.create_index([("username", ASCENDING)], name="username")
        self.failures.create_index([("last_failure_at", ASCENDING)], name="last_failure_at")
        self.withdrawals.create_index([("at", ASCENDING)], name="at")

    def get(self, username: str) -> dict | None:
        return self.users.find_one({"_id": username})

    def by_token(self, token_id: str) -> dict | None:
        return self.users.find_one({"tokens.token_id": token_id})

    def all(self) -> list[dict]:
        return list(self.users.find().sort("_id", ASCENDING))

    def active_staff(self, unit_id: str) -> list[dict]:
        """The active unit staff of ``unit_id``, by username: username and name only."""
        return list(self.users.find({"unit_id": unit_id, "role": "unit_staff", "active": True},
                                    {"username": 1, "name": 1}).sort("_id", ASCENDING))

    def add(self, user: dict, events: Sequence[dict] = ()) -> bool:
        """Store a new user with its ``events``; False if the username (or the first admin's
        mark) is taken."""
        try:
            self.users.insert_one({**user, outbox.OUTBOX: list(events),
                                   **(outbox.sweep_flag() if events else {})})
        except DuplicateKeyError:
            return False
        return True

    def admin_exists(self) -> bool:
        return self.users.count_documents({"role": "admin"}, limit=1) == 1

    def active_admins_besides(self, username: str) -> int:
        return self.users.count_documents({"role": "admin", "active": True,
                                           "_id": {"$ne": username}})

    def change(self, username: str, fields: dict, events: Sequence[dict] = (),
               ends_sessions: bool = False) -> dict | None:
        """Set ``fields``, with ``events``; with ``ends_sessions``, every session the user
        holds is over from this same write (its epoch moves on, see sessions.py). The user
        as now stored, or None if there is none."""
        update = self._saying(events, fields)
        if ends_sessions:
            update["$inc"] = {"session_epoch": 1}
        return self.users.find_one_and_update({"_id": username}, update,
                                              return_document=ReturnDocument.AFTER)

    def say(self, username: str, events: Sequence[dict]) -> bool:
        """Put ``events`` in the user's outbox; False if there is no such user."""
        return self.users.update_one({"_id": username}, self._saying(events)).matched_count == 1

    def signed_in(self, username: str, now: dt.datetime, new_hash: str | None = None) -> None:
        """A right password: its time, and an outdated hash replaced."""
        fields: dict = {"last_login_at": now}
        if new_hash:
            fields["password_hash"] = new_hash
        self.users.update_one({"_id": username}, {"$set": fields})

    def add_token(self, username: str, record: dict, limit: int,
                  events: Sequence[dict] = ()) -> bool:
        """Keep a token's record, with ``events``; False if the user holds ``limit`` tokens
        already."""
        result = self.users.update_one(
            {"_id": username, f"tokens.{limit - 1}": {"$exists": False}},
            {"$push": {"tokens": record, outbox.OUTBOX: {"$each": list(events)}},
             **({"$set": outbox.sweep_flag()} if events else {})})
        return result.modified_count == 1

    def remove_token(self, username: str, token_id: str, events: Sequence[dict] = ()) -> bool:
        """Forget a token's record, with ``events``; False if the user has no such token."""
        result = self.users.update_one({"_id": username, "tokens.token_id": token_id},
                                       {"$pull": {"tokens": {"token_id": token_id}},
                                        **self._saying(events)})
        return result.modified_count == 1

    def token_used(self, username: str, token_id: str, now: dt.datetime) -> None:
        self.users.update_one({"_id": username, "tokens.token_id": token_id},
                              {"$set": {"tokens.$.last_used_at": now}})

    # Console sessions
    def add_session(self, session: dict) -> None:
        self.sessions.insert_one(session)

    def session_by_hash(self, digest: str) -> dict | None:
        return self.sessions.find_one({"hash": digest})

    def sessions_of(self, username: str) -> list[dict]:
        return list(self.sessions.find({"username": username}).sort("started_at", ASCENDING))

    def all_sessions(self) -> list[dict]:
        return list(self.sessions.find())

    def session_seen(self, session_id: str, now: dt.datetime) -> None:
        self.sessions.update_one({"_id": session_id}, {"$set": {"last_seen_at": now}})

    def remove_sessions(self, session_ids: Sequence[str]) -> None:
        self.sessions.delete_many({"_id": {"$in": list(session_ids)}})

    # The sign-in slow-down's counts (throttle.py)
    def failure_records(self, keys: dict[str, str]) -> dict[str, dict | None]:
        """{kind: the count's record or None} for a try's ``keys`` ({kind: _id})."""
        found = {doc["_id"]: doc
                 for doc in self.failures.find({"_id": {"$in": list(keys.values())}})}
        return {kind: found.get(key) for kind, key in keys.items()}

    def count_failure(self, key: str, kind: str, username: str | None,
                      now: dt.datetime) -> int:
        """One more wrong password on the count ``key`` (of ``kind``, naming ``username``
        unless it counts an address); how many it holds now."""
        record = self.failures.find_one_and_update(
            {"_id": key}, {"$inc": {"failures": 1},
                           "$set": {"kind": kind, "username": username,
                                    "last_failure_at": now}},
            upsert=True, return_document=ReturnDocument.AFTER)
        return 0 if record is None else int(record["failures"])  # None: never, with upsert

    def hold(self, key: str, until: dt.datetime) -> None:
        self.failures.update_one({"_id": key}, {"$set": {"locked_until": until}})

    def forget_failures(self, keys: Sequence[str]) -> None:
        self.failures.delete_many({"_id": {"$in": list(keys)}})

    def forget_failures_of(self, username: str) -> None:
        """Every count that names the username (an admin set its password)."""
        self.failures.delete_many({"username": username})

    def forget_failures_before(self, moment: dt.datetime) -> int:
        return self.failures.delete_many({"last_failure_at": {"$lte": moment}}).deleted_count

    def username_counts(self) -> dict[str, dict]:
        """The counts by username, from every address ({username: record})."""
        return {doc["username"]: doc for doc in self.failures.find({"kind": "username"})}

    # What events withdrew, for copies that start later (revocation.py)
    def keep_withdrawal(self, event_id: str, withdrawal: dict) -> None:
        """Keep what the event ``event_id`` withdrew; the same event kept again (published
        twice) is one withdrawal."""
        self.withdrawals.replace_one({"_id": event_id}, {**withdrawal, "_id": event_id},
                                     upsert=True)

    def withdrawals_since(self, moment: dt.datetime) -> list[dict]:
        """What was withdrawn at ``moment`` or later, oldest first: [{at, session_ids,
        username}]."""
        return list(self.withdrawals.find({"at": {"$gte": moment}}, {"_id": 0})
                    .sort("at", ASCENDING))

    def forget_withdrawals_before(self, moment: dt.datetime) -> int:
        return self.withdrawals.delete_many({"at": {"$lt": moment}}).deleted_count

    @staticmethod
    def _saying(events: Sequence[dict], fields: dict | None = None) -> dict:
        """The update setting ``fields`` and putting ``events`` in the user's outbox,
        flagged for the sweep (nothing of the outbox if no events)."""
        fields = dict(fields or {})
        update: dict = {}
        if events:
            update["$push"] = {outbox.OUTBOX: {"$each": list(events)}}
            fields.update(outbox.sweep_flag())
        if fields:
            update["$set"] = fields
        return update
