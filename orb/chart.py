"""Geometry of the dashboard's charts (daily-consumption bars, levels as lines), drawn as inline SVG
by the templates orb/dashboard.html and orb/line_chart.html."""

from dataclasses import dataclass
from decimal import Decimal

from soundings.units import MONTHS

TOP, BOTTOM = 12, 28  # room above the plot, and below it for the day labels


@dataclass
class Frame:
    """The plot area and its value axis, shared by both kinds of chart."""

    width: int
    height: int
    top: int
    bottom: int  # the y of the plot's base line
    left: int
    maximum: Decimal  # the axis maximum, a round number at or above the largest value
    gridlines: list  # [(y, label)]

    def y_of(self, value):
        plot_h = self.bottom - self.top
        return round(self.bottom - float(value) / float(self.maximum) * plot_h, 2)


def _frame(*, width, height, left, largest):
    maximum = _nice_ceiling(largest)
    plot_h = height - TOP - BOTTOM
    gridlines = [(round(TOP + plot_h - plot_h * n / 4, 2), f"{maximum * n / 4:,.0f}") for n in range(5)]
    return {
        "width": width,
        "height": height,
        "top": TOP,
        "bottom": height - BOTTOM,
        "left": left,
        "maximum": maximum,
        "gridlines": gridlines,
    }


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


def _day_label(day):
    return f"{day.day:02d}-{MONTHS[day.month - 1]}"


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
class BarChart(Frame):
    bars: list


def bar_chart(*, series, width=720, height=240):
    """`series` is [(date, gallons)], oldest first."""
    chart = BarChart(
        **_frame(width=width, height=height, left=56, largest=max((v for _, v in series), default=Decimal("0"))),
        bars=[],
    )
    slot = (width - chart.left - 8) / max(len(series), 1)
    every = max(len(series) // 6, 1)
    for index, (day, value) in enumerate(series):
        y = chart.y_of(value)
        chart.bars.append(
            Bar(
                x=round(chart.left + index * slot + slot * 0.15, 2),
                y=y,
                width=round(slot * 0.7, 2),
                height=round(chart.bottom - y, 2),
                label=_day_label(day),
                value=value,
                show_label=index % every == 0 or index == len(series) - 1,
            )
        )
    return chart


@dataclass
class Line:
    name: str
    points: str  # "x,y x,y …" for <polyline>; breaks where a value is missing are drawn as gaps
    segments: list  # [points] of unbroken runs
    dots: list  # [(x, y, title)]
    colour: str


@dataclass
class LineChart(Frame):
    xlabels: list  # [(x, label)]
    lines: list
    threshold: tuple | None  # (y, label)


COLOURS = ("#2f6f9f", "#b5562b", "#3d8b3d", "#7a4fa0", "#8a6d1f")


def line_chart(*, days, lines, width=720, height=240, maximum=None, threshold=None, unit="gal"):
    """`days` is the x axis (dates, oldest first); `lines` is [(name, [(date, value or None)])].

    Values are placed at their day; a missing value breaks the line. ``threshold`` (a value)
    draws a dashed line, e.g. a slop tank's alert level.
    """
    values = [v for _, series in lines for _, v in series if v is not None]
    largest = max([*values, threshold or 0, maximum or 0], default=Decimal("0"))
    chart = LineChart(
        **_frame(width=width, height=height, left=64, largest=largest), xlabels=[], lines=[], threshold=None
    )
    index = {day: n for n, day in enumerate(days)}
    step = (width - chart.left - 12) / max(len(days) - 1, 1)

    def xy(day, value):
        return round(chart.left + index[day] * step, 2), chart.y_of(value)

    chart.lines = [
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
    chart.xlabels = [(round(chart.left + n * step, 2), _day_label(d)) for n, d in enumerate(days) if n % every == 0]
    if threshold is not None:
        chart.threshold = (chart.y_of(threshold), f"{threshold:,.0f} {unit}")
    return chart


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
        dots.append((x, y, f"{_day_label(day)}-{day.year}: {value:,.1f} {unit}"))
    if current:
        segments.append(" ".join(current))
    return Line(name=name, points=" ".join(segments), segments=segments, dots=dots, colour=colour)
