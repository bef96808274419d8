"""The ledger's recent entries on the embedded store with a long history behind them:
after a quiet week (the night before the hotline opens, a holiday) it reads the weeks it
looks at, not the years, and still finds the newest first."""
from __future__ import annotations

import datetime as dt

import bson

from services.ledger.store import RECORDED_MINUTE, LedgerStore, recorded_minute
from services.shared import clock, embedded_store, storage

NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)


def entry(number: int, recorded_at: dt.datetime) -> dict:
    return {"_id": f"e{number}", "ticket_no": f"YP-{number:05d}", "seq": 1,
            "event_type": "ticket_created", "source": "intake", "occurred_at": recorded_at,
            "recorded_at": recorded_at, RECORDED_MINUTE: recorded_minute(recorded_at),
            "data": {}}


def test_after_a_quiet_week_recent_reads_the_weeks_it_looks_at_not_the_years(
        tmp_path, monkeypatch):
    store = LedgerStore(storage.connect(f"litemongo:{tmp_path}", "ledger"))
    store.ensure_indexes()
    # ten entries a day for 400 days, the newest eight days ago
    history = [entry(day * 10 + n, NOW - dt.timedelta(days=8 + day, hours=n))
               for day in range(400) for n in range(10)]
    embedded_store.insert_new(store.entries, history)
    monkeypatch.setattr(clock, "now", lambda: NOW)
    decoded = []
    real_decode = bson.decode
    monkeypatch.setattr(bson, "decode", lambda *a, **k: decoded.append(1) or real_decode(*a,
                                                                                          **k))

    newest = store.recent(3)

    assert [item["_id"] for item in newest] == ["e0", "e1", "e2"]
    assert len(decoded) < 400  # the month before the quiet week, of 4,000 entries
