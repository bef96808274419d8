"""accounts' storage: ``users``, _id = username, each with its API tokens (kept hashed)
inside, and its outbox: the ``account_changed`` events of a change are written in the same
update as the change."""
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

    def ensure_indexes(self) -> None:
        self.users.create_index([("username", ASCENDING)], unique=True, name="username")
        self.users.create_index([("tokens.token_id", ASCENDING)], name="token_id")
        self.users.create_index([("role", ASCENDING), ("active", ASCENDING)], name="role")
        outbox.ensure_index(self.users)  # the sweep reads only users with events waiting
        # Two create_first_admin calls at once: only one account may carry the mark.
        self.users.create_index([("first_admin", ASCENDING)], unique=True, name="first_admin",
                                partialFilterExpression={"first_admin": True})

    def get(self, username: str) -> dict | None:
        return self.users.find_one({"_id": username})

    def by_token(self, token_id: str) -> dict | None:
        return self.users.find_one({"tokens.token_id": token_id})

    def all(self) -> list[dict]:
        return list(self.users.find().sort("_id", ASCENDING))

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

    def change(self, username: str, fields: dict, events: Sequence[dict] = ()) -> dict | None:
        """Set ``fields``, with ``events``; the user as now stored, or None if there is none."""
        return self.users.find_one_and_update({"_id": username},
                                              self._saying(events, fields),
                                              return_document=ReturnDocument.AFTER)

    def count_failure(self, username: str) -> int:
        """One more wrong password in a row; how many there are now."""
        user = self.users.find_one_and_update({"_id": username}, {"$inc": {"failures": 1}},
                                              return_document=ReturnDocument.AFTER)
        return 0 if user is None else user["failures"]  # None: deleted meanwhile

    def signed_in(self, username: str, now: dt.datetime, new_hash: str | None = None) -> None:
        """A right password: the count starts again, and an outdated hash is replaced."""
        fields: dict = {"failures": 0, "locked_until": None, "last_login_at": now}
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
