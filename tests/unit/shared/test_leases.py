"""The timers' lease: one copy holds it, another takes it over only when its holder has
stopped renewing for a lease's length, and a holder that was taken over knows it."""
from __future__ import annotations

import mongomock
import pytest

from services.shared.leases import HELD_SHARE, Lease

SECONDS = 10.0


class Clock:
    """A monotonic clock each copy reads, moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def leases():
    return mongomock.MongoClient().db.leases


def copy(leases, name: str, clock: Clock) -> Lease:
    return Lease(leases, "timers", name, SECONDS, monotonic=clock)


def test_the_first_copy_takes_a_new_lease_and_the_others_watch(leases):
    clock = Clock()
    first, second = copy(leases, "a", clock), copy(leases, "b", clock)
    assert first.beat() == 1 and first.held()
    assert second.beat() is None and not second.held()
    assert leases.find_one({"_id": "timers"})["holder"] == "a"


def test_a_renewing_holder_keeps_its_lease_however_long(leases):
    clock = Clock()
    first, second = copy(leases, "a", clock), copy(leases, "b", clock)
    first.beat()
    for _ in range(20):
        clock.now += SECONDS / 5
        assert first.beat() == 1
        assert second.beat() is None
    assert first.held() and not second.held()


def test_a_watcher_takes_over_a_lease_unrenewed_for_its_length_with_a_new_fence(leases):
    clock = Clock()
    first, second = copy(leases, "a", clock), copy(leases, "b", clock)
    first.beat()
    second.beat()  # sees the lease at its first renewal
    clock.now += SECONDS - 0.1
    assert second.beat() is None  # not yet a whole length
    clock.now += 0.1
    assert second.beat() == 2 and second.held()
    # the old holder's time ran out before the watcher could take over
    assert not first.held()
    assert first.beat() is None and first.fence is None


def test_a_holder_counts_on_its_lease_only_part_of_a_length_after_renewing(leases):
    clock = Clock()
    first = copy(leases, "a", clock)
    first.beat()
    clock.now += SECONDS * HELD_SHARE - 0.01
    assert first.held()
    clock.now += 0.02
    assert not first.held()  # paused too long: renew before going on
    assert first.beat() == 1 and first.held()  # nobody took it meanwhile


def test_two_watchers_of_a_dead_holder_one_takes_it(leases):
    clock = Clock()
    dead, b, c = copy(leases, "a", clock), copy(leases, "b", clock), copy(leases, "c", clock)
    dead.beat()
    b.beat(), c.beat()
    clock.now += SECONDS
    taken = [b.beat(), c.beat()]
    assert taken == [2, None]
    assert b.held() and not c.held()


def test_a_lease_given_up_is_taken_at_the_next_beat(leases):
    clock = Clock()
    first, second = copy(leases, "a", clock), copy(leases, "b", clock)
    first.beat()
    second.beat()
    first.give_up()
    assert not first.held()
    assert second.beat() == 2


def test_no_wall_clock_is_compared_a_stepped_copy_cannot_take_a_renewed_lease(leases):
    """Each copy times the others' renewals on its own monotonic clock: a copy whose
    clock runs far ahead still sees the holder renew, and waits."""
    holder_clock, ahead = Clock(), Clock()
    ahead.now += 3600
    holder, watcher = copy(leases, "a", holder_clock), copy(leases, "b", ahead)
    holder.beat()
    for _ in range(10):
        holder_clock.now += 2
        ahead.now += 2
        holder.beat()
        assert watcher.beat() is None


class ReadAcrossARenewal:
    """The leases collection whose read takes 3 s, the holder renewing meanwhile: the read
    is served after the renewal, so it sees it, though it was asked before."""

    def __init__(self, collection, clock: Clock, holder: Lease) -> None:
        self.collection, self.clock, self.holder = collection, clock, holder

    def find_one(self, *args, **kwargs):
        self.clock.now += 3
        self.holder.beat()
        return self.collection.find_one(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.collection, name)


def test_a_renewal_seen_by_a_slow_read_is_dated_when_the_answer_came(leases):
    clock = Clock()
    holder = copy(leases, "a", clock)
    holder.beat()
    slow = Lease(ReadAcrossARenewal(leases, clock, holder), "timers", "b", SECONDS,
                 monotonic=clock)
    slow.beat()  # asked at 100, answered at 103 with the renewal the holder sent at 103
    watcher = Lease(leases, "timers", "b", SECONDS, monotonic=clock)
    watcher._seen, watcher._seen_at = slow._seen, slow._seen_at
    both = []
    for _ in range(40):  # the holder pauses; the watcher looks every 0.25 s
        clock.now += 0.25
        taken = watcher.beat()
        both.append(taken is not None and holder.held())
    assert watcher.fence == 2 and not any(both)
