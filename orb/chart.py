"""Geometry of the daily-consumption bar chart, drawn as inline SVG by the template."""

from dataclasses import dataclass
from decimal import Decimal

from soundings.units import MONTHS


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: Decimal
    show_label: bool


@dataclass
class BarChart:
    width: int
    height: int
    top: int
    bottom: int
    left: int
    maximum: Decimal
    bars: list
    gridlines: list  # [(y, label)]


def bar_chart(*, series, width=720, height=240):
    """`series` is [(date, gallons)], oldest first."""
    left, top, bottom = 56, 12, 28
    plot_h = height - top - bottom
    maximum = max((v for _, v in series), default=Decimal("0"))
    scale_max = _nice_ceiling(maximum)
    slot = (width - left - 8) / max(len(series), 1)
    bars = []
    for index, (day, value) in enumerate(series):
        h = float(value) / float(scale_max) * plot_h if scale_max else 0.0
        bars.append(
            Bar(
                x=round(left + index * slot + slot * 0.15, 2),
                y=round(top + plot_h - h, 2),
                width=round(slot * 0.7, 2),
                height=round(h, 2),
                label=f"{day.day:02d}-{MONTHS[day.month - 1]}",
                value=value,
                show_label=index % 5 == 0 or index == len(series) - 1,
            )
        )
    gridlines = [(round(top + plot_h - plot_h * n / 4, 2), f"{scale_max * n / 4:,.0f}") for n in range(5)]
    return BarChart(
        width=width,
        height=height,
        top=top,
        bottom=height - bottom,
        left=left,
        maximum=scale_max,
        bars=bars,
        gridlines=gridlines,
    )


def _nice_ceiling(value):
    """A round axis maximum at or above `value` (100, 200, 500, 1000, …)."""
    if value <= 0:
        return Decimal("100")
    step = Decimal("1")
    while True:
        for factor in (1, 2, 5):
            candidate = step * factor
            if candidate >= value:
                return candidate
        step *= 10
