"""The record against the tickets dispatch holds: how many tickets each day's numbers
(``YP20261123``-…) count in each, and the days where the two differ. A store that lost its
tickets (an emptied file, a botched restore) shows here even where every chain is whole.

Plain functions: dispatch counts what it holds, the ledger what it recorded (``verify``)."""
from __future__ import annotations

import collections
from collections.abc import Iterable


def day_of(ticket_no: str) -> str:
    """The part of a ticket number that names its district and day: YP20261123."""
    return ticket_no.rsplit("-", 1)[0]


def by_day(numbers: Iterable[str]) -> dict[str, int]:
    """How many of ``numbers`` each day has."""
    return dict(collections.Counter(day_of(number) for number in numbers))


def differences(recorded: dict[str, int], held: dict[str, int]) -> list[dict]:
    """The days whose count of tickets the ledger recorded created differs from the count
    dispatch holds, in order: {day, ledger, dispatch}."""
    return [{"day": day, "ledger": recorded.get(day, 0), "dispatch": held.get(day, 0)}
            for day in sorted(set(recorded) | set(held))
            if recorded.get(day, 0) != held.get(day, 0)]
