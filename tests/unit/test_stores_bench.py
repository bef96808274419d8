"""deploy/stores.py, the embedded stores side by side: its smallest run on one store gives
every figure of the table and writes them, and a store's refusals are reported, not
dropped. Run here so that the script cannot rot."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))

import stores  # noqa: E402


def test_a_small_run_on_the_embedded_store_gives_every_figure(tmp_path, capsys):
    out = tmp_path / "stores.json"

    assert stores.main(["--tickets", "300", "--stores", "embedded", "--calls", "5",
                        "--out", str(out)]) == 0

    written = json.loads(out.read_text(encoding="utf-8"))
    [row] = written["rows"]
    assert row["store"] == "embedded" and row["tickets"] == 300
    for figure in ("load_s", "ledger_start_s", "dispatch_start_s", "ledger_rss_mb",
                   "dispatch_rss_mb", "append_p99_ms", "queue_p99_ms", "timeline_p99_ms",
                   "disk_mb"):
        assert row[figure] is not None, figure
    assert row["queue_size"] > 0  # the unit's open tickets were found
    assert row["failures"] == {} and row["stopped"] == {} and row["refuses"] == {}
    assert "| embedded | 300 |" in capsys.readouterr().out


def test_what_a_store_refuses_is_in_the_table():
    row = {"store": "somestore", "tickets": 10, "failures": {},
           "refuses": {"find_one_and_update": "NotImplementedError: not yet"},
           "stopped": {"load": "too slow: stopped after 300 s at 7 of 10 tickets"}}

    shown = stores.table([row])

    assert "somestore at 10: refuses find_one_and_update: NotImplementedError" in shown
    assert "somestore at 10: stopped load: too slow" in shown


def test_every_candidate_is_in_the_registry():
    assert {"embedded", "litemongo", "montydb-sqlite", "montydb-lmdb",
            "mongita"} <= set(stores.STORES)
