"""The wall charts: bars and lines drawn to scale, labelled, safe to put in a page."""
from __future__ import annotations

import itertools
import re

from services.console.charts import (
    NARROW,
    NO_DATA,
    Series,
    axis,
    bar_chart,
    line_chart,
    number,
)


def bars(svg: str) -> list[tuple[float, str]]:
    return [(float(width), value) for width, value in
            re.findall(r'<rect class="bar"[^>]*width="([\d.]+)"[^>]*data-value="([^"]*)"', svg)]


def test_bars_are_drawn_to_one_scale_with_their_values_written():
    svg = bar_chart(["殷行街道第一网格工作站", "凯晨物业"],
                    [Series("受理量", [12, 3]), Series("按时办结", [9, 0])], title="受理与办结")
    drawn = bars(svg)
    assert [value for _, value in drawn] == ["12", "9", "3", "0"]  # unit by unit, series by series
    per_unit = {width / float(value) for width, value in drawn if float(value)}
    assert max(per_unit) - min(per_unit) < 0.1  # one scale for every bar
    assert ">12<" in svg and ">9<" in svg
    assert "受理量" in svg and "按时办结" in svg  # the legend
    assert "殷行街道第一网格工作站" in svg


def test_rates_are_shown_as_percentages_on_a_0_to_100_axis():
    svg = bar_chart(["甲", "乙"], [Series("满意率", [0.875, 1.0])], title="满意率", percent=True)
    assert "87.5%" in svg and ">100%<" in svg and ">50%<" in svg
    (full_width, _), (part_width, _) = sorted(bars(svg), reverse=True)
    assert abs(part_width / full_width - 0.875) < 0.01


def test_a_unit_with_nothing_to_measure_gets_a_dash_not_a_zero_bar():
    svg = bar_chart(["甲", "乙"], [Series("满意率", [0.5, None])], title="满意率", percent=True)
    assert (0.0, "") in bars(svg)
    assert "—" in svg


def test_names_are_escaped():
    svg = bar_chart(['<script>alert("x")</script>'], [Series("受理量", [1])], title="<b>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<b>" not in svg


def test_no_figures_say_so_instead_of_an_empty_chart():
    assert NO_DATA in bar_chart([], [Series("受理量", [])], title="受理")
    assert NO_DATA in bar_chart(["甲"], [Series("受理量", [0])], title="受理")
    assert NO_DATA in line_chart(["11-01"], [Series("受理量", [None])], title="走势")


def test_a_line_has_a_dot_per_value_and_breaks_where_a_value_is_missing():
    svg = line_chart(["11-01", "11-02", "11-03", "11-04"],
                     [Series("受理量", [3, None, 5, 4]), Series("办结量", [1, 2, 2, 3])],
                     title="每日受理与办结")
    assert svg.count('<circle class="point"') == 7
    assert svg.count('<polyline class="line"') == 3  # 3 | 5-4, and one unbroken line
    heights = {value: float(cy) for cy, value in
               re.findall(r'cy="([\d.]+)"[^>]*data-value="([\d.]+)"', svg)}
    assert heights["5"] < heights["3"] < heights["1"]  # higher values higher up


def test_a_long_period_writes_about_a_dozen_dates_under_the_axis():
    labels = [f"d{i}" for i in range(90)]
    svg = line_chart(labels, [Series("受理量", list(range(90)))], title="走势")
    assert 8 <= svg.count('<text class="tick"') <= 14
    assert ">d89<" in svg  # the last day is always named


def test_axes_are_round_and_reach_past_the_largest_value():
    for top in (0, 1, 3, 7, 12, 95, 1234):
        ticks = axis(top)
        steps = {round(b - a, 6) for a, b in itertools.pairwise(ticks)}
        assert ticks[0] == 0 and ticks[-1] >= top and len(steps) == 1 and len(ticks) <= 7
        assert all(float(tick).is_integer() for tick in ticks)  # counts are whole
    assert axis(0.3, percent=True) == [0, 0.25, 0.5, 0.75, 1.0]


def test_numbers_read_as_people_write_them():
    assert number(12.0) == "12" and number(3.25) == "3.2" and number(None) == "—"
    assert number(0.5, percent=True) == "50%" and number(0.8333, percent=True) == "83.3%"


def test_a_phones_chart_is_narrow_with_each_name_above_its_bars():
    svg = bar_chart(["殷行街道第一网格工作站", "凯晨物业"],
                    [Series("受理量", [12, 3]), Series("按时办结", [9, 1])], title="受理",
                    width=NARROW)
    assert 'viewBox="0 0 340 ' in svg and "chart-narrow" in svg
    assert '<text class="label" x="10"' in svg and "殷行街道第一网格工作站" in svg
    wide = line_chart([f"11-{day:02d}" for day in range(1, 31)],
                      [Series("受理量", list(range(30)))], title="走势")
    narrow = line_chart([f"11-{day:02d}" for day in range(1, 31)],
                        [Series("受理量", list(range(30)))], title="走势", width=NARROW)
    assert "chart-wide" in wide and narrow.count('class="tick"') < wide.count('class="tick"')
