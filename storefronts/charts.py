"""Small charts drawn on the server as inline SVG: no JavaScript, no CDN, nothing to download.

The markup uses SVG presentation attributes and classes only (no ``style`` attributes): colours
come from the admin dashboard's stylesheet (``static/admin-dashboard/dashboard.css``), series by
series (``series-0``, ``series-1``, …). Every bar carries a ``<title>`` (the browser shows it on
hover) and the chart as a whole an ``aria-label``; the page puts the same figures in a table
beside each chart, which is what screen readers and copy-paste use.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 480
HEIGHT = 180
LEFT = 44  # room for the y-axis labels
BOTTOM = 22  # room for the x-axis labels
TOP = 8
RIGHT = 6


@dataclass(frozen=True)
class Series:
    """One named run of values, one per x position; ``css`` picks its colour."""

    name: str
    values: tuple[float | Decimal | int, ...]
    css: str = ""


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (an axis' top), 1 for nothing."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` (0 … 1), or None when there is nothing to divide."""
    return part / whole if whole else None


def duration_text(value: dt.timedelta | None) -> str:
    """For a table beside a chart: "2 d 4 h", "5 h 10 min", "—" for nothing measured."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def _svg_open(*, label: str, width: int, height: int) -> str:
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'width="100%" role="img" aria-label="{}" preserveAspectRatio="xMinYMin meet">',
        width,
        height,
        label,
    )


def day_bars(
    *,
    days: tuple[dt.date, ...] | list[dt.date],
    series: list[Series],
    label: str,
    stacked: bool = True,
    unit: str = "",
    counts: bool = False,
) -> SafeString:
    """Bars per day: the series stacked on each other (``stacked``) or side by side.
    ``unit`` follows the numbers in the bars' titles (e.g. "USD"); ``counts``: whole numbers,
    so the axis never reads "0.50"."""
    count = len(days)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    if stacked:
        peak = max((sum(float(s.values[i]) for s in series) for i in range(count)), default=0)
    else:
        peak = max((float(v) for s in series for v in s.values), default=0)
    top = nice_ceiling(peak)
    if counts and top < 2:
        top = 2
    elif counts and top % 2:
        top += 1  # 5 → 6, so the middle line reads 3, not 2.50
    slot = plot_w / max(count, 1)
    gap = max(slot * 0.18, 1)
    parts = [_svg_open(label=label, width=WIDTH, height=HEIGHT)]
    # y axis: 0, half and top, with faint grid lines
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h - fraction * plot_h
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                f"{y:.1f}",
                f"{y:.1f}",
                LEFT - 4,
                f"{y + 3:.1f}",
                _number(top * fraction),
            )
        )
    unit_text = f" {unit}" if unit else ""
    for i, day in enumerate(days):
        x0 = LEFT + i * slot + gap / 2
        width = slot - gap
        base = TOP + plot_h
        for n, one in enumerate(series):
            value = float(one.values[i])
            if value <= 0:
                continue
            height = value / top * plot_h
            if stacked:
                x, w = x0, width
                y = base - height
                base = y
            else:
                w = width / len(series)
                x = x0 + n * w
                y = TOP + plot_h - height
            parts.append(
                format_html(
                    '<rect class="bar {}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}, {}: {}{}</title></rect>",
                    one.css or f"series-{n}",
                    f"{x:.1f}",
                    f"{y:.1f}",
                    f"{max(w, 0.5):.1f}",
                    f"{height:.1f}",
                    day.strftime("%d %b"),
                    one.name,
                    _number(value),
                    unit_text,
                )
            )
    # x axis: the first, middle and last day
    for i in sorted({0, count // 2, count - 1}) if count else ():
        anchor = "start" if i == 0 else "end" if i == count - 1 else "middle"
        x = LEFT + i * slot + (0 if i == 0 else slot if i == count - 1 else slot / 2)
        parts.append(
            format_html(
                '<text class="axis" x="{}" y="{}" text-anchor="{}">{}</text>',
                f"{x:.1f}",
                HEIGHT - 6,
                anchor,
                days[i].strftime("%d %b"),
            )
        )
    parts.append(
        format_html(
            '<line class="baseline" x1="{}" x2="{}" y1="{}" y2="{}"/>',
            LEFT,
            WIDTH - RIGHT,
            TOP + plot_h,
            TOP + plot_h,
        )
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def share_bars(*, rows: list[tuple[str, float | None]], label: str) -> SafeString:
    """One horizontal bar per row for a share from 0 to 1 (e.g. a success rate); ``None`` draws
    an empty track."""
    row_h = 26
    name_w = 150
    width = WIDTH
    height = row_h * len(rows) + 4
    plot_w = width - name_w - 50
    parts = [_svg_open(label=label, width=width, height=height)]
    for n, (name, share) in enumerate(rows):
        y = 3 + n * row_h
        parts.append(
            format_html(
                '<text class="label" x="0" y="{}">{}</text>'
                '<rect class="track" x="{}" y="{}" width="{}" height="14"/>',
                y + 13,
                name,
                name_w,
                y + 2,
                plot_w,
            )
        )
        if share is not None:
            parts.append(
                format_html(
                    '<rect class="bar series-0" x="{}" y="{}" width="{}" height="14">'
                    "<title>{}: {}%</title></rect>"
                    '<text class="axis" x="{}" y="{}">{}%</text>',
                    name_w,
                    y + 2,
                    f"{share * plot_w:.1f}",
                    name,
                    f"{share * 100:.0f}",
                    name_w + plot_w + 4,
                    y + 13,
                    f"{share * 100:.0f}",
                )
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))
