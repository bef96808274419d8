"""Three copies of every service on one store reached over the network (the wire store, a
stand-in for a MongoDB replica set), as a district runs them: requests and events are
shared among the copies, the timers' work is done by one copy at a time and taken over
when it dies, ticket numbers stay unique, and what a copy keeps in memory follows what
another copy wrote."""
from __future__ import annotations

import random
import time
import uuid
from collections import Counter

import pytest
from bench_calls import ticket_request  # deploy/, on the path (integration_support)
from integration_support import (
    CALL_CENTRE,
    SERVICES,
    WireStoreProcess,
    eventually,
)
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook
from test_register_care import ADMIN, resident
from test_ticket_life import staff

from services.dispatch.store import TicketStateStore
from services.shared.leases import TimerLease
from services.shared.schemas import SYSTEM_ACTOR

COPIES = 3
LEASE_SECONDS = 1.5
GRID = "yinhang-grid-1"


@pytest.fixture(scope="module")
def wire():
    server = WireStoreProcess()
    yield server
    server.stop()


@pytest.fixture
def config(rabbit_config, settings, wire, tmp_path):
    policy = tmp_path / "policy.yml"
    # the accept deadline passes 1.8 s after dispatch (warned at 80% of it): both are
    # said while the test waits
    policy.write_text("rules:\n  - deadlines: {accept: {hours: 0.0005}, contact: {hours: 1},"
                      " resolve: {hours: 2}}\n")
    return {**settings, **rabbit_config, "POLICY_FILE": str(policy),
            "MONGO_URI": wire.uri, "DATABASE_PREFIX": f"c{uuid.uuid4().hex[:8]}_",
            "STORE_INIT": "1", "LEASE_SECONDS": LEASE_SECONDS,
            "CHECKIN_PLAN_SECONDS": 0.2}


@pytest.fixture
def copies(config, runner_factory):
    """Every service three times over, each copy its own container and store client."""
    made = [runner_factory(config, *SERVICES) for _ in range(COPIES)]
    for runner in made:
        runner.start()
    yield made
    for runner in made:
        runner.stop()


@pytest.fixture
def rpc(config, copies):
    with ClusterRpcProxy(config, timeout=10) as proxy:
        yield proxy


def container_of(runner, service: str):
    return next(found for found in runner.containers if found.service_name == service)


def holders(copies, service: str) -> list[int]:
    """Which copies (by index) run the service's timers now."""
    held = []
    for index, runner in enumerate(copies):
        container = container_of(runner, service)
        leases = [found for found in container.subextensions if isinstance(found, TimerLease)]
        if leases and leases[0].held():
            held.append(index)
    return held


def created(rpc, count: int, seed: int) -> list[str]:
    """``count`` tickets sent at once, so every copy of intake takes some."""
    chance = random.Random(seed)
    replies = [rpc.intake.create_ticket.call_async(ticket_request(chance), CALL_CENTRE)
               for _ in range(count)]
    return [reply.result()["ticket_no"] for reply in replies]


def said(rpc, number: str) -> Counter:
    """The ledger's timeline of a ticket: how many events of each (type, deadline), each
    counted once by its event id."""
    return Counter((entry["event_type"], entry["data"].get("deadline"))
                   for entry in rpc.ledger.timeline(number, SYSTEM_ACTOR))


def test_each_timer_runs_in_one_copy_and_says_each_warning_and_overdue_once(
        copies, rpc, monkeypatch):
    for service in ("intake", "dispatch", "callback", "register", "accounts"):
        assert len(eventually(lambda name=service: holders(copies, name), timeout=5)) == 1
    # which copies' deadline checks run (each pass asks its store what is due)
    checked_by: Counter = Counter()
    due_for_check = TicketStateStore.due_for_check

    def counted(store, now):
        checked_by[id(store)] += 1
        return due_for_check(store, now)

    monkeypatch.setattr(TicketStateStore, "due_for_check", counted)
    numbers = created(rpc, 12, seed=1)

    def all_overdue():
        return all(said(rpc, number)[("ticket_overdue", "accept")] for number in numbers)

    eventually(all_overdue)
    time.sleep(1)  # the deadline check runs every 0.2 s; each copy would have said it again
    for number in numbers:
        counts = said(rpc, number)
        assert counts[("ticket_warning", "accept")] == 1, (number, counts)
        assert counts[("ticket_overdue", "accept")] == 1, (number, counts)
        assert counts[("ticket_created", None)] == 1 and counts[("ticket_dispatched", None)] == 1
    [(_, passes)] = checked_by.items()  # one copy checked, every 0.2 s
    assert passes >= 5


def test_each_check_in_is_planned_once(rpc):
    # planned a day ahead, twice a day: the plan timer of every copy would look at it
    card = rpc.register.add_resident(resident(checkin_plan={"days": [1, 2, 3, 4, 5, 6, 7],
                                                            "times": ["09:00", "15:00"]}),
                                     ADMIN)
    planned = eventually(lambda: rpc.callback.checkins_for(card["resident_id"], ADMIN))
    time.sleep(1)  # the plan timer runs every 0.2 s
    planned = rpc.callback.checkins_for(card["resident_id"], ADMIN)
    times = Counter(task["planned_for"] for task in planned)
    assert len(times) >= 2 and set(times.values()) == {1}, times


def test_a_copy_killed_while_running_the_timers_is_taken_over(copies, rpc):
    [holder] = eventually(lambda: holders(copies, "dispatch"), timeout=5)
    container_of(copies[holder], "dispatch").kill()
    # the others take the lease over once its renewals have stopped for its length
    [taker] = eventually(lambda: holders(copies, "dispatch"), timeout=LEASE_SECONDS * 4)
    assert taker != holder
    [number] = created(rpc, 1, seed=2)
    eventually(lambda: said(rpc, number)[("ticket_overdue", "accept")])
    time.sleep(1)
    assert said(rpc, number)[("ticket_overdue", "accept")] == 1


def test_ticket_numbers_stay_unique_and_increasing_across_copies(rpc):
    numbers = created(rpc, 40, seed=3)
    assert len(set(numbers)) == 40
    # one counter a day and district, taken in turn by every copy: 1 to 40, no repeat
    by_prefix: dict[str, list[int]] = {}
    for number in numbers:
        prefix, _, sequence = number.rpartition("-")
        by_prefix.setdefault(prefix, []).append(int(sequence))
    taken = sorted(sequence for sequences in by_prefix.values() for sequence in sequences)
    assert taken == sorted(sequence for sequences in by_prefix.values()
                           for sequence in range(1, len(sequences) + 1))


def test_what_a_copy_keeps_in_memory_follows_what_another_copy_wrote(copies, rpc):
    [number] = created(rpc, 1, seed=4)
    unit = eventually(lambda: rpc.dispatch.get_status(number, staff(GRID)))["unit_id"]
    worker = staff(unit)

    def queue_in(copy: int) -> dict:
        with entrypoint_hook(container_of(copies[copy], "dispatch"), "queue") as queue:
            return {row["ticket_no"]: row for row in queue(unit, worker)}

    assert queue_in(0)[number]["state"] == "dispatched"  # copy 0 keeps the row it built
    with entrypoint_hook(container_of(copies[1], "dispatch"), "accept") as accept:
        accept(number, worker)
    assert queue_in(0)[number]["state"] == "accepted"  # and sees copy 1's step
    with entrypoint_hook(container_of(copies[2], "dispatch"), "get_status") as get_status:
        assert get_status(number, worker)["state"] == "accepted"


def test_a_repeat_call_is_merged_whichever_copy_of_intake_takes_it(copies, rpc):
    # each copy keeps the fields of the open tickets it compared a call with; the count
    # of calls, which another copy's merge changes, is read from the store each time
    request = ticket_request(random.Random(5))
    numbers = []
    for copy in (0, 1, 2, 0, 1):
        with entrypoint_hook(container_of(copies[copy], "intake"), "create_ticket") as create:
            numbers.append(create(request, CALL_CENTRE)["ticket_no"])
    assert len(set(numbers)) == 1
    assert rpc.intake.get_ticket(numbers[0], SYSTEM_ACTOR)["calls"] == 5
