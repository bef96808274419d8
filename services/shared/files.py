"""Where a service keeps the bytes of files (photos and documents attached to tickets):
one interface, two places, chosen by the backend ``MONGO_URI`` names (storage.py).

- On a real MongoDB (``mongodb://``): GridFS, in the service's own database (bucket
  ``files``), so the files are replicated and backed up with the rest of its data.
- On the embedded store (``litemongo:``) and in memory (``mongomock://``): plain files on
  disk, beside the store's directory (``<root>/<database>/files``; for the in-memory store a
  temporary directory of the process, or ``FILES_DIR``). GridFS over litemongo would load
  every chunk into memory at its first query.

``put(data, name, content_type)`` answers the file's id; ``get(id)`` the ``StoredFile``
(KeyError for an unknown id); ``delete(id)`` forgets it (nothing for an unknown id). A file
is written whole or not at all.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from nameko.extensions import DependencyProvider

from services.shared import storage

BUCKET = "files"
FILE_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    name: str
    content_type: str
    data: bytes


class Files(Protocol):
    """What every place for files does."""

    def put(self, data: bytes, name: str, content_type: str) -> str: ...

    def get(self, file_id: str) -> StoredFile: ...

    def delete(self, file_id: str) -> None: ...


def new_id() -> str:
    return uuid.uuid4().hex


def _checked(file_id: str) -> str:
    """An id as put makes them; KeyError for anything else (never a path)."""
    if not isinstance(file_id, str) or not FILE_ID.match(file_id):
        raise KeyError(file_id)
    return file_id


class DiskFiles:
    """Files in a directory: ``<id[:2]>/<id>`` holds the bytes, ``<id>.json`` its name and
    type; both written to a temporary name, synced, then renamed into place."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _paths(self, file_id: str) -> tuple[Path, Path]:
        folder = self.root / file_id[:2]
        return folder / file_id, folder / f"{file_id}.json"

    def put(self, data: bytes, name: str, content_type: str) -> str:
        file_id = new_id()
        body, meta = self._paths(file_id)
        body.parent.mkdir(parents=True, exist_ok=True)
        self._write(body, data)
        self._write(meta, json.dumps({"name": name, "content_type": content_type},
                                     ensure_ascii=False).encode("utf-8"))
        return file_id

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, file_id: str) -> StoredFile:
        body, meta = self._paths(_checked(file_id))
        try:
            about = json.loads(meta.read_text(encoding="utf-8"))
            data = body.read_bytes()
        except FileNotFoundError:
            raise KeyError(file_id) from None
        return StoredFile(file_id, about["name"], about["content_type"], data)

    def delete(self, file_id: str) -> None:
        try:
            checked = _checked(file_id)
        except KeyError:
            return
        for path in self._paths(checked):
            path.unlink(missing_ok=True)


class GridFiles:
    """Files in GridFS (bucket ``files``) of a MongoDB database."""

    def __init__(self, database: Any):
        import gridfs  # pymongo's; imported here so the embedded store never loads it

        self.grid = gridfs.GridFS(database, collection=BUCKET)

    def put(self, data: bytes, name: str, content_type: str) -> str:
        file_id = new_id()
        self.grid.put(data, _id=file_id, filename=name,
                      metadata={"content_type": content_type})
        return file_id

    def get(self, file_id: str) -> StoredFile:
        import gridfs

        try:
            stored = self.grid.get(_checked(file_id))
        except gridfs.errors.NoFile:
            raise KeyError(file_id) from None
        about = stored.metadata or {}
        return StoredFile(file_id, stored.filename or "", about.get("content_type") or "",
                          stored.read())

    def delete(self, file_id: str) -> None:
        try:
            self.grid.delete(_checked(file_id))
        except KeyError:
            return


def beside_the_store(uri: str, database: str) -> Path | None:
    """The folder of ``database``'s files beside the embedded store's directory; None on
    another backend."""
    _, directory = storage.place_of(uri, database)
    if storage.backend_of(uri) != "litemongo" or directory is None:
        return None
    return directory.parent / BUCKET


def files_for(uri: str, database: str, files_dir: str | None = None) -> Files:
    """The place for the files of ``database`` on the backend ``uri`` names."""
    if storage.backend_of(uri) == "mongodb":
        return GridFiles(storage.connect(uri, database))
    if files_dir:
        return DiskFiles(Path(files_dir) / database)
    beside = beside_the_store(uri, database)
    if beside is not None:
        return DiskFiles(beside)
    return DiskFiles(Path(tempfile.mkdtemp(prefix=f"{database}-files-")))


class FileStorage(DependencyProvider):
    """Injects the service's place for files (``files_for``), from ``MONGO_URI``,
    ``DATABASE``, ``DATABASE_PREFIX`` and, optionally, ``FILES_DIR``."""

    def setup(self) -> None:
        config = self.container.config
        uri = config.get("MONGO_URI") or storage.DEFAULT_MONGO_URI
        database = storage.database_name(config, self.container.service_name)
        self.files = files_for(uri, database, config.get("FILES_DIR"))

    def get_dependency(self, worker_ctx) -> Files:
        return self.files
