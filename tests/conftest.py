"""Shared fixtures for the domain tests (tanks, pairs, users in each role)."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

from fueltickets.models import ServiceTankPair
from soundings.models import CalibrationRow, Tank, WeeklySounding
from soundings.tables import load_tables, read_table_file

TABLE_FILE = settings.BASE_DIR / "data" / "sounding_tables.json"


def at(*args):
    """An aware datetime in UTC."""
    return datetime(*args, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def tanks(db):
    load_tables(read_table_file(TABLE_FILE))
    return {tank.designation: tank for tank in Tank.objects.all()}


@pytest.fixture
def sparse_tank(db):
    """A sludge tank whose table has rows only every foot: 0 → 0, 1 ft → 120, 2 ft → 360 gal."""
    tank = Tank.objects.create(
        designation="9S", name="Sludge Tank", iopp_section=Tank.IoppSection.SLUDGE,
        capacity_gallons=Decimal("360"),
    )
    for feet, gallons in [(0, 0), (1, 120), (2, 360)]:
        CalibrationRow.objects.create(tank=tank, feet=feet, inches=0, gallons=Decimal(gallons))
    return tank


@pytest.fixture
def active_pair(db):
    return ServiceTankPair.activate(label="13", at=at(2025, 3, 1, 8, 0))


def record_sounding(tank, *, feet, inches, when=None, **extra):
    sounding = WeeklySounding(
        tank=tank, feet=feet, inches=inches, recorded_at=when or at(2025, 3, 16, 10, 0),
        engineer_name=extra.pop("engineer_name", "J. Smith"),
        engineer_title=extra.pop("engineer_title", "2nd Engineer"), **extra,
    )
    sounding.save()
    return sounding


@pytest.fixture
def make_user(db):
    def make(username, *, group=None, superuser=False):
        if superuser:
            return User.objects.create_superuser(username=username, password="pw-" + username)
        user = User.objects.create_user(username=username, password="pw-" + username, is_staff=True)
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    return make
