"""The hitch's fuel reconciliation: what the figures say should be on board at its close
(the opening total − the tickets' consumption + the bunkers received) against what the closing
soundings found, with the difference in gallons and in per cent of the expected figure."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class Reconciliation:
    opening_total: Decimal
    consumed: Decimal
    bunkered: Decimal
    closing_total: Decimal | None  # None while the hitch is open

    @property
    def expected(self):
        return self.opening_total - self.consumed + self.bunkered

    @property
    def discrepancy(self):
        """Closing soundings − expected, in gallons (negative: less on board than the figures say)."""
        return None if self.closing_total is None else self.closing_total - self.expected

    @property
    def discrepancy_percent(self):
        if self.discrepancy is None or self.expected == 0:
            return None
        return (self.discrepancy * 100 / self.expected).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def reconcile(period):
    def total(queryset, field):
        return queryset.aggregate(total=Sum(field))["total"] or Decimal("0")

    return Reconciliation(
        opening_total=period.opening.total_fuel_gallons,
        consumed=total(period.tickets(), "consumption_gallons"),
        bunkered=total(period.bunkers(), "quantity_gallons"),
        closing_total=period.closing.total_fuel_gallons if period.closing else None,
    )
