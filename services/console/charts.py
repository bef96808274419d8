"""Charts a district office would put on a wall, drawn on the server as inline SVG (no
script, no build step; they print and scale with the page): bars per unit, and lines over
days or weeks. Plain functions from figures to markup."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
NARROW = 340  # a phone's chart: each unit's name above its bars, fewer dates under a line
PALETTE = ("#1f5fa8", "#2e8b57", "#c7791a", "#a23b72")
FONT = 13
NO_DATA = "所选时段暂无数据"


@dataclass(frozen=True)
class Series:
    """One measure over the labels: a value (or None: nothing to measure) per label."""

    name: str
    values: Sequence[float | None]


def nice_step(span: float, *, whole: bool = True) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) of about ``span``; at least 1 for counts."""
    if span <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(span))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= span)
    return max(step, 1.0) if whole else step


def axis(top_value: float, *, percent: bool = False) -> list[float]:
    """The ticks of a value axis from 0 past ``top_value``: 0–100% for rates, round
    counts otherwise (about four steps)."""
    if percent:
        return [0, 0.25, 0.5, 0.75, 1.0]
    step = nice_step(top_value / 4)
    top = max(step, math.ceil(top_value / step) * step)
    return [step * i for i in range(int(round(top / step)) + 1)]


def number(value: float | None, *, percent: bool = False) -> str:
    """A value as a label: 87.5%, 12, 3.5; — for none."""
    if value is None:
        return "—"
    if percent:
        return f"{value * 100:.1f}%".replace(".0%", "%")
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, title: str,
              percent: bool = False, width: int = WIDTH) -> Markup:
    """Horizontal bars, one group per label (a unit's name reads whole), one bar per series,
    each with its value written at its end. ``percent``: values are fractions shown as %.
    ``width`` NARROW (a phone's): each label on a line of its own above its bars."""
    if not labels or not _any_value(series):
        return _empty(title)
    narrow = width <= NARROW
    bar, gap, value_room = 16, 12, 56 if narrow else 64
    label_width, label_room = (0, 18) if narrow else (200, 0)
    legend = 26 if len(series) > 1 else 0
    top, plot_left = 34 + legend, 10 if narrow else label_width + 8
    plot_width = width - plot_left - value_room
    group = label_room + bar * len(series) + gap
    height = top + group * len(labels) + 28
    ticks = axis(max(_values(series), default=0), percent=percent)
    scale = plot_width / ticks[-1]
    parts = [_title(title), _legend(series, 34) if legend else ""]
    for tick in ticks:
        x = plot_left + tick * scale
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" '
                     f'y2="{height - 24}" stroke="#d8dde3"/>'
                     f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" '
                     f'fill="#555">{number(tick, percent=percent)}</text>')
    for row, label in enumerate(labels):
        y0 = top + row * group
        if narrow:
            parts.append(f'<text class="label" x="{plot_left}" y="{y0 + 13}">'
                         f'{escape(_clip(label, 24))}'
                         f'<title>{escape(label)}</title></text>')
        else:
            middle = y0 + group / 2 - gap / 2 + 4
            parts.append(f'<text class="label" x="{label_width}" y="{middle:.1f}" '
                         f'text-anchor="end">{escape(_clip(label))}<title>{escape(label)}'
                         f'</title></text>')
        for index, measure in enumerate(series):
            value = measure.values[row] if row < len(measure.values) else None
            y = y0 + label_room + index * bar
            length = 0 if value is None else value * scale
            text = number(value, percent=percent)
            parts.append(
                f'<rect class="bar" x="{plot_left}" y="{y}" width="{length:.1f}" '
                f'height="{bar - 3}" fill="{PALETTE[index % len(PALETTE)]}" '
                f'data-value="{"" if value is None else value}">'
                f'<title>{escape(label)} · {escape(measure.name)}: {text}</title></rect>'
                f'<text class="value" x="{plot_left + length + 4:.1f}" y="{y + bar - 5}" '
                f'fill="#333">{text}</text>')
    return _svg(title, height, parts, width)


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str,
               width: int = WIDTH) -> Markup:
    """Lines over time (a label per day or week), a dot at each value; a gap where a value
    is None. At most about a dozen labels are written under the axis (five when ``width``
    is NARROW, a phone's)."""
    if not labels or not _any_value(series):
        return _empty(title)
    narrow = width <= NARROW
    height, left, right, top, bottom = 300, 40 if narrow else 48, 30, 62, 44
    plot_width, plot_height = width - left - right, height - top - bottom
    ticks = axis(max(_values(series), default=0))
    step_x = plot_width / max(len(labels) - 1, 1)

    def x_of(i: int) -> float:
        return left + (i * step_x if len(labels) > 1 else plot_width / 2)

    def y_of(value: float) -> float:
        return top + plot_height - value / ticks[-1] * plot_height

    parts = [_title(title), _legend(series, 34)]
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" '
                     f'y2="{y:.1f}" stroke="#d8dde3"/><text x="{left - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end" fill="#555">{number(tick)}</text>')
    every = max(1, math.ceil(len(labels) / (5 if narrow else 12)))
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            parts.append(f'<text class="tick" x="{x_of(i):.1f}" y="{height - bottom + 18}" '
                         f'text-anchor="middle" fill="#555">{escape(label)}</text>')
    for index, measure in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        for run in _runs(measure.values):
            points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in run)
            parts.append(f'<polyline class="line" points="{points}" fill="none" '
                         f'stroke="{colour}" stroke-width="2.5"/>')
        for i, value in enumerate(measure.values):
            if value is not None:
                parts.append(f'<circle class="point" cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" '
                             f'r="3.5" fill="{colour}" data-value="{value}"><title>'
                             f'{escape(labels[i])} · {escape(measure.name)}: {number(value)}'
                             f'</title></circle>')
    return _svg(title, height, parts, width)


def _values(series: Sequence[Series]) -> list[float]:
    return [value for measure in series for value in measure.values if value is not None]


def _any_value(series: Sequence[Series]) -> bool:
    return any(value for value in _values(series))


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Unbroken stretches of values, so a line is not drawn across a gap."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((i, value))
    return [run for run in runs if run]


def _clip(label: str, most: int = 14) -> str:
    return label if len(label) <= most else label[:most - 1] + "…"


def _title(title: str) -> str:
    return f'<text class="chart-title" x="0" y="20" font-size="16" font-weight="bold">' \
           f'{escape(title)}</text>'


def _legend(series: Sequence[Series], y: int) -> str:
    items, x = [], 0
    for index, measure in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        items.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="{y}">{escape(measure.name)}</text>')
        x += 28 + FONT * len(measure.name)
    return "".join(items)


def _svg(title: str, height: float, parts: list[str], width: int = WIDTH) -> Markup:
    """The chart: it scales with its box (viewBox; the stylesheet caps it at the box's
    width), a NARROW one marked for phones (chart-narrow), a wide one for wider screens."""
    size = "chart-narrow" if width <= NARROW else "chart-wide"
    return Markup(
        f'<svg class="chart {size}" viewBox="0 0 {width} {height:.0f}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="{FONT}" font-family="inherit"><title>{escape(title)}</title>'
        + "".join(parts) + "</svg>")


def _empty(title: str) -> Markup:
    return Markup(f'<figure class="chart-empty"><figcaption>{escape(title)}</figcaption>'
                  f'<p>{NO_DATA}</p></figure>')
