"""Ticket numbers: short, unique, quotable on the phone and ordered by day.

``YP20261123-0042`` is the 42nd ticket received on 23 November 2026 (Shanghai time) in
the district whose prefix is YP. The sequence is allocated atomically per prefix and day.
"""
from __future__ import annotations

import datetime as dt

from services.shared import clock


def prefix_for(district: str, prefixes: dict[str, str], default: str) -> str:
    """The district's prefix from the configured table, or the city-wide default."""
    return prefixes.get(district, default)


def counter_key(prefix: str, moment: dt.datetime) -> str:
    """The counter that numbers this prefix's tickets on this (Shanghai) day."""
    return f"{prefix}{clock.local(moment):%Y%m%d}"


def ticket_no(key: str, sequence: int) -> str:
    """The printed number: the counter key and a sequence of at least four digits."""
    return f"{key}-{sequence:04d}"
