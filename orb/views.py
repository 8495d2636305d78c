from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.template.response import TemplateResponse
from django.utils import timezone

from fueltickets.date_input import ShipDateField
from orb.chart import bar_chart, line_chart
from orb.dashboard import CHART_DAYS, daily_consumption, dashboard_data, fuel_on_board, slop_tank_levels
from orb.shiptime import ship_date
from soundings.units import format_orb_date

MAX_CHART_DAYS = 366
SLUDGE_TEMPLATE = "soundings/sludge_warnings.html"


def chart_range(query, *, today):
    """(first, last, problem) of the charts: ?from=…&to=… typed like any date (ISO, dd-MON-yyyy
    or the picker), the last 30 days by default; a bad range falls back to it with one sentence."""
    default = (today - timedelta(days=CHART_DAYS - 1), today)
    field = ShipDateField(required=False)
    try:
        first = field.clean(query.get("from", "")) or default[0]
        last = field.clean(query.get("to", "")) or default[1]
    except ValidationError as exc:
        return (*default, " ".join(exc.messages) + " Showing the last 30 days.")
    if last > today:
        return (*default, f"The charts end today at the latest ({format_orb_date(today)}); showing the last 30 days.")
    if first > last:
        return (*default, "The range starts after it ends; showing the last 30 days.")
    if (last - first).days + 1 > MAX_CHART_DAYS:
        return (*default, f"The charts show at most {MAX_CHART_DAYS} days; showing the last 30 days.")
    return first, last, None


def _sludge_template():
    """The sludge warnings' template when its app provides it (soundings.consistency), else None."""
    try:
        get_template(SLUDGE_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return SLUDGE_TEMPLATE


def _charts(data, *, first, last):
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    slop = []
    for tank, points in slop_tank_levels(first=first, last=last).items():
        alert_at = tank.capacity_gallons * data.vessel.slop_alert_percent / 100
        chart = line_chart(
            days=days, lines=[(str(tank), points)], height=180, maximum=tank.capacity_gallons, threshold=alert_at
        )
        slop.append({"tank": tank, "chart": chart, "soundings": len(points)})
    return {
        "consumption": bar_chart(series=daily_consumption(first=first, last=last)),
        "fuel": line_chart(days=days, lines=[("fuel on board", fuel_on_board(first=first, last=last))]),
        "slop": slop,
    }


@login_required
def dashboard(request):
    today = ship_date(timezone.now())
    data = dashboard_data(today=today)
    first, last, range_problem = chart_range(request.GET, today=today)
    context = {
        "data": data,
        "charts": _charts(data, first=first, last=last),
        "first": first,
        "last": last,
        "range_problem": range_problem,
        "today_text": format_orb_date(data.today),
        "sludge_template": _sludge_template(),
    }
    return TemplateResponse(request, "orb/dashboard.html", context)
