import importlib
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse

from fueltickets.models import DailyFuelTicket
from orb.roles import CHIEF_ENGINEER, ENGINEER, LOGIN_PERMISSIONS, VIEWER, group_permissions
from tests.conftest import record_sounding

roles_migration = importlib.import_module("fueltickets.migrations.0002_roles")


def perms_of(name):
    return sorted(Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename"))


@pytest.mark.parametrize("name", [CHIEF_ENGINEER, ENGINEER, VIEWER])
def test_groups_have_exactly_the_role_permissions(db, name):
    assert perms_of(name) == sorted(group_permissions()[name])


def test_nobody_may_delete_entries_or_soundings(db):
    for name in (CHIEF_ENGINEER, ENGINEER, VIEWER):
        codenames = {c for _, c in perms_of(name)}
        assert "delete_orbentry" not in codenames and "delete_weeklysounding" not in codenames


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_is_reversible():
    """Migrate fueltickets back past 0002_roles for real (the executor, the schema editor, the
    recorder), then forwards again: the groups go, then come back with the same permissions."""
    roles = ("fueltickets", roles_migration.__name__.rsplit(".", 1)[1])
    names = (CHIEF_ENGINEER, ENGINEER, VIEWER)
    before = {name: perms_of(name) for name in names}
    assert all(before.values())
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    assert roles in executor.loader.applied_migrations
    try:
        executor.migrate([("fueltickets", "0001_initial")])
        assert roles not in MigrationRecorder(connection).applied_migrations()
        assert not Group.objects.filter(name__in=names).exists()
    finally:
        executor = MigrationExecutor(connection)  # a fresh loader sees the state the database is in now
        executor.migrate(leaves)
    assert roles in MigrationRecorder(connection).applied_migrations()
    assert {name: perms_of(name) for name in names} == before


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


def test_engineer_records_tickets_and_soundings_only(client, make_user, tanks, active_pair):
    client.force_login(make_user("eng", group=ENGINEER))
    ticket = DailyFuelTicket.objects.create(ticket_date=date(2025, 3, 1), meter_start=0, meter_end=1, engineer_name="x")
    assert client.get(url("fueltickets_dailyfuelticket_add")).status_code == 200
    assert client.get(url("fueltickets_dailyfuelticket_change", ticket.pk)).status_code == 200
    assert client.get(url("fueltickets_dailyfuelticket_delete", ticket.pk)).status_code == 403
    assert client.get(url("soundings_weeklysounding_add")).status_code == 200
    assert client.get(url("soundings_tank_changelist")).status_code == 200
    assert client.get(url("soundings_tank_add")).status_code == 403
    assert client.get(url("fueltickets_servicetankpair_add")).status_code == 403
    assert client.get(url("fueltickets_hitchrecord_add")).status_code == 403
    assert client.get(reverse("dashboard")).status_code == 200


def test_viewer_only_views(client, make_user, tanks, active_pair):
    sounding = record_sounding(tanks["17P"], feet=1, inches=0)
    client.force_login(make_user("view", group=VIEWER))
    assert client.get(url("soundings_orbentry_changelist")).status_code == 200
    assert client.get(url("soundings_weeklysounding_change", sounding.pk)).status_code == 200
    assert client.get(url("soundings_weeklysounding_add")).status_code == 403
    assert client.get(url("fueltickets_dailyfuelticket_add")).status_code == 403
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("orb_book")).status_code == 200


def test_chief_engineer_manages_tanks_pairs_and_hitches(client, make_user, tanks, active_pair):
    client.force_login(make_user("chief", group=CHIEF_ENGINEER))
    for name in ("soundings_tank_add", "fueltickets_servicetankpair_add", "fueltickets_hitchrecord_add",
                 "fueltickets_dailyfuelticket_add", "soundings_weeklysounding_add"):
        assert client.get(url(name)).status_code == 200, name
    sounding = record_sounding(tanks["17S"], feet=1, inches=0)
    assert client.get(url("soundings_weeklysounding_delete", sounding.pk)).status_code == 403
    assert client.get(url("soundings_orbentry_delete", sounding.entries.first().pk)).status_code == 403


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_login_permissions_migration_is_reversible():
    """orb.0001 gives the Chief Engineer (only) django-axes' login permissions; undone, it
    takes them back and leaves the rest of the role alone."""
    logins = set(LOGIN_PERMISSIONS)
    before = perms_of(CHIEF_ENGINEER)
    assert logins <= set(before)
    assert not any(logins & set(perms_of(name)) for name in (ENGINEER, VIEWER))
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("orb", None)])
        assert set(perms_of(CHIEF_ENGINEER)) == set(before) - logins
    finally:
        MigrationExecutor(connection).migrate(leaves)
    assert perms_of(CHIEF_ENGINEER) == before
