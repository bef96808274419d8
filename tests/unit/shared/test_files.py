"""The one interface for the bytes of attachments (services/shared/files.py), with the same
tests on both places: files on disk (the embedded store's and the in-memory store's) and
GridFS (a real MongoDB's). GridFS is tested over mongomock, whose gridfs support works
(mongomock.gridfs.enable_gridfs_integration); through pymongo's own GridFS over the
network, on the wire store (deploy/wire_store.py, MongoDB's stand-in, on the embedded
store); and over a real MongoDB when MONGO_URI names one."""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

from services.shared import files, storage
from services.shared.files import DiskFiles, GridFiles, files_for

PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(300_000)  # larger than one GridFS chunk (255 kB)


@pytest.fixture(scope="module")
def wire_store(tmp_path_factory):
    """The wire store's URI, as a process of its own on the embedded store."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "deploy"))
    from wire_store import WireStoreProcess

    server = WireStoreProcess(tmp_path_factory.mktemp("wire"))
    yield server.uri
    server.stop()


@pytest.fixture(params=["disk", "gridfs-mongomock", "gridfs-wire", "gridfs-mongodb"])
def place(request, tmp_path) -> files.Files:
    if request.param == "disk":
        return DiskFiles(tmp_path / "files")
    if request.param == "gridfs-mongomock":
        import mongomock
        import mongomock.gridfs

        mongomock.gridfs.enable_gridfs_integration()
        return GridFiles(mongomock.MongoClient()[f"files_{uuid.uuid4().hex[:8]}"])
    if request.param == "gridfs-wire":
        uri = request.getfixturevalue("wire_store")
    else:
        uri = os.environ.get("MONGO_URI", "")
    if not uri.startswith("mongodb"):
        pytest.skip("GridFS on a real MongoDB: set MONGO_URI=mongodb://… to run it")
    database = storage.connect(uri, f"files_test_{uuid.uuid4().hex[:8]}")
    request.addfinalizer(lambda: database.client.drop_database(database.name))
    return GridFiles(database)


def test_a_file_put_is_read_back_whole_with_its_name_and_type(place):
    file_id = place.put(PHOTO, "现场照片.jpg", "image/jpeg")
    stored = place.get(file_id)
    assert (stored.data, stored.name, stored.content_type) == (PHOTO, "现场照片.jpg",
                                                                "image/jpeg")
    assert place.put(b"%PDF-1.4 x", "说明.pdf", "application/pdf") != file_id


def test_a_deleted_file_is_gone_and_deleting_twice_is_nothing(place):
    file_id = place.put(PHOTO, "a.jpg", "image/jpeg")
    place.delete(file_id)
    with pytest.raises(KeyError):
        place.get(file_id)
    place.delete(file_id)


def test_an_unknown_or_malformed_id_is_a_key_error_never_a_path(place):
    for file_id in (uuid.uuid4().hex, "../../etc/passwd", "", "ab"):
        with pytest.raises(KeyError):
            place.get(file_id)
        place.delete(file_id)  # nothing happens


def test_the_backend_of_mongo_uri_picks_the_place(tmp_path):
    embedded = files_for(f"litemongo:{tmp_path}", "dispatch")
    assert isinstance(embedded, DiskFiles)
    assert embedded.root == tmp_path / "dispatch" / "files"  # beside the store's directory
    assert isinstance(files_for("mongomock://x", "dispatch"), DiskFiles)
    chosen = files_for("mongomock://x", "dispatch", files_dir=str(tmp_path / "f"))
    assert isinstance(chosen, DiskFiles) and chosen.root == tmp_path / "f" / "dispatch"
    assert isinstance(files_for("mongodb://localhost:1/?serverSelectionTimeoutMS=10",
                                "dispatch"), GridFiles)


def test_disk_files_leave_no_partial_file_behind(tmp_path):
    place = DiskFiles(tmp_path)
    file_id = place.put(PHOTO, "a.jpg", "image/jpeg")
    left = sorted(path.name for path in tmp_path.rglob("*") if path.is_file())
    assert left == sorted([file_id, f"{file_id}.json"])
