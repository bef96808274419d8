"""A service's leased timer in a running container, without a broker: it ticks while its
copy holds the lease, on the monotonic clock, and its copy gives the lease up when its
timers stop."""
from __future__ import annotations

import time
import uuid

import eventlet

from services.shared import leases, storage


class Ticking:
    """A store the timer's service keeps: each tick counted."""

    def __init__(self, db) -> None:
        self.db = db
        self.ticks = 0

    def ensure_indexes(self) -> None:
        pass


class TickingService:
    name = "ticking"
    store: Ticking = storage.Storage(Ticking)

    @leases.timer(interval=0.05)
    def tick(self) -> None:
        self.store.ticks += 1


def started(container_factory):
    config = {"MONGO_URI": f"mongomock://ticking-{uuid.uuid4().hex[:8]}",
              "LEASE_SECONDS": 1, "AMQP_URI": "memory://"}
    container = container_factory(TickingService, config)
    container.start()
    store = next(found for found in container.dependencies
                 if isinstance(found, storage.Storage))
    return container, store


def ticks_after(store, seconds: float) -> int:
    before = store.store.ticks
    eventlet.sleep(seconds)
    return store.store.ticks - before


def test_the_timer_keeps_ticking_when_the_wall_clock_is_put_back_an_hour(
        container_factory, monkeypatch):
    container, store = started(container_factory)
    assert ticks_after(store, 0.5) > 3  # it holds the lease (a new one) and ticks
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 3600)
    assert ticks_after(store, 0.5) > 3  # nameko's own loop would sleep for an hour here
    container.stop()


def test_a_stopped_copy_gives_its_lease_up(container_factory):
    container, store = started(container_factory)
    ticks_after(store, 0.2)
    leases_kept = store.database[leases.LEASES]
    assert leases_kept.find_one({"_id": leases.TIMERS})["holder"] is not None
    container.stop()
    assert leases_kept.find_one({"_id": leases.TIMERS})["holder"] is None
