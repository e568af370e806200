"""The dashboard's server-drawn SVG charts (storefronts/charts.py): bars in proportion to their
figures, names escaped, and nothing the Content-Security-Policy would refuse (no style
attributes, no script)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from storefronts.charts import Series, day_bars, duration_text, nice_ceiling, share_bars

DAYS = tuple(dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(4))


def heights(svg: str) -> list[float]:
    return [float(h) for h in re.findall(r'<rect class="bar[^"]*"[^>]*height="([\d.]+)"', svg)]


def test_stacked_bars_are_in_proportion_and_skip_empty_days():
    svg = day_bars(
        days=DAYS,
        series=[Series("A", (2, 0, 4, 0)), Series("B", (2, 0, 0, 0))],
        label="orders",
        counts=True,
    )
    # 2 + 2 and 4 on an axis up to 6 (whole numbers: its middle line is 3); nothing for a 0
    assert heights(svg) == [50.0, 50.0, 100.0]
    assert ">3</text>" in svg
    assert svg.count("<title>") == 3
    assert "<title>01 Jan, B: 2</title>" in svg
    assert "01 Jan" in svg and "04 Jan" in svg


def test_side_by_side_bars_take_money_as_decimals():
    svg = day_bars(
        days=DAYS,
        series=[Series("In", (Decimal("100.00"),) * 4), Series("Out", (Decimal("40.50"),) * 4)],
        label="money",
        stacked=False,
        unit="EUR",
    )
    assert "<title>02 Jan, Out: 40.50 EUR</title>" in svg
    assert len(heights(svg)) == 8


def test_names_are_escaped_and_nothing_needs_an_inline_style_or_script():
    evil = '<script>alert(1)</script>"'
    svg = share_bars(rows=[(evil, 0.5), ("none yet", None)], label=evil) + day_bars(
        days=DAYS, series=[Series(evil, (1, 2, 3, 4))], label=evil
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "style=" not in svg
    assert svg.count('role="img"') == 2


def test_axis_tops_and_durations_read_well():
    assert [nice_ceiling(v) for v in (0, 0.3, 7, 12, 180, 2600)] == [1, 0.5, 10, 20, 200, 5000]
    assert duration_text(None) == "—"
    assert duration_text(dt.timedelta(minutes=42)) == "42 min"
    assert duration_text(dt.timedelta(hours=16, minutes=30)) == "16 h 30 min"
    assert duration_text(dt.timedelta(days=25, hours=3)) == "25 d 3 h"
