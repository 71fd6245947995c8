"""Inline SVG charts drawn on the server (no JavaScript): stacked day bars, ranked bars, rate lines."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from markupsafe import Markup, escape

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
AXIS = "#6b7280"
GRID = "#e5e7eb"
FONT = 'font-family="system-ui, sans-serif"'


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above ``value`` (a readable top of the axis)."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value:,.0f}"


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _legend(names: Sequence[str], x: float, y: float) -> list[str]:
    parts, cursor = [], x
    for index, name in enumerate(names):
        parts.append(f'<rect x="{cursor:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour(index)}"/>')
        parts.append(f'<text x="{cursor + 14:.1f}" y="{y:.1f}" font-size="12" {FONT}>{escape(name)}</text>')
        cursor += 26 + 12 * len(name)
    return parts


def _y_axis(top: float, left: float, right: float, plot_top: float, plot_bottom: float,
            percent: bool = False) -> list[str]:
    parts = []
    for tick in range(5):
        value = top * tick / 4
        y = plot_bottom - (plot_bottom - plot_top) * tick / 4
        label = f"{value * 100:.0f}%" if percent else _number(value)
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{AXIS}" '
                     f"{FONT}>{label}</text>")
    return parts


def _day_labels(days: Sequence[dt.date], x_of, baseline: float) -> list[str]:
    every = max(1, math.ceil(len(days) / 10))
    parts = []
    for index, day in enumerate(days):
        if index % every == 0 or index == len(days) - 1:
            parts.append(f'<text x="{x_of(index):.1f}" y="{baseline + 16:.1f}" font-size="11" text-anchor="middle" '
                         f'fill="{AXIS}" {FONT}>{day:%m-%d}</text>')
    return parts


def stacked_day_bars(title: str, days: Sequence[dt.date], series: dict[str, Sequence[int]]) -> Markup:
    """One bar per day, stacked by series (e.g. channels), with a legend."""
    width, height, left, right, top, bottom = 720, 280, 48, 12, 34, 28
    plot_bottom = height - bottom
    totals = [sum(values[index] for values in series.values()) for index in range(len(days))]
    ceiling = nice_ceiling(max(totals, default=0))
    slot = (width - left - right) / max(len(days), 1)
    bar = max(slot * 0.7, 1)

    def x_of(index: int) -> float:
        return left + slot * index + slot / 2

    body = _legend(list(series), left, 16) + _y_axis(ceiling, left, width - right, top, plot_bottom)
    for index, day in enumerate(days):
        stacked = 0
        for series_index, (name, values) in enumerate(series.items()):
            value = values[index]
            if not value:
                continue
            y_top = plot_bottom - (stacked + value) / ceiling * (plot_bottom - top)
            bar_height = value / ceiling * (plot_bottom - top)
            body.append(f'<rect x="{x_of(index) - bar / 2:.1f}" y="{y_top:.1f}" width="{bar:.1f}" '
                        f'height="{bar_height:.1f}" fill="{colour(series_index)}">'
                        f"<title>{day:%Y-%m-%d} {escape(name)}: {value}</title></rect>")
            stacked += value
    body += _day_labels(days, x_of, plot_bottom)
    return _svg(width, height, title, body)


def ranked_bars(title: str, items: Sequence[tuple[str, int]], label_chars: int = 16) -> Markup:
    """Horizontal bars, largest first, each labelled with its name and count."""
    row, left, right, top = 26, 16 + 13 * label_chars, 56, 8
    width, height = 720, top * 2 + row * max(len(items), 1)
    ceiling = max((value for _, value in items), default=0) or 1
    body = []
    for index, (name, value) in enumerate(items):
        y = top + index * row
        shown = name if len(name) <= label_chars else name[: label_chars - 1] + "…"
        bar_width = value / ceiling * (width - left - right)
        body.append(f'<text x="{left - 8}" y="{y + 17}" font-size="13" text-anchor="end" {FONT}>'
                    f"<title>{escape(name)}</title>{escape(shown)}</text>")
        body.append(f'<rect x="{left}" y="{y + 4}" width="{bar_width:.1f}" height="{row - 8}" fill="{colour(0)}"/>')
        body.append(f'<text x="{left + bar_width + 6:.1f}" y="{y + 17}" font-size="12" {FONT}>{value}</text>')
    return _svg(width, height, title, body)


def rate_lines(title: str, days: Sequence[dt.date], series: dict[str, Sequence[float | None]]) -> Markup:
    """Lines of rates (0–1) per day; a day without data leaves a gap."""
    width, height, left, right, top, bottom = 720, 260, 48, 12, 34, 28
    plot_bottom = height - bottom
    highest = max((value for values in series.values() for value in values if value is not None), default=0)
    ceiling = min(1.0, nice_ceiling(highest)) if highest else 1.0
    slot = (width - left - right) / max(len(days), 1)

    def x_of(index: int) -> float:
        return left + slot * index + slot / 2

    body = _legend(list(series), left, 16) + _y_axis(ceiling, left, width - right, top, plot_bottom, percent=True)
    for series_index, (name, values) in enumerate(series.items()):
        segments: list[list[str]] = [[]]
        for index, value in enumerate(values):
            if value is None:
                segments.append([])
                continue
            y = plot_bottom - value / ceiling * (plot_bottom - top)
            segments[-1].append(f"{x_of(index):.1f},{y:.1f}")
            body.append(f'<circle cx="{x_of(index):.1f}" cy="{y:.1f}" r="2.5" fill="{colour(series_index)}">'
                        f"<title>{days[index]:%Y-%m-%d} {escape(name)}: {value * 100:.1f}%</title></circle>")
        for points in segments:
            if len(points) > 1:
                body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour(series_index)}" '
                            f'stroke-width="2"/>')
    body += _day_labels(days, x_of, plot_bottom)
    return _svg(width, height, title, body)
