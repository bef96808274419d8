"""Fixtures shared by the whole suite.

nameko's pytest plugin (loaded by its entry point) monkey-patches the process with
eventlet before tests are collected, and gives ``rabbit_config``: a fresh vhost on the
local RabbitMQ for each test, made through the management API, so that runs and tests
never see each other's queues.
"""
from __future__ import annotations

import uuid

import pytest

from services.shared import storage


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
