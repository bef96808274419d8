"""Fixtures for callback's unit tests: the store over the test's database."""
from __future__ import annotations

import pytest

from services.callback.store import TaskStore


@pytest.fixture
def store(database) -> TaskStore:
    store = TaskStore(database("callback"))
    store.ensure_indexes()
    return store
