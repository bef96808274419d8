"""The project's clock can be stepped, for this process or from a file, without touching
the machine's; the machine's clock is what it reads otherwise."""
from __future__ import annotations

import datetime as dt

import pytest

from services.shared import clock

HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def machine_clock(monkeypatch):
    monkeypatch.delenv(clock.STEP_FILE_ENV, raising=False)
    monkeypatch.setattr(clock, "_step_file", {"read_at": None, "step": dt.timedelta(0)})
    clock.unstep()
    yield
    clock.unstep()


def near(moment: dt.datetime, expected: dt.datetime) -> bool:
    return abs(moment - expected) < dt.timedelta(seconds=5)


def test_unstepped_it_reads_the_machines_clock_in_utc_to_the_millisecond():
    moment = clock.now()
    assert moment.tzinfo is dt.UTC and moment.microsecond % 1000 == 0
    assert near(moment, dt.datetime.now(dt.UTC))


def test_a_step_forward_and_back_moves_this_processs_clock_by_as_much():
    clock.step_by(HOUR)
    assert near(clock.now(), dt.datetime.now(dt.UTC) + HOUR)
    clock.step_by(-2 * HOUR)
    assert near(clock.now(), dt.datetime.now(dt.UTC) - HOUR)
    clock.unstep()
    assert near(clock.now(), dt.datetime.now(dt.UTC))


def test_a_process_started_with_a_step_file_follows_what_the_file_says(tmp_path, monkeypatch):
    path = tmp_path / "clock-step"
    monkeypatch.setenv(clock.STEP_FILE_ENV, str(path))
    assert near(clock.now(), dt.datetime.now(dt.UTC)), "no file yet: the machine's clock"
    clock.write_step_file(path, HOUR)
    monkeypatch.setattr(clock, "STEP_FILE_READ_SECONDS", 0)
    assert near(clock.now(), dt.datetime.now(dt.UTC) + HOUR)
    clock.write_step_file(path, -HOUR)
    assert near(clock.now(), dt.datetime.now(dt.UTC) - HOUR)
    assert not (tmp_path / "clock-step.partial").exists()


def test_a_step_file_that_is_not_a_number_steps_nothing(tmp_path, monkeypatch):
    path = tmp_path / "clock-step"
    path.write_text("an hour\n", encoding="utf-8")
    monkeypatch.setenv(clock.STEP_FILE_ENV, str(path))
    assert near(clock.now(), dt.datetime.now(dt.UTC))
