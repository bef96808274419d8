"""Fixtures shared by the whole suite.

The process is monkey-patched by eventlet first, as ``nameko run`` does, so that the
services under test run as they do in production. nameko's pytest plugin (loaded by its
entry point) gives ``rabbit_config``: a fresh vhost on the local RabbitMQ for each test,
made through the management API, so that runs and tests never see each other's queues.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402

from services.shared import storage  # noqa: E402


@pytest.fixture
def storage_config():
    """Where this test's services keep their data: ``MONGO_URI`` and ``DATABASE_PREFIX``.

    In memory by default. Run the suite with ``TEST_MONGO_URI=mongodb://host:27017/`` and
    the same tests use that real MongoDB, each test in databases of its own, dropped after.
    """
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    uri = os.environ.get("TEST_MONGO_URI") or f"mongomock://test-{prefix}"
    yield {"MONGO_URI": uri, "DATABASE_PREFIX": prefix}
    if storage.backend_of(uri) == "memory":
        storage.forget_memory(uri)
    else:
        client = storage.open_client(uri, prefix)
        for name in client.list_database_names():
            if name.startswith(prefix):
                client.drop_database(name)


@pytest.fixture
def database(storage_config):
    """Connect to this test's database of a service by name: ``database("intake")``."""
    return lambda name: storage.connect(storage_config["MONGO_URI"],
                                        storage.database_name(storage_config, name))
