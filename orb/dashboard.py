"""The fuel dashboard's numbers, from aggregate queries only.

The number of queries is constant however many tickets there are: each sum is one
aggregate over an index range of ticket_date (index ticket_date_consumption).

Rules (also stated on the page):
- Fuel remaining = the latest hitch baseline's total fuel on board minus the consumption
  of tickets dated AFTER the baseline date. The baseline day's own ticket does not count:
  the End of Hitch Sounding Form is taken at the end of that day, after its consumption.
- Average = consumption of the last 7 calendar days (today and the 6 days before) divided
  by 7, whether or not a ticket exists for each day.
- Days left = fuel remaining / that average (none when the average is zero).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import OuterRef, Subquery, Sum

from fueltickets.models import DailyFuelTicket, HitchRecord, ServiceTankPair
from soundings.chain import book_state
from soundings.models import Tank, WeeklySounding

AVERAGE_DAYS = 7
CHART_DAYS = 30
ONE_PLACE = Decimal("0.1")


@dataclass
class SlopTankStatus:
    tank: Tank
    sounding: WeeklySounding | None


@dataclass
class DashboardData:
    today: date
    baseline: HitchRecord | None
    consumed_since_baseline: Decimal
    fuel_remaining: Decimal | None
    today_consumption: Decimal
    week_consumption: Decimal
    average_per_day: Decimal
    days_left: Decimal | None
    active_pair: ServiceTankPair | None
    slop_tanks: list = field(default_factory=list)
    daily: list = field(default_factory=list)  # [(date, gallons)] for CHART_DAYS days, oldest first
    book: dict = field(default_factory=dict)  # soundings.chain.book_state(): intact / broken / triggers missing
    average_days: int = AVERAGE_DAYS
    chart_days: int = CHART_DAYS


def _sum(queryset):
    return queryset.aggregate(total=Sum("consumption_gallons"))["total"] or Decimal("0")


def daily_consumption(*, first, last):
    """[(date, gallons)] for every calendar day first..last, zero where no ticket."""
    totals = dict(
        DailyFuelTicket.objects.filter(ticket_date__range=(first, last))
        .order_by()
        .values("ticket_date")
        .annotate(total=Sum("consumption_gallons"))
        .values_list("ticket_date", "total")
    )
    days = (last - first).days + 1
    return [(first + timedelta(days=n), totals.get(first + timedelta(days=n), Decimal("0"))) for n in range(days)]


def slop_tank_status():
    latest = WeeklySounding.objects.filter(tank=OuterRef("pk")).order_by("-recorded_at", "-id")
    tanks = list(Tank.objects.annotate(latest_id=Subquery(latest.values("id")[:1])))
    soundings = WeeklySounding.objects.in_bulk([t.latest_id for t in tanks if t.latest_id])
    return [SlopTankStatus(tank=t, sounding=soundings.get(t.latest_id)) for t in tanks]


def dashboard_data(*, today):
    tickets = DailyFuelTicket.objects.order_by()
    baseline = HitchRecord.objects.order_by("-date", "-id").first()
    if baseline is not None:
        consumed = _sum(tickets.filter(ticket_date__gt=baseline.date))
        remaining = baseline.total_fuel_gallons - consumed
    else:
        consumed, remaining = Decimal("0"), None
    today_total = _sum(tickets.filter(ticket_date=today))
    week_total = _sum(tickets.filter(ticket_date__range=(today - timedelta(days=AVERAGE_DAYS - 1), today)))
    average = (week_total / AVERAGE_DAYS).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    days_left = None
    if remaining is not None and week_total > 0:
        days_left = (remaining * AVERAGE_DAYS / week_total).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    return DashboardData(
        today=today,
        baseline=baseline,
        consumed_since_baseline=consumed,
        fuel_remaining=remaining,
        today_consumption=today_total,
        week_consumption=week_total,
        average_per_day=average,
        days_left=days_left,
        active_pair=ServiceTankPair.active_pair(),
        slop_tanks=slop_tank_status(),
        daily=daily_consumption(first=today - timedelta(days=CHART_DAYS - 1), last=today),
        book=book_state(),
    )
