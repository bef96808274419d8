"""Fixtures shared by the whole suite.

The process is monkey-patched by eventlet first, as ``nameko run`` does, so that the
services under test run as they do in production. nameko's pytest plugin (loaded by its
entry point) gives ``rabbit_config``: a fresh vhost on the local RabbitMQ for each test,
made through the management API, so that runs and tests never see each other's queues.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import uuid  # noqa: E402

import pytest  # noqa: E402

from services.shared import storage  # noqa: E402


@pytest.fixture
def memory_uri():
    """A MONGO_URI naming an in-memory store of this test's own."""
    uri = f"mongomock://test-{uuid.uuid4().hex}"
    yield uri
    storage.forget_memory(uri)


@pytest.fixture
def database(memory_uri):
    """Connect to a fresh in-memory database by name: ``database("intake")``."""
    return lambda name: storage.connect(memory_uri, name)
