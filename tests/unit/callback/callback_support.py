"""What callback's unit tests share: Shanghai wall-clock times, and a clock tests move."""
from __future__ import annotations

import datetime as dt

from services.shared import clock


def shanghai(text: str) -> dt.datetime:
    """An aware UTC instant from Shanghai wall-clock text."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=clock.SHANGHAI).astimezone(clock.UTC)


class FrozenClock:
    """``clock.now`` as the service sees it: ``moment``, which the test sets."""

    def __init__(self, monkeypatch, moment: dt.datetime):
        self.moment = moment
        monkeypatch.setattr(clock, "now", lambda: self.moment)


# The automated callback workers' account: the only role that claims and completes tasks.
CALLBACK_WORKER = {"id": "dialer", "name": "自动回访外呼", "role": "callback_worker",
                   "unit_id": None}
