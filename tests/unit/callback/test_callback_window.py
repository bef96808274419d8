import datetime as dt

import pytest
from callback_support import shanghai

from services.callback.window import CallingWindow, calling_window, is_open, next_call_time
from services.shared import clock

DAYTIME = {"start": "09:00", "end": "20:00"}


def test_inside_the_window_the_call_is_placed_at_once():
    moment = shanghai("2026-11-23 10:15:30")
    assert next_call_time(moment, DAYTIME) == moment


def test_the_opening_minute_is_inside_and_the_closing_minute_is_not():
    assert next_call_time(shanghai("2026-11-23 09:00"), DAYTIME) == shanghai("2026-11-23 09:00")
    assert next_call_time(shanghai("2026-11-23 20:00"), DAYTIME) == shanghai("2026-11-24 09:00")
    last_second = shanghai("2026-11-23 19:59:59")
    assert next_call_time(last_second, DAYTIME) == last_second


def test_before_opening_waits_for_the_same_morning():
    assert next_call_time(shanghai("2026-11-23 06:40"), DAYTIME) == shanghai("2026-11-23 09:00")
    assert next_call_time(shanghai("2026-11-23 08:59:30"), DAYTIME) == shanghai("2026-11-23 09:00")


def test_after_closing_waits_for_the_next_morning():
    assert next_call_time(shanghai("2026-11-23 21:30"), DAYTIME) == shanghai("2026-11-24 09:00")
    # the last day of a month and of a year roll over too
    assert next_call_time(shanghai("2026-12-31 23:59"), DAYTIME) == shanghai("2027-01-01 09:00")


def test_the_window_is_shanghai_time_not_utc():
    # 17:30 UTC on the 23rd is 01:30 on the 24th in Shanghai: wait for 09:00 on the 24th,
    # which is 01:00 UTC on the 24th, not a day later.
    late_utc = dt.datetime(2026, 11, 23, 17, 30, tzinfo=clock.UTC)
    assert next_call_time(late_utc, DAYTIME) == dt.datetime(2026, 11, 24, 1, 0, tzinfo=clock.UTC)
    # 12:30 UTC is 20:30 in Shanghai: closed, though it is midday in UTC.
    midday_utc = dt.datetime(2026, 11, 23, 12, 30, tzinfo=clock.UTC)
    assert next_call_time(midday_utc, DAYTIME) == dt.datetime(2026, 11, 24, 1, 0, tzinfo=clock.UTC)
    # 23:00 UTC is 07:00 the next day in Shanghai: that same Shanghai morning.
    night_utc = dt.datetime(2026, 11, 23, 23, 0, tzinfo=clock.UTC)
    assert next_call_time(night_utc, DAYTIME) == dt.datetime(2026, 11, 24, 1, 0, tzinfo=clock.UTC)
    assert next_call_time(night_utc, DAYTIME).tzinfo is not None


def test_a_whole_day_window_is_always_open():
    whole_day = {"start": "00:00", "end": "24:00"}
    for text in ("2026-11-23 00:00", "2026-11-23 03:17", "2026-11-23 23:59:59"):
        assert next_call_time(shanghai(text), whole_day) == shanghai(text)


def test_is_open_and_the_defaults():
    assert calling_window(None) == CallingWindow.of("09:00", "20:00")
    assert is_open(shanghai("2026-11-23 12:00"), {})
    assert not is_open(shanghai("2026-11-23 22:00"), {})


@pytest.mark.parametrize("window", [
    {"start": "20:00", "end": "09:00"}, {"start": "09:00", "end": "09:00"},
    {"start": "25:00", "end": "26:00"}, {"start": "9am", "end": "20:00"},
    {"start": "09:60", "end": "20:00"},
])
def test_windows_that_are_not_daytime_spans_are_refused(window):
    with pytest.raises(ValueError):
        calling_window(window)
