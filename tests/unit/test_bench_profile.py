"""Where a service's time went (deploy/bench_profile.py): py-spy's stacks summed by
function into the share of the samples each frame was running, and the share under each
of the project's own frames."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))

import bench_profile  # noqa: E402

RAW = "\n".join([
    "process 1:\"python\";run (nameko/cli.py:10);create_ticket (services/intake/service.py:137)"
    ";execute (litemongo/sqlite_store.py:400) 6",
    "process 1:\"python\";run (nameko/cli.py:10);create_ticket (services/intake/service.py:132)"
    ";publish (kombu/messaging.py:170) 3",
    "process 1:\"python\";run (nameko/cli.py:10);sweep (services/shared/outbox.py:91)"
    ";publish (kombu/messaging.py:171) 1",
    "not a stack",
])


def test_frames_are_summed_by_function_and_shared_out_of_every_sample():
    figures = bench_profile.top_frames(RAW)

    assert figures["samples"] == 10
    assert figures["self"] == [["execute (litemongo/sqlite_store.py)", 60.0],
                               ["publish (kombu/messaging.py)", 40.0]]
    assert figures["total"] == [["create_ticket (services/intake/service.py)", 90.0],
                                ["sweep (services/shared/outbox.py)", 10.0]]


def test_no_samples_no_frames():
    assert bench_profile.top_frames("") == {"samples": 0, "self": [], "total": []}
