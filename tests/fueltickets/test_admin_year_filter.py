import datetime
from decimal import Decimal

import pytest

from fueltickets.models import DailyFuelTicket


@pytest.mark.django_db
def test_ticket_changelist_filters_by_year_from_min_and_max(admin_client, active_pair):
    for year, start in ((2023, Decimal("0")), (2025, Decimal("10"))):
        DailyFuelTicket.objects.create(
            ticket_date=datetime.date(year, 6, 1),
            meter_start=start,
            meter_end=start + 10,
            service_tank_pair=active_pair,
            engineer_name="E",
        )
    page = admin_client.get("/admin/fueltickets/dailyfuelticket/")
    assert page.status_code == 200
    choices = [
        c["display"]
        for spec in page.context["cl"].filter_specs
        if spec.title == "year"
        for c in spec.choices(page.context["cl"])
    ]
    assert choices == ["All", "2025", "2024", "2023"]
    filtered = admin_client.get("/admin/fueltickets/dailyfuelticket/?year=2023")
    assert [t.ticket_date.year for t in filtered.context["cl"].result_list] == [2023]
