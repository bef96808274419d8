"""deploy/migrate.py: the accounts that dispatch kept move to the accounts service's
database, and the residents the ledger kept to the register's, with everything in them,
once; on mongomock and on the embedded store."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from nameko.testing.services import worker_factory
from pymongo.database import Database

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))
sys.path.insert(0, str(Path(__file__).parent / "accounts"))

import migrate  # noqa: E402
from accounts_support import ADMIN, CHEAP, UNITS, Dispatch  # noqa: E402
from bad_input import worker  # noqa: E402

from services.accounts import credentials, people  # noqa: E402
from services.accounts.service import AccountsService  # noqa: E402
from services.accounts.store import AccountStore  # noqa: E402
from services.register import residents  # noqa: E402
from services.register.service import RegisterService  # noqa: E402
from services.register.store import RegisterStore  # noqa: E402
from services.shared import clock, outbox, storage  # noqa: E402
from services.shared.schemas import SYSTEM_ACTOR  # noqa: E402

WHEN = dt.datetime(2026, 11, 23, 1, 0, tzinfo=clock.UTC)


def kept_by_dispatch(db: Database) -> dict:
    """dispatch's ``users`` as it kept them before the move: an admin, and 王丽 with an API
    token, three wrong passwords in a row, a lock, and a change said but not yet published
    (the broker was away). Returns the token."""
    admin = people.new_user({"username": "admin", "name": "系统管理员", "role": "admin",
                             "password": "first-admin-pass"}, WHEN, None, first_admin=True)
    wang = people.new_user({"username": "wang.li", "name": "王丽", "role": "unit_staff",
                            "unit_id": "kaichen", "password": "kaichen-wang-1"}, WHEN, "admin")
    token, record = credentials.new_token("工单同步脚本", WHEN)
    locked = {**people.account_changed(wang, "locked", SYSTEM_ACTOR, ["locked_until"]),
              "source": "dispatch"}  # said by dispatch, which kept the accounts then
    wang.update({"tokens": [record], "failures": 3, "version": 4,
                 "locked_until": WHEN + dt.timedelta(minutes=1),
                 outbox.OUTBOX: [locked], **outbox.sweep_flag()})
    db["users"].insert_many([{**admin, outbox.OUTBOX: []}, wang])
    return {"token": token, "event_id": locked["event_id"]}


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch) -> None:
    monkeypatch.setattr(credentials, "HASHER", CHEAP)


def accounts_on(db: Database) -> AccountsService:
    """The accounts service on the database the users moved to, as it starts."""
    service, _ = worker(AccountsService, AccountStore, lambda name: db, directory=Dispatch(UNITS))
    return service


def test_the_accounts_move_whole_from_dispatch_and_work_there(storage_config, database,
                                                              monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: WHEN)
    kept = kept_by_dispatch(database("dispatch"))
    before = sorted(database("dispatch")["users"].find(), key=lambda user: user["_id"])
    said: list[str] = []

    moved = migrate.move_collections(storage_config, *migrate.MOVES["accounts"], say=said.append)

    assert [(done.collection, done.copied, done.removed, done.held) for done in moved] == [
        ("users", 2, 2, 2)]
    assert said == ["  users: 2 moved from dispatch to accounts; accounts holds 2, dispatch none"]
    after = sorted(database("accounts")["users"].find(), key=lambda user: user["_id"])
    assert [{**user, "outbox": None} for user in after] == \
        [{**user, "outbox": None} for user in before]
    assert [event["source"] for event in after[1]["outbox"]] == ["accounts"]  # its own now
    assert "users" not in database("dispatch").list_collection_names()

    accounts = accounts_on(database("accounts"))
    monkeypatch.setattr(clock, "now", lambda: WHEN + dt.timedelta(minutes=2))
    assert accounts.authenticate_token(kept["token"])["unit_name"] == "凯晨物业"
    assert accounts.authenticate("wang.li", "kaichen-wang-1")["id"] == "wang.li"
    accounts.publish_outbox()  # what dispatch had not published yet goes out from accounts
    assert [event["event_id"] for _, event in (call.args for call in
            accounts.publisher.call_args_list)] == [kept["event_id"]]


def kept_by_the_ledger(db: Database) -> str:
    """The ledger's ``residents`` and ``card_views`` as it kept them before the register
    was a service: 孤老张老伯, changed once, his card read twice, and the change said but
    not yet published. Returns his resident_id."""
    added = residents.new_resident("R-ZHANG", {
        "name": "孤老张老伯", "phones": ["+8613800000001"], "address": {"district": "杨浦区"},
        "birth_date": "1941-11-26", "living_status": "alone", "groups": [],
        "health_notes": "高血压", "hobbies": None, "emergency_contacts": [],
        "grid_unit_id": "yinhang-grid-1", "grid_worker": "周伟", "checkin_plan": None,
        "consent_notes": None}, ADMIN, WHEN)
    change = residents.changed({**added, "version": 1}, {"hobbies": "听评弹"}, ADMIN, WHEN)
    event = {**change.event, "source": "ledger",  # said by the ledger, which kept them then
             "occurred_at": clock.iso(WHEN)}
    db["residents"].insert_one({**added, **change.fields, "version": 2,
                                "history": added["history"] + [change.history],
                                outbox.OUTBOX: [event], **outbox.sweep_flag()})
    db["card_views"].insert_many([{**residents.view(ADMIN, WHEN, "card"),
                                   "resident_id": "R-ZHANG"} for _ in range(2)])
    return "R-ZHANG"


def test_the_register_moves_from_the_ledger_with_its_history_and_reads(storage_config,
                                                                       database):
    resident_id = kept_by_the_ledger(database("ledger"))

    moved = migrate.move_collections(storage_config, *migrate.MOVES["register"], say=print)

    assert [(done.collection, done.copied, done.held) for done in moved] == [
        ("residents", 1, 1), ("card_views", 2, 2)]
    assert not {"residents", "card_views"} & set(database("ledger").list_collection_names())
    store = RegisterStore(database("register"))
    store.ensure_indexes()
    register = worker_factory(RegisterService, store=store)
    card = register.get_resident(resident_id, ADMIN)
    assert (card["version"], card["hobbies"], card["view_count"]) == (2, "听评弹", 3)
    assert [entry["action"] for entry in card["history"]] == ["added", "changed"]
    register.publish_outbox()  # what the ledger had not published goes out from the register
    [(event_type, event)] = [call.args for call in register.publisher.call_args_list]
    assert (event_type, event["source"]) == ("register_changed", "register")


def test_moving_again_moves_nothing_twice(storage_config, database):
    kept_by_dispatch(database("dispatch"))
    migrate.move_collections(storage_config, *migrate.MOVES["accounts"], say=print)
    accounts_on(database("accounts")).create_user(
        {"username": "li.na", "name": "李娜", "role": "agent", "password": "agent-li-na-1"},
        ADMIN)

    [again] = migrate.move_collections(storage_config, *migrate.MOVES["accounts"], say=print)

    assert (again.copied, again.removed, again.held) == (0, 0, 3)
    assert database("accounts")["users"].count_documents({}) == 3


def test_a_move_stopped_after_copying_is_finished_by_the_next_run(storage_config, database):
    kept_by_dispatch(database("dispatch"))
    target = database("accounts")["users"]
    for user in database("dispatch")["users"].find():  # as if a run had copied them, stopped
        target.insert_one(migrate.restamped(user, "dispatch", "accounts"))

    [done] = migrate.move_collections(storage_config, *migrate.MOVES["accounts"], say=print)

    assert (done.copied, done.already, done.removed, done.held) == (0, 2, 2, 2)


def test_counts_that_do_not_match_stop_the_move_with_nothing_removed(storage_config, database,
                                                                     monkeypatch):
    kept_by_dispatch(database("dispatch"))
    copy = migrate.copy
    monkeypatch.setattr(migrate, "copy", lambda target, document: None
                        if document["_id"] == "wang.li" else copy(target, document))  # lost

    with pytest.raises(migrate.MoveRefused, match="the counts do not match: dispatch had 2, "
                                                  "accounts holds 1 of them"):
        migrate.move_collections(storage_config, *migrate.MOVES["accounts"], say=print)
    assert database("dispatch")["users"].count_documents({}) == 2


def test_an_account_the_new_home_holds_differently_stops_the_move(storage_config, database):
    kept_by_dispatch(database("dispatch"))
    database("accounts")["users"].insert_one({"_id": "wang.li", "name": "另一个王丽"})

    with pytest.raises(migrate.MoveRefused, match="'wang.li': accounts holds a different one"):
        migrate.move_collections(storage_config, *migrate.MOVES["accounts"], say=print)
    assert database("dispatch")["users"].count_documents({}) == 2
    assert database("accounts")["users"].count_documents({}) == 1  # nothing written


# The command, on the embedded store as `make run` keeps it
def test_the_command_moves_the_accounts_on_the_embedded_store_once(tmp_path, capsys):
    uri = f"litemongo:{tmp_path}"
    dispatch_db = storage.connect(uri, "dispatch")
    kept_by_dispatch(dispatch_db)
    dispatch_db.client.close()

    assert migrate.main(["accounts", "--mongo-uri", uri]) == 0
    assert "users: 2 moved from dispatch to accounts" in capsys.readouterr().out
    assert migrate.main(["accounts", "--mongo-uri", uri]) == 0
    assert "nothing to move" in capsys.readouterr().out

    accounts_db = storage.connect(uri, "accounts")
    try:
        assert sorted(user["_id"] for user in accounts_db["users"].find()) == [
            "admin", "wang.li"]
        assert accounts_on(accounts_db).authenticate("admin", "first-admin-pass")["role"] == \
            "admin"
    finally:
        accounts_db.client.close()


def test_the_command_says_why_and_fails_when_the_counts_do_not_match(tmp_path, capsys,
                                                                     monkeypatch):
    uri = f"litemongo:{tmp_path}"
    dispatch_db = storage.connect(uri, "dispatch")
    kept_by_dispatch(dispatch_db)
    dispatch_db.client.close()
    monkeypatch.setattr(migrate, "copy", lambda target, document: None)  # every write lost

    assert migrate.main(["accounts", "--mongo-uri", uri]) == 1
    assert "refused: users: the counts do not match" in capsys.readouterr().err
    dispatch_db = storage.connect(uri, "dispatch")
    assert dispatch_db["users"].count_documents({}) == 2
    dispatch_db.client.close()


def test_a_refused_second_collection_leaves_the_first_in_the_old_database(storage_config,
                                                                          database):
    kept_by_the_ledger(database("ledger"))
    view = database("ledger")["card_views"].find_one()
    database("register")["card_views"].insert_one({**view, "via": "elsewhere"})  # differs

    with pytest.raises(migrate.MoveRefused, match="card_views .* register holds a different"):
        migrate.move_collections(storage_config, *migrate.MOVES["register"], say=print)
    assert database("ledger")["residents"].count_documents({}) == 1  # nothing removed
    assert database("ledger")["card_views"].count_documents({}) == 2


def test_health_notes_kept_before_they_left_the_card_are_cleared_once(tmp_path, capsys):
    """Cards intake, dispatch and callback kept from before health notes stayed in the
    register lose them; nothing else of them changes."""
    uri = f"litemongo:{tmp_path}"
    card = {"resident_id": "r-0001", "name": "周奶奶", "health_notes": "失能，独自在家"}
    kept = {"intake": {"residents": {"_id": "r-0001", "card": card, "version": 3},
                       "tickets": {"_id": "YP-1", "resident": card}},
            "dispatch": {"tickets": {"_id": "YP-1", "resident": card, "state": "accepted"}},
            "callback": {"residents": {"_id": "r-0001", "card": card},
                         "tasks": {"_id": "t-1", "resident": card}}}
    for service, collections in kept.items():
        database = storage.connect(uri, service)
        for collection, document in collections.items():
            database[collection].insert_one(document)
            database[collection].insert_one({"_id": "no-card", "resident": None})
        database.client.close()

    assert migrate.main(["health-notes", "--mongo-uri", uri]) == 0
    assert "5 documents cleared" in capsys.readouterr().out
    assert migrate.main(["health-notes", "--mongo-uri", uri]) == 0
    assert "nothing to clear" in capsys.readouterr().out

    for service, collections in kept.items():
        database = storage.connect(uri, service)
        try:
            for collection, document in collections.items():
                stored = database[collection].find_one({"_id": document["_id"]})
                held = stored.get("card") or stored.get("resident")
                assert held == {"resident_id": "r-0001", "name": "周奶奶"}, (service, collection)
            assert database["tickets" if service != "callback" else "tasks"].find_one(
                {"_id": "no-card"})["resident"] is None
        finally:
            database.client.close()


def test_a_moved_collection_leaves_the_old_stores_marker(tmp_path, capsys):
    """Else the old service, at its next start, would take the move for a lost file."""
    from services.shared import store_marker

    uri = f"litemongo:{tmp_path}"
    dispatch_db = storage.connect(uri, "dispatch")
    kept_by_dispatch(dispatch_db)
    dispatch_db["store"].insert_one(store_marker.new_marker("dispatch", ["users", "tickets"],
                                                            WHEN))
    dispatch_db.client.close()

    assert migrate.main(["accounts", "--mongo-uri", uri]) == 0
    dispatch_db = storage.connect(uri, "dispatch")
    try:
        assert dispatch_db["store"].find_one()["collections"] == ["tickets"]
    finally:
        dispatch_db.client.close()
