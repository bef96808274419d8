"""register's storage (RegisterStore)."""
from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.database import Database

from services.register import residents
from services.shared import outbox


class RegisterStore:
    """The register of vulnerable residents: ``residents`` (_id = resident_id, see
    residents.py), each with its history and its outbox, and ``card_views``, every read of
    a card (one document each: a card read daily for years must not grow its resident's
    document without end)."""

    READING = {outbox.OUTBOX: 0}                           # a card: all but the outbox
    LISTING = {outbox.OUTBOX: 0, "history": 0, "views": 0}  # a row of a list

    def __init__(self, db: Database):
        self.residents = db["residents"]
        self.views = db["card_views"]

    def ensure_indexes(self) -> None:
        # A caller known by phone (intake, agents); matching an imported row by name.
        self.residents.create_index([("phones", ASCENDING)], name="phones")
        self.residents.create_index([("name", ASCENDING)], name="name")
        # Finding by place, from the district down to the room.
        self.residents.create_index(
            [(f"address.{level}", ASCENDING) for level in residents.ADDRESS_LEVELS],
            name="address")
        self.residents.create_index([("grid_unit_id", ASCENDING), ("retired", ASCENDING)],
                                    name="grid_unit")
        self.residents.create_index([("living_status", ASCENDING)], name="living_status")
        self.residents.create_index([("groups", ASCENDING)], name="groups")
        self.residents.create_index([("retired", ASCENDING)], name="retired")
        self.views.create_index([("resident_id", ASCENDING), ("at", DESCENDING)],
                                name="resident_at")
        outbox.ensure_index(self.residents)  # the sweep reads only residents with events

    def add(self, resident: dict) -> None:
        """Store a new resident with its first history entry and event (in its outbox)."""
        self.residents.insert_one({**resident, **(outbox.sweep_flag()
                                                  if resident.get(outbox.OUTBOX) else {})})

    def get(self, resident_id: str) -> dict | None:
        """The resident with the latest reads of their card (``views``, oldest first) and
        how many there have been (``view_count``)."""
        return self._with_views(self.residents.find_one({"_id": resident_id}, self.READING))

    def apply(self, change: residents.Change) -> dict | None:
        """Apply ``change`` if the resident is still the version it was decided on, its
        history entry and event pushed in the same update. The resident as now stored (as
        get gives it), or None when someone changed them meanwhile (nothing written)."""
        return self._with_views(self.residents.find_one_and_update(
            {"_id": change.resident_id, "version": change.version},
            {"$set": {**change.fields, "version": change.version + 1, **outbox.sweep_flag()},
             "$push": {"history": change.history, outbox.OUTBOX: change.event}},
            projection=self.READING, return_document=ReturnDocument.AFTER))

    def viewed(self, resident_ids: list[str], view: dict) -> None:
        """Record a read of these residents' cards."""
        if resident_ids:
            self.views.insert_many([{**view, "resident_id": resident_id}
                                    for resident_id in resident_ids])

    def viewed_once(self, view_id: str, resident_id: str, view: dict) -> None:
        """Record one read of a resident's card under ``view_id`` (an event's id): a second
        record of the same read changes nothing."""
        self.views.update_one({"_id": view_id},
                              {"$setOnInsert": {**view, "resident_id": resident_id}},
                              upsert=True)

    def views_of(self, resident_id: str, limit: int) -> list[dict]:
        """The reads of a resident's card, newest first, at most ``limit``."""
        return list(self.views.find({"resident_id": resident_id},
                                    {"_id": 0, "resident_id": 0},
                                    sort=[("at", DESCENDING)], limit=limit))

    def _with_views(self, resident: dict | None) -> dict | None:
        if resident is None:
            return None
        # Reads recorded in the resident's own document before card_views existed.
        earlier = resident.pop("views", None) or []
        mine = {"resident_id": resident["_id"]}
        latest = self.views.find(mine, {"_id": 0, "resident_id": 0},
                                 sort=[("at", DESCENDING), ("_id", DESCENDING)],
                                 limit=residents.CARD_VIEWS_SHOWN)  # _id: the order written
        views = (earlier + list(reversed(list(latest))))[-residents.CARD_VIEWS_SHOWN:]
        return {**resident, "views": views,
                "view_count": len(earlier) + self.views.count_documents(mine)}

    def find(self, filters: dict, born_by: str | None, limit: int | None = None) -> list[dict]:
        """Residents that meet every filter given (phone, place, living_status, group,
        grid_unit_id, include_retired) and were born on or before ``born_by``, in the
        order of their addresses, then names."""
        query: dict = {}
        if filters.get("phone"):
            query["phones"] = filters["phone"]
        for level, name in (filters.get("place") or {}).items():
            query[f"address.{level}"] = name
        for name in ("living_status", "grid_unit_id"):
            if filters.get(name):
                query[name] = filters[name]
        if filters.get("group"):
            query["groups"] = filters["group"]
        if born_by is not None:
            query["birth_date"] = {"$ne": None, "$lte": born_by}
        if not filters.get("include_retired"):
            query["retired"] = False
        order = [(f"address.{level}", ASCENDING) for level in residents.ADDRESS_LEVELS]
        cursor = self.residents.find(query, self.LISTING, sort=order + [("name", ASCENDING)])
        return list(cursor.limit(limit) if limit else cursor)

    def matching(self, names: list[str], phones: list[str], ids: list[str]) -> list[dict]:
        """Every resident, retired ones too, who has one of these names, phones or ids:
        those an imported row could be."""
        either = [{"_id": {"$in": ids}}, {"name": {"$in": names}}, {"phones": {"$in": phones}}]
        return list(self.residents.find({"$or": either}, self.LISTING))
