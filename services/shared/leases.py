"""Timers that run in one copy of a service at a time: the copy holding the service's lease.

nameko's ``@timer`` fires in every process that runs the service. With several copies on
one store, each would sweep the outbox, check the deadlines and plan the check-ins. A
copy now runs its timers only while it holds the service's lease: one document,
``leases/timers``, in the service's own store, that names its holder and carries a fence
token (a number that grows by one at each change of holder).

- The holder renews the lease every ``LEASE_SECONDS / 5``, on condition that the fence is
  still its own. A renewal that finds another fence means another copy took over. The
  old holder stops running timers at once.
- Every other copy watches the lease. It takes it over when its renewals have stopped for
  ``LEASE_SECONDS``, measured on the watcher's own monotonic clock, by a write conditional
  on the fence and the renewal it last saw. So a dead copy's timers run again elsewhere
  within about ``LEASE_SECONDS``, and two copies never take the same lease.
- No copy compares another's wall clock. The fault drill steps clocks by an hour, and a
  lease judged by wall time would then pass to a copy whose clock ran ahead.
- The holder counts its own lease as good until ``HELD_SHARE`` of ``LEASE_SECONDS`` after
  the renewal, timed from before the renewal was sent. A watcher counts from when it saw
  the renewal. So the holder's time ends before any watcher can take over. A holder
  paused past that (a stopped process, a long collection) finds on waking that its lease
  has run out, and renews before it goes on.
- A copy that stops gives its lease up, so the next copy takes it at its next renewal.

The lease keeps timer work to one copy. It is not what makes that work correct: each item
a timer writes is still a compare-and-set (a ticket's version, a check-in's planned time,
an event's id). So a copy that loses its lease in the middle of a pass doubles nothing,
and delivery stays at least once.
"""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

import eventlet
import pymongo.errors
from eventlet.event import Event
from nameko.extensions import SharedExtension
from nameko.timer import Timer
from pymongo import ReturnDocument

log = logging.getLogger(__name__)

LEASES = "leases"
TIMERS = "timers"  # the one lease of a service's timers
DEFAULT_LEASE_SECONDS = 10.0
BEATS_PER_LEASE = 5  # renewals (and looks, by a watcher) within one lease's length
HELD_SHARE = 0.8  # of a lease's length after a renewal that its holder counts on


def holder_name() -> str:
    """This copy's name on a lease: its host, its process and a random part, so a
    restarted process (which may get the same pid) is a new holder."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


class Lease:
    """One named lease in ``collection``, as seen by ``holder``. Call ``beat`` every
    ``seconds / BEATS_PER_LEASE``; ``held`` says whether this copy holds it now. ``fence``
    is the fence token while held (None otherwise)."""

    def __init__(self, collection: Any, name: str, holder: str, seconds: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.collection = collection
        self.name = name
        self.holder = holder
        self.seconds = seconds
        self.monotonic = monotonic
        self.fence: int | None = None
        self._good_until = 0.0  # the holder's: monotonic
        self._seen: tuple[int, int] | None = None  # a watcher's: (fence, beat) last seen
        self._seen_at = 0.0  # ... and when it first saw it, monotonic

    def held(self) -> bool:
        """Whether this copy holds the lease now, by its last renewal."""
        return self.fence is not None and self.monotonic() < self._good_until

    def beat(self) -> int | None:
        """Renew the lease if held, else watch it and take it over once its holder has
        stopped renewing for ``seconds`` (or nobody holds it). The fence token when this
        copy holds the lease after the beat; None when another does. Store errors pass
        through (the lease then runs out on its own)."""
        sent_at = self.monotonic()
        if self.fence is not None:
            renewed = self.collection.update_one(
                {"_id": self.name, "holder": self.holder, "fence": self.fence},
                {"$inc": {"beat": 1}})
            if renewed.matched_count:
                self._good_until = sent_at + self.seconds * HELD_SHARE
                return self.fence
            log.warning("lease %s: fence %s was taken over; this copy stops its timers",
                        self.name, self.fence)
            self.fence = None
        return self._watch()

    def _watch(self) -> int | None:
        found = self.collection.find_one({"_id": self.name})
        # A renewal seen is dated when the answer came, never before: the holder dated it
        # from before it sent it, so its time runs out first however slow the read.
        seen_at = self.monotonic()
        if found is None or found.get("holder") is None:
            return self._take(found)
        seen = (found["fence"], found["beat"])
        if seen != self._seen:
            self._seen, self._seen_at = seen, seen_at
            return None
        if seen_at - self._seen_at < self.seconds:
            return None
        return self._take(found)

    def _take(self, found: dict | None) -> int | None:
        """Take the lease: a new one, or one whose holder gave it up or stopped
        renewing (conditional on what was seen, so one watcher wins)."""
        sent_at = self.monotonic()
        if found is None:
            try:
                self.collection.insert_one({"_id": self.name, "holder": self.holder,
                                            "fence": 1, "beat": 0})
            except pymongo.errors.DuplicateKeyError:  # another copy was first
                return None
            return self._taken(1, sent_at)
        taken = self.collection.find_one_and_update(
            {"_id": self.name, "fence": found["fence"], "beat": found["beat"]},
            {"$set": {"holder": self.holder, "beat": 0}, "$inc": {"fence": 1}},
            return_document=ReturnDocument.AFTER)
        if taken is None:
            return None
        return self._taken(taken["fence"], sent_at)

    def _taken(self, fence: int, sent_at: float) -> int:
        self.fence, self._seen = fence, None
        self._good_until = sent_at + self.seconds * HELD_SHARE
        log.info("lease %s taken by %s with fence %s", self.name, self.holder, fence)
        return fence

    def give_up(self) -> None:
        """Leave the lease to the next copy (at its next beat); nothing if not held."""
        if self.fence is not None:
            self.collection.update_one(
                {"_id": self.name, "holder": self.holder, "fence": self.fence},
                {"$set": {"holder": None}})
            self.fence = None


class TimerLease(SharedExtension):
    """The service's timers' lease, one per container, renewed in a thread of its own;
    its store is the service's (the container's ``Storage`` dependency), its length
    ``LEASE_SECONDS``."""

    lease: Lease | None = None

    def __init__(self) -> None:
        super().__init__()
        self._stopping = Event()
        self._thread: Any = None
        self.timers_running = 0  # the service's timers started and not yet stopped

    def timer_started(self) -> None:
        self.timers_running += 1

    def timer_stopped(self) -> None:
        """One of the service's timers stopped (its tick, if any, over): with the last,
        the lease is given up, so no tick of this copy can run once another holds it."""
        self.timers_running -= 1
        if self.timers_running <= 0:
            self.stop()

    def start(self) -> None:
        from services.shared.storage import storages_of  # storage names this module

        storages = storages_of(self.container)
        if not storages:
            raise RuntimeError(f"{self.container.service_name}: timers that run in one "
                               "copy need the service's Storage")
        seconds = float(self.container.config.get("LEASE_SECONDS") or DEFAULT_LEASE_SECONDS)
        self.lease = Lease(storages[0].database[LEASES], TIMERS, holder_name(), seconds)
        self._stopping = Event()
        self._thread = self.container.spawn_managed_thread(self._renew)

    def _renew(self) -> None:
        assert self.lease is not None
        pause = self.lease.seconds / BEATS_PER_LEASE
        while True:
            try:
                self.lease.beat()
            except Exception:  # the store is away: the lease runs out on its own
                log.warning("lease %s: could not renew or watch", self.lease.name,
                            exc_info=True)
            if self._stopping.wait(timeout=pause):
                return

    def held(self) -> bool:
        """Whether this copy runs its timers now."""
        return self.lease is not None and self.lease.held()

    def stop(self) -> None:
        """Stop renewing and give the lease up (once: the last of the service's timers to
        stop calls this, before the store is closed, as nameko stops the entrypoints
        before the dependencies; nameko calls it again after them)."""
        thread, self._thread = self._thread, None  # the timers stop side by side
        if thread is None:
            return
        self._stopping.send(True)
        thread.wait()
        if self.lease is not None:
            try:
                self.lease.give_up()
            except Exception:  # the store is away: the lease runs out on its own
                log.warning("lease %s: could not give it up", self.lease.name, exc_info=True)

    def kill(self) -> None:
        """Die as a killed process does: no renewal, nothing given up (the lease runs
        out and another copy takes it over)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.kill()
        self.lease = None


class LeasedTimer(Timer):
    """nameko's timer, firing only in the copy that holds the service's lease
    (``TimerLease``); in any other copy a tick does nothing. With ``setting``, its interval
    is that config setting's (seconds) when set, read as the service starts."""

    lease = TimerLease()

    def __init__(self, interval: float, setting: str | None = None, **kwargs: Any) -> None:
        self.setting = setting
        self.default_interval = interval
        super().__init__(interval=interval, **kwargs)

    def setup(self) -> None:
        if self.setting is not None:
            self.interval = float(self.container.config.get(self.setting)
                                  or self.default_interval)
        super().setup()

    def start(self) -> None:
        self.lease.timer_started()
        super().start()

    def _run(self) -> None:
        """nameko's loop (a tick every ``interval``, at once after a tick that took
        longer), timed on the monotonic clock: nameko's reads the wall clock, so a clock
        put back an hour would hold the timers for an hour, one put forward fire a burst."""
        started = time.monotonic()
        ticks = 0 if self.eager else 1
        while True:
            pause = max(started + ticks * self.interval - time.monotonic(), 0)
            with eventlet.Timeout(pause, exception=False):
                self.should_stop.wait()
                break
            self.handle_timer_tick()
            self.worker_complete.wait()
            self.worker_complete.reset()
            ticks += 1

    def handle_timer_tick(self) -> None:
        if self.lease.held():
            super().handle_timer_tick()
        else:
            self.worker_complete.send()

    def stop(self) -> None:
        super().stop()
        self.lease.timer_stopped()


timer = LeasedTimer.decorator
