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

# The append-only triggers (soundings.guards) refuse to delete signed entries and audit rows,
# and so would refuse Django's flush between transactional tests (TransactionTestCase,
# django_db(transaction=True)). In this test process only, the triggers are created with a
# clause that lets a statement through while the table soundings_guard_bypass holds a row, and
# flush fills it for its own duration (below). docs/RECORD.md, "For developers".
settings.ORB_GUARD_TEST_BYPASS = True


def _run_order(item):
    """pytest-django runs db tests, then transactional ones, then the rest. Among the transactional
    ones, those with serialized_rollback go first: a plain one's flush re-creates content types
    under new ids (post_migrate), which the serialized data of a later test then collides with."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if marker is None and "db" not in fixtures and "transactional_db" not in fixtures:
        return (2, 0)
    kwargs = marker.kwargs if marker is not None else {}
    transactional = kwargs.get("transaction") or kwargs.get("reset_sequences") or "transactional_db" in fixtures
    if not transactional:
        return (0, 0)
    return (1, 0 if kwargs.get("serialized_rollback") else 1)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    items.sort(key=_run_order)


@pytest.fixture(scope="session", autouse=True)
def _flush_passes_the_append_only_guard():
    from django.core.management.commands import flush
    from django.db import connections

    from soundings import guards

    original = flush.Command.handle

    def handle(self, **options):
        with guards.test_bypass(connections[options.get("database") or "default"]):
            return original(self, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


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
        designation="9S",
        name="Sludge Tank",
        iopp_section=Tank.IoppSection.SLUDGE,
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
        tank=tank,
        feet=feet,
        inches=inches,
        recorded_at=when or at(2025, 3, 16, 10, 0),
        engineer_name=extra.pop("engineer_name", "J. Smith"),
        engineer_title=extra.pop("engineer_title", "2nd Engineer"),
        **extra,
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


PASSWORD = "pw-signing"


@pytest.fixture
def make_officer(db):
    """A user who may sign: full name and a rank on the profile; password PASSWORD."""
    from orb.models import UserProfile

    def make(username, *, first="J.", last="Smith", rank="2nd Engineer", group=None, superuser=False):
        if superuser:
            user = User.objects.create_superuser(username=username, password=PASSWORD)
        else:
            user = User.objects.create_user(username=username, password=PASSWORD, is_staff=True)
        user.first_name, user.last_name = first, last
        user.save()
        if group:
            user.groups.add(Group.objects.get(name=group))
        UserProfile.objects.update_or_create(user=user, defaults={"rank": rank})
        return user

    return make


@pytest.fixture
def officer(make_officer):
    return make_officer("smith", group="Engineer")


def sign_all(entries, user, password=PASSWORD):
    """Sign drafts in id order; returns them signed."""
    signed = []
    for entry in sorted(entries, key=lambda e: e.pk):
        signed.append(entry.sign(user=user, password=password))
    return signed


@pytest.fixture(autouse=True)
def _refusals_go_with_the_test_transaction():
    """A refusal recorded inside a test's transaction waits to be written until the connection is
    outside any transaction (soundings.refusals); the test's rows are rolled back, and so is it."""
    yield
    from django.db import connections

    from soundings import refusals

    for connection in connections.all(initialized_only=True):
        refusals.pending(connection).clear()
