from unittest.mock import Mock

import pytest
from pymongo.errors import AutoReconnect

from services.shared import storage


@pytest.mark.parametrize("uri, backend", [
    ("mongodb://db:27017/", "mongodb"), ("mongodb+srv://cluster.example/", "mongodb"),
    ("litemongo:var/data", "litemongo"), ("litemongo:///srv/hotline", "litemongo"),
    ("mongomock://tests", "memory"),
])
def test_the_uri_picks_the_backend(uri, backend):
    assert storage.backend_of(uri) == backend


@pytest.mark.parametrize("uri", ["", "postgres://db/", "var/data", "sqlite:///x.db"])
def test_an_unknown_uri_is_a_clear_error(uri):
    with pytest.raises(ValueError, match="MONGO_URI must start with"):
        storage.backend_of(uri)


def test_the_embedded_store_keeps_data_across_a_restart_in_a_directory_per_service(tmp_path):
    uri = f"litemongo://{tmp_path}"
    client = storage.open_client(uri, "intake")
    client["intake"].tickets.insert_one({"_id": "YP20261123-0001", "status": "received"})
    client.close()

    reopened = storage.open_client(uri, "intake")
    assert reopened["intake"].tickets.find_one({"_id": "YP20261123-0001"})["status"] == "received"
    reopened.close()
    assert (tmp_path / "intake").is_dir()


def test_in_memory_stores_are_shared_by_name_and_forgotten_on_request():
    storage.connect("mongomock://shared-a", "intake").tickets.insert_one({"_id": 1})
    assert storage.connect("mongomock://shared-a", "intake").tickets.count_documents({}) == 1
    assert storage.connect("mongomock://shared-b", "intake").tickets.count_documents({}) == 0
    storage.forget_memory("mongomock://shared-a")
    assert storage.connect("mongomock://shared-a", "intake").tickets.count_documents({}) == 0


class Store:
    def __init__(self, db):
        self.db = db
        db.tickets.create_index("ticket_no", unique=True, name="no")

    def ensure_indexes(self):
        self.db.tickets.create_index("status", name="status")


def test_the_provider_connects_once_and_makes_indexes_at_start_up(storage_config):
    provider = storage.Storage(Store)
    provider.container = Mock(service_name="intake", config={**storage_config})
    provider.setup()

    store = provider.get_dependency(Mock())
    assert store is provider.get_dependency(Mock())
    assert store.db.name == storage_config["DATABASE_PREFIX"] + "intake"
    assert "status" in store.db.tickets.index_information()


def test_the_fault_switch_fails_every_storage_call_while_its_file_exists(tmp_path):
    switch = tmp_path / "storage-away"
    db = storage.FaultSwitched(storage.connect("mongomock://fault-switch", "intake"), str(switch))
    db["tickets"].insert_one({"_id": "YP20261123-0001", "status": "received"})

    switch.touch()
    with pytest.raises(AutoReconnect, match="fault switch"):
        db["tickets"].find_one({"_id": "YP20261123-0001"})
    with pytest.raises(AutoReconnect):
        db.tickets.update_one({"_id": "YP20261123-0001"}, {"$set": {"status": "x"}})
    with pytest.raises(AutoReconnect):
        db["counters"].insert_one({"_id": "YP"})

    switch.unlink()
    assert db.tickets.find_one({"_id": "YP20261123-0001"})["status"] == "received"
    assert db["counters"].count_documents({}) == 0  # nothing was written while away
    storage.forget_memory("mongomock://fault-switch")


def test_the_provider_puts_the_store_behind_the_switch_when_configured(storage_config, tmp_path):
    switch = tmp_path / "storage-away"
    provider = storage.Storage(Store)
    provider.container = Mock(service_name="intake",
                              config={**storage_config, "STORAGE_FAULT_SWITCH": str(switch)})
    provider.setup()
    store = provider.get_dependency(Mock())
    store.db.tickets.insert_one({"_id": 1})

    switch.touch()
    with pytest.raises(AutoReconnect):
        store.db.tickets.find_one({"_id": 1})


def test_a_copy_of_anothers_record_keeps_the_newest_version_whatever_the_order():
    residents = storage.connect("mongomock://keep-newer", "callback")["residents"]

    assert storage.keep_newer(residents, "R1", 2, {"name": "周奶奶 v2"})
    assert not storage.keep_newer(residents, "R1", 1, {"name": "周奶奶 v1"})  # late
    assert not storage.keep_newer(residents, "R1", 2, {"name": "again"})      # redelivered
    assert residents.find_one({"_id": "R1"}) == {"_id": "R1", "name": "周奶奶 v2", "version": 2}
    assert storage.keep_newer(residents, "R1", 3, {"name": "周奶奶 v3"})
    assert residents.find_one({"_id": "R1"})["name"] == "周奶奶 v3"
    storage.forget_memory("mongomock://keep-newer")


def test_the_compare_and_set_loop_decides_again_while_others_win_then_gives_up():
    from services.shared.errors import IllegalTransition
    from services.shared.storage import LOST, until_written

    answers = iter([LOST, LOST, "written"])
    assert until_written(lambda: next(answers), 3, IllegalTransition("keeps changing")) == \
        "written"
    assert until_written(lambda: None, 3, IllegalTransition("keeps changing")) is None

    tries = []
    with pytest.raises(IllegalTransition, match="keeps changing"):
        until_written(lambda: tries.append(1) or LOST, 3, IllegalTransition("keeps changing"))
    assert len(tries) == 3


def test_a_mongodb_client_gets_the_production_settings_unless_its_uri_says_otherwise():
    client = storage.open_client("mongodb://127.0.0.1:1/?replicaSet=hotline&w=1", "intake")
    try:
        options = client.options
        assert options.retry_writes and options.retry_reads
        assert options.write_concern.document == {"w": 1, "wtimeout": 5000}  # the URI's w
        assert options.read_concern.level == "majority"
        assert options.server_selection_timeout == 8
        assert options.pool_options.connect_timeout == 5
        assert options.pool_options.socket_timeout == 20
        assert client.options.pool_options.metadata["application"]["name"] == "intake"
    finally:
        client.close()
    given = storage.client_options("mongodb://db/?W=2&appName=desk", "intake")
    assert "w" not in given and "appname" not in given and given["retryWrites"] is True
    given = storage.client_options("mongodb://db/?replicaSet=x;w=1;readConcernLevel=local",
                                   "intake")
    assert "w" not in given and "readConcernLevel" not in given
