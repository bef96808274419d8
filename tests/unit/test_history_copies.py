"""The stored history's copies (deploy/history.py): each copy of a ticket is the same
ticket in every service's store (its number, its events' ids), its ledger entries chain
whole, and the indicators count each copy once, on the day it was received."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))

import history  # noqa: E402

from services.ledger import chain  # noqa: E402
from services.ledger.contributions import STATE_COUNT, day_of  # noqa: E402
from services.shared import clock  # noqa: E402
from services.shared.states import CLOSED  # noqa: E402

NOW = dt.datetime(2026, 12, 6, 4, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def plan():
    return history.stored_plan(400, history.templates(), NOW)


def test_a_closed_copy_is_the_same_ticket_in_every_store(plan):
    template, number, delta = next(step for step in plan if step[0]["closed"])

    ticket = history.seeded_ticket(template, number, delta)
    state = history.seeded_state(template, number, delta)
    [task] = history.seeded_tasks(template, number, delta)
    entries = history.seeded_entries(template, number, delta)
    row, _ = history.seeded_row(template, number, delta)

    assert ticket["_id"] == state["_id"] == row["_id"] == task["ticket_no"] == number
    ids = {entry["_id"] for entry in entries}
    assert {entry["ticket_no"] for entry in entries} == {number}
    assert task["source_event_id"] in ids  # the resolution that made the callback
    assert set(row["applied_events"]) == ids
    assert not ids & {entry["_id"] for entry in template["entries"]}
    assert ticket["received_at"] == row["received_at"] == template["ticket"]["received_at"] \
        + delta
    assert row["received_day"] == ticket["received_at"].astimezone(dt.UTC).strftime("%Y-%m-%d")
    # what the events say of it moved with it: its timeline reads as one ticket's
    assert entries[0]["event_type"] == "ticket_created"
    assert entries[0]["data"]["received_at"] == clock.iso(ticket["received_at"])


def test_copies_have_numbers_and_event_ids_of_their_own(plan):
    numbers = [number for _, number, _ in plan]
    assert len(set(numbers)) == len(numbers)
    ids = [entry["_id"] for template, number, delta in plan[:50]
           for entry in history.seeded_entries(template, number, delta)]
    assert len(set(ids)) == len(ids)


def test_each_copys_entries_chain_whole(plan):
    for template, number, delta in plan[:20]:
        broken, unchained = chain.problems(history.seeded_entries(template, number, delta))
        assert broken == [] and unchained == 0


def test_the_indicators_count_each_copy_once_on_its_day(plan):
    buckets = history.Buckets()
    received_days = {}
    for template, number, delta in plan:
        row, facts = history.seeded_row(template, number, delta)
        buckets.add(facts)
        received_days[number] = day_of(row["received_at"])

    states = [bucket for bucket in buckets.documents()
              if any(name.startswith(STATE_COUNT) for name in bucket["n"])]
    closed = sum(bucket["n"].get(STATE_COUNT + CLOSED, 0) for bucket in states)
    assert closed == sum(template["closed"] for template, _, _ in plan)
    assert sum(sum(bucket["n"].values()) for bucket in states) == len(plan)
    # where the tickets stand now counts in the bucket of the day each was received
    assert {bucket["day"] for bucket in states} == set(received_days.values())


def test_the_day_counters_go_on_after_the_stored_numbers(plan):
    counters = {counter["_id"]: counter["seq"] for counter in history.counters(plan)}
    for template, number, _ in plan:
        if template["closed"]:
            key, sequence = number.rsplit("-", 1)
            assert counters[key] >= int(sequence)


def test_a_copy_moves_every_time_renames_every_name_and_leaves_its_template_alone():
    when = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
    template = {"_id": "YP1", "at": when, "n": 3, "same": {"words": ["扶手", "浴缸"]},
                "steps": [{"event": "e1", "at": when}, {"event": "other", "n": None}],
                "by": ["YP1", "kept"], "data": {"due_at": "2026-01-07T08:00:00.000Z",
                                                "day": "2026-01-05"}}
    before = repr(template)
    copy = history.copier(template, frozenset({"YP1", "e1"}))

    made = copy(dt.timedelta(days=-2), {"YP1": "YP2", "e1": "f1"})

    assert made == {"_id": "YP2", "at": when - dt.timedelta(days=2), "n": 3,
                    "same": {"words": ["扶手", "浴缸"]},
                    "steps": [{"event": "f1", "at": when - dt.timedelta(days=2)},
                              {"event": "other", "n": None}],
                    "by": ["YP2", "kept"], "data": {"due_at": "2026-01-05T08:00:00.000Z",
                                                    "day": "2026-01-05"}}
    assert list(made) == list(template)  # the fields in their order
    assert repr(template) == before
    unchanging = {"words": ["扶手"]}
    assert history.copier(unchanging, frozenset({"YP1"}))(dt.timedelta(1), {}) == unchanging


def test_buckets_made_in_parts_and_merged_are_the_buckets_made_whole(plan):
    whole, first, second = history.Buckets(), history.Buckets(), history.Buckets()
    for index, (template, number, delta) in enumerate(plan):
        _, facts = history.seeded_row(template, number, delta)
        whole.add(facts)
        (first if index % 2 else second).add(facts)

    merged = history.Buckets()
    merged.merge(first.documents())
    merged.merge(second.documents())

    def comparable(buckets):
        return {bucket["_id"]: {**bucket, "applied": sorted(bucket["applied"]),
                                "hours": sorted(map(repr, bucket.get("hours", [])))}
                for bucket in buckets.documents()}
    assert comparable(merged) == comparable(whole)
    assert any(bucket.get("hours") for bucket in whole.documents())  # hours are compared
