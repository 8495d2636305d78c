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
    bars, every = [], max(len(series) // 6, 1)
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
                show_label=index % every == 0 or index == len(series) - 1,
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


@dataclass
class Line:
    name: str
    points: str  # "x,y x,y …" for <polyline>; breaks where a value is missing are drawn as gaps
    segments: list  # [points] of unbroken runs
    dots: list  # [(x, y, title)]
    colour: str


@dataclass
class LineChart:
    width: int
    height: int
    top: int
    bottom: int
    left: int
    maximum: Decimal
    gridlines: list  # [(y, label)]
    xlabels: list  # [(x, label)]
    lines: list
    threshold: tuple | None  # (y, label)


COLOURS = ("#2f6f9f", "#b5562b", "#3d8b3d", "#7a4fa0", "#8a6d1f")


def line_chart(*, days, lines, width=720, height=240, maximum=None, threshold=None, unit="gal"):
    """`days` is the x axis (dates, oldest first); `lines` is [(name, [(date, value or None)])].

    Values are placed at their day; a missing value breaks the line. ``threshold`` (a value)
    draws a dashed line, e.g. a slop tank's alert level.
    """
    left, top, bottom = 64, 12, 28
    plot_h, plot_w = height - top - bottom, width - left - 12
    values = [v for _, series in lines for _, v in series if v is not None]
    scale_max = _nice_ceiling(max([*values, threshold or 0, maximum or 0], default=Decimal("0")))
    index = {day: n for n, day in enumerate(days)}
    step = plot_w / max(len(days) - 1, 1)

    def xy(day, value):
        return round(left + index[day] * step, 2), round(top + plot_h - float(value) / float(scale_max) * plot_h, 2)

    drawn = [
        _line(
            name=name,
            series=[(d, v) for d, v in series if d in index],
            xy=xy,
            colour=COLOURS[n % len(COLOURS)],
            unit=unit,
        )
        for n, (name, series) in enumerate(lines)
    ]
    every = max(len(days) // 6, 1)
    xlabels = [
        (round(left + n * step, 2), f"{d.day:02d}-{MONTHS[d.month - 1]}") for n, d in enumerate(days) if n % every == 0
    ]
    gridlines = [(round(top + plot_h - plot_h * n / 4, 2), f"{scale_max * n / 4:,.0f}") for n in range(5)]
    line_at = None
    if threshold is not None:
        line_at = (round(top + plot_h - float(threshold) / float(scale_max) * plot_h, 2), f"{threshold:,.0f} {unit}")
    return LineChart(
        width=width,
        height=height,
        top=top,
        bottom=height - bottom,
        left=left,
        maximum=scale_max,
        gridlines=gridlines,
        xlabels=xlabels,
        lines=drawn,
        threshold=line_at,
    )


def _line(*, name, series, xy, colour, unit):
    segments, current, dots = [], [], []
    for day, value in series:
        if value is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        x, y = xy(day, value)
        current.append(f"{x},{y}")
        dots.append((x, y, f"{day.day:02d}-{MONTHS[day.month - 1]}-{day.year}: {value:,.1f} {unit}"))
    if current:
        segments.append(" ".join(current))
    return Line(name=name, points=" ".join(segments), segments=segments, dots=dots, colour=colour)
