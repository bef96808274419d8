"""The bench's targets beside its figures (deploy/bench_targets.py): a figure under a
ceiling or at least a floor passes, one past it misses, one not measured says so, and a
figure measured on fewer stored tickets than the target speaks of says how many."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))

import bench_targets  # noqa: E402
from bench_targets import SERVICES, TARGET_STORED  # noqa: E402

AT_TARGET = {"stored": TARGET_STORED, "searched": TARGET_STORED}


def verdict_of(verdicts: list, starting: str) -> bench_targets.Verdict:
    [found] = [verdict for verdict in verdicts if verdict.target.startswith(starting)]
    return found


def test_a_ceiling_passes_under_it_and_misses_at_it():
    under = bench_targets.judge({"create_p99_at_100": 49.9}, AT_TARGET)
    at = bench_targets.judge({"create_p99_at_100": 50.0}, AT_TARGET)

    assert verdict_of(under, "create_ticket p99").verdict == "PASS"
    assert verdict_of(at, "create_ticket p99").verdict == "MISS"


def test_a_floor_passes_at_it_and_misses_under_it():
    at = bench_targets.judge({"pipeline_to_floor": 0.5, "console_per_s": 150}, AT_TARGET)
    under = bench_targets.judge({"pipeline_to_floor": 0.32, "console_per_s": 42},
                                AT_TARGET)

    assert verdict_of(at, "pipeline saturates").verdict == "PASS"
    assert verdict_of(at, "console, 4 workers: >=").verdict == "PASS"
    assert verdict_of(under, "pipeline saturates").verdict == "MISS"
    assert verdict_of(under, "console, 4 workers: >=").verdict == "MISS"


def test_each_service_is_judged_on_its_own_start_and_memory():
    starts = {name: 1.0 for name in SERVICES} | {"ledger": 43.0}
    memory = {name: 90 for name in SERVICES} | {"ledger": 3000}

    verdicts = bench_targets.judge({"start_s": starts, "memory_mb": memory}, AT_TARGET)

    assert verdict_of(verdicts, "ledger starts").verdict == "MISS"
    assert verdict_of(verdicts, "ledger stays").verdict == "MISS"
    for name in set(SERVICES) - {"ledger"}:
        assert verdict_of(verdicts, f"{name} starts").verdict == "PASS"
        assert verdict_of(verdicts, f"{name} stays").verdict == "PASS"


def test_every_target_has_a_line_and_a_missing_figure_is_not_measured():
    verdicts = bench_targets.judge({}, AT_TARGET)

    per_service = len(bench_targets.PER_SERVICE) * len(SERVICES)
    assert len(verdicts) == len(bench_targets.TARGETS) - len(bench_targets.PER_SERVICE) \
        + per_service
    assert {verdict.verdict for verdict in verdicts} == {"not measured"}
    assert all(verdict.target in line for verdict, line in
               zip(verdicts, bench_targets.lines(verdicts), strict=True))


def test_fewer_stored_tickets_than_the_target_are_said():
    verdicts = bench_targets.judge({"queue_p99": 4.0, "pipeline_to_floor": 0.6},
                                   {"stored": 20_000, "searched": TARGET_STORED})

    queue = verdict_of(verdicts, "queue of 300")
    assert queue.verdict == "PASS" and "20,000" in queue.note
    assert "300,000" in queue.target
    assert verdict_of(verdicts, "pipeline saturates").note == ""
    assert "20,000" in next(line for line in bench_targets.lines(verdicts)
                            if "queue of 300" in line)


def test_the_figures_are_read_out_of_a_bench_report():
    report = {
        "pipeline": {"ratio_to_floor": 0.41, "steps": [
            {"offered_per_s": 50, "latency_ms": {"p99": 9.0}, "to_recorded_ms": {"p99": 30}},
            {"offered_per_s": 100, "latency_ms": {"p99": 17.0},
             "to_recorded_ms": {"p99": 120.0}}]},
        "stored_reads": {"queue_ms": {"p99": 54.0}, "timeline_ms": {"p99": 8.0},
                         "services": {"ledger": {"start_s": 43.0, "peak_mb": 3000}}},
        "console_workers": [{"workers": 1, "per_s": 21.0, "queue_ms": {"p50": 660.0}},
                            {"workers": 4, "per_s": 41.0, "queue_ms": {"p50": 380.0}}],
        "live_pages": {"reader_with_pollers_ms": {"p99": 900.0}},
        "search": {"questions": {"words": {"p99": 40.0}, "phone": {"p99": 120.0}}},
    }

    figures = bench_targets.figures_of(report)

    assert figures["pipeline_to_floor"] == 0.41
    assert figures["create_p99_at_100"] == 17.0
    assert figures["recorded_p99_at_100"] == 120.0
    assert figures["queue_p99"] == 54.0 and figures["timeline_p99"] == 8.0
    assert figures["start_s"] == {"ledger": 43.0}
    assert figures["memory_mb"] == {"ledger": 3000}
    assert figures["console_queue_p50"] == 380.0 and figures["console_per_s"] == 41.0
    assert figures["live_pages"] == 900.0
    assert figures["search_p99"] == 120.0  # the slowest question's
    verdicts = bench_targets.judge(figures, AT_TARGET)
    assert verdict_of(verdicts, "queue of 300").verdict == "MISS"
    assert verdict_of(verdicts, "intake starts").verdict == "not measured"
