"""A store that knows itself: a service makes a store only when told to, and will not
start on an empty, damaged or foreign one, saying which file and what to do. On the
embedded store, as on a machine after a full disk or a botched restore."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from services.intake.store import TicketStore
from services.shared import storage, store_marker
from services.shared.store_marker import StoreRefused


def started(uri: str, service: str = "intake", **config) -> storage.Storage:
    """The service's Storage provider, set up as a container starting does."""
    provider = storage.Storage(TicketStore)
    provider.container = SimpleNamespace(service_name=service,
                                         config={"MONGO_URI": uri, **config})
    provider.setup()
    return provider


def stopped(provider: storage.Storage) -> None:
    provider.stop()


@pytest.fixture
def uri(tmp_path):
    return f"litemongo:{tmp_path}"


def files(tmp_path, service: str = "intake"):
    return tmp_path / service / service


def test_a_new_store_is_made_only_when_told_to(uri, tmp_path):
    with pytest.raises(StoreRefused, match="empty and has no marker.*STORE_INIT=1"):
        started(uri)

    made = started(uri, STORE_INIT="1")
    marker = made.store.tickets.database["store"].find_one({"_id": "store"})
    assert (marker["service"], marker["schema_version"]) == ("intake", 1)
    assert "tickets" in marker["collections"]
    stopped(made)
    stopped(started(uri))  # from now on it starts without being told


def test_a_collection_whose_file_was_emptied_stops_the_service_and_says_which(uri, tmp_path):
    stopped(started(uri, STORE_INIT="1"))
    (files(tmp_path) / "tickets").write_bytes(b"")  # a full disk during a copy

    for told in ({}, {"STORE_INIT": "1"}):  # being told to make a store changes nothing
        with pytest.raises(StoreRefused, match="has lost tickets .*restore it from a backup"):
            started(uri, **told)


def test_a_garbled_file_stops_the_service_naming_the_file(uri, tmp_path):
    stopped(started(uri, STORE_INIT="1"))
    garbled = files(tmp_path) / "tickets"
    garbled.write_bytes(b"\x00garbage" * 100)

    with pytest.raises(StoreRefused) as refused:
        started(uri)
    assert str(garbled) in str(refused.value) and "restore it" in str(refused.value)


def test_a_store_of_another_service_is_refused(uri, tmp_path):
    stopped(started(uri, STORE_INIT="1"))
    with pytest.raises(StoreRefused, match="is intake's, not dispatch's"):
        started(uri, service="dispatch", DATABASE="intake")


def test_a_store_from_before_markers_is_adopted_as_it_is(uri, tmp_path):
    old = storage.connect(uri, "intake")
    old["tickets"].insert_one({"_id": "YP20261123-0001", "status": "received"})
    old.client.close()

    provider = started(uri)
    assert provider.store.get("YP20261123-0001")["status"] == "received"
    assert provider.store.tickets.database["store"].find_one()["service"] == "intake"
    stopped(provider)


def test_a_newer_schema_is_refused():
    marker = store_marker.new_marker("intake", ["tickets"], None)  # type: ignore[arg-type]
    marker["schema_version"] = store_marker.SCHEMA_VERSION + 1
    with pytest.raises(StoreRefused, match="newer version"):
        store_marker.judge("intake", marker, ["tickets"], init=False, where="here")
