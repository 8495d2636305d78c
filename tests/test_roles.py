import importlib
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse

from fueltickets.models import DailyFuelTicket
from orb.models import VesselParticulars
from orb.roles import (
    CHIEF_ENGINEER,
    CHIEF_ORB_PERMISSIONS,
    ENGINEER,
    INSPECTOR,
    LOGIN_PERMISSIONS,
    MASTER,
    RECORD_VIEW_PERMISSIONS,
    VIEWER,
    group_permissions,
)
from tests.conftest import record_sounding

roles_migration = importlib.import_module("fueltickets.migrations.0002_roles")


def perms_of(name):
    return sorted(Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename"))


ALL_ROLES = [CHIEF_ENGINEER, ENGINEER, VIEWER, MASTER, INSPECTOR]


@pytest.mark.parametrize("name", ALL_ROLES)
def test_groups_have_exactly_the_role_permissions(db, name):
    assert perms_of(name) == sorted(group_permissions()[name])


def test_nobody_may_delete_entries_or_soundings(db):
    for name in ALL_ROLES:
        codenames = {c for _, c in perms_of(name)}
        assert "delete_orbentry" not in codenames and "delete_weeklysounding" not in codenames
        assert "delete_shiptimeoffset" not in codenames and "delete_vesselparticulars" not in codenames


@pytest.mark.parametrize("name", [MASTER, INSPECTOR])
def test_master_and_inspector_see_the_whole_book_and_write_none_of_it(db, name):
    perms = set(perms_of(name))
    assert set(perms_of(VIEWER)) <= perms
    writes = {(app, c) for app, c in perms if not c.startswith("view_")}
    assert writes == ({("orb", "change_vesselparticulars")} if name == MASTER else set())


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
    for name in (
        "soundings_tank_add",
        "fueltickets_servicetankpair_add",
        "fueltickets_hitchrecord_add",
        "fueltickets_dailyfuelticket_add",
        "soundings_weeklysounding_add",
    ):
        assert client.get(url(name)).status_code == 200, name
    sounding = record_sounding(tanks["17S"], feet=1, inches=0)
    assert client.get(url("soundings_weeklysounding_delete", sounding.pk)).status_code == 403
    assert client.get(url("soundings_orbentry_delete", sounding.entries.first().pk)).status_code == 403


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_login_permissions_migration_is_reversible():
    """orb.0001 gives the Chief Engineer (only) django-axes' login permissions; undone, it
    takes them back and leaves the rest of the role alone. orb.0003 (Master, Inspector, the
    Chief Engineer's orb permissions) is undone on the way, and comes back; so is soundings.0006
    (the record's view permissions), which depends on orb.0003."""
    logins = set(LOGIN_PERMISSIONS) | set(CHIEF_ORB_PERMISSIONS) | set(RECORD_VIEW_PERMISSIONS)
    before = perms_of(CHIEF_ENGINEER)
    # soundings.0008 (sludge disposals, calibration table versions) depends on orb.0003 too.
    logins |= {p for p in before if p[0] == "soundings" and p[1].endswith(("_calibrationversion", "_sludgedisposal"))}
    # orb.0005 (bunker deliveries' permissions) goes and comes back with the orb app too.
    logins |= {p for p in before if p[0] == "fueltickets" and p[1].endswith("_bunkerdelivery")}
    assert logins <= set(before)
    assert not any(set(LOGIN_PERMISSIONS) & set(perms_of(name)) for name in (ENGINEER, VIEWER, MASTER, INSPECTOR))
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("orb", None)])
        assert set(perms_of(CHIEF_ENGINEER)) == set(before) - logins
        assert not Group.objects.filter(name__in=[MASTER, INSPECTOR]).exists()
    finally:
        MigrationExecutor(connection).migrate(leaves)
    assert perms_of(CHIEF_ENGINEER) == before
    for name in (MASTER, INSPECTOR):
        assert perms_of(name) == sorted(group_permissions()[name])


def test_master_keeps_the_vessel_particulars_and_views_the_book(client, make_user, tanks, active_pair):
    sounding = record_sounding(tanks["17P"], feet=1, inches=0)
    client.force_login(make_user("master", group=MASTER))
    for name in (
        "soundings_orbentry_changelist",
        "soundings_weeklysounding_changelist",
        "fueltickets_dailyfuelticket_changelist",
        "orb_shiptimeoffset_changelist",
        "orb_vesselparticulars_changelist",
    ):
        assert client.get(url(name)).status_code == 200, name
    assert client.get(url("soundings_weeklysounding_change", sounding.pk)).status_code == 200
    for name in (
        "soundings_weeklysounding_add",
        "fueltickets_dailyfuelticket_add",
        "orb_shiptimeoffset_add",
        "orb_vesselparticulars_add",
        "orb_userprofile_changelist",
        "auth_user_changelist",
        "axes_accessattempt_changelist",
    ):
        assert client.get(url(name)).status_code == 403, name
    assert client.get(reverse("orb_book")).status_code == 200
    vessel = VesselParticulars.objects.create(name="MV Example", imo_number="9074729")
    response = client.post(
        url("orb_vesselparticulars_change", vessel.pk),
        {
            "name": "MV Example",
            "imo_number": "9074729",
            "call_sign": "ABCD",
            "lines_per_page": 30,
            "slop_alert_percent": 85,
            "days_left_alert": 10,
            "flag_approval_reference": "",
            "flag_approval_date": "",
        },
    )
    assert response.status_code == 302
    vessel.refresh_from_db()
    assert (vessel.call_sign, vessel.lines_per_page) == ("ABCD", 30)
    assert client.get(url("orb_vesselparticulars_delete", vessel.pk)).status_code == 403


@pytest.mark.parametrize("name", [INSPECTOR, CHIEF_ENGINEER])
def test_inspector_and_chief_read_the_audit_trail_and_change_none_of_it(client, make_user, name):
    client.force_login(make_user("reader", group=name))
    for model in ("auditevent", "pagesignature", "entryreview"):
        assert client.get(url(f"soundings_{model}_changelist")).status_code == 200, model
        assert client.get(url(f"soundings_{model}_add")).status_code == 403, model
    codenames = {c for app, c in perms_of(name) if app == "soundings"}
    for model in ("auditevent", "pagesignature", "entryreview"):
        assert {f"{a}_{model}" for a in ("add", "change", "delete")}.isdisjoint(codenames)


@pytest.mark.parametrize("name", [ENGINEER, VIEWER, MASTER])
def test_others_do_not_read_the_audit_trail(client, make_user, name):
    client.force_login(make_user("other", group=name))
    assert client.get(url("soundings_auditevent_changelist")).status_code == 403


def test_inspector_reads_the_whole_book_and_writes_nothing(client, make_user, tanks, active_pair):
    sounding = record_sounding(tanks["17P"], feet=1, inches=0)
    client.force_login(make_user("psc", group=INSPECTOR))
    for name in (
        "soundings_orbentry_changelist",
        "soundings_weeklysounding_changelist",
        "soundings_tank_changelist",
        "fueltickets_dailyfuelticket_changelist",
        "fueltickets_hitchrecord_changelist",
        "orb_shiptimeoffset_changelist",
        "orb_vesselparticulars_changelist",
    ):
        assert client.get(url(name)).status_code == 200, name
    assert client.get(url("soundings_weeklysounding_change", sounding.pk)).status_code == 200
    for name in (
        "soundings_weeklysounding_add",
        "fueltickets_dailyfuelticket_add",
        "orb_shiptimeoffset_add",
        "orb_vesselparticulars_add",
        "orb_userprofile_changelist",
        "auth_user_changelist",
    ):
        assert client.get(url(name)).status_code == 403, name
    response = client.post(url("soundings_weeklysounding_change", sounding.pk), {"feet": 2, "inches": 0})
    assert response.status_code == 403
    assert client.get(reverse("dashboard")).status_code == 200


def test_chief_engineer_sets_ranks_offsets_and_particulars_but_deletes_none(client, make_user):
    from orb.models import ShipTimeOffset, UserProfile

    chief = make_user("chief", group=CHIEF_ENGINEER)
    officer = make_user("second")
    client.force_login(chief)
    response = client.post(url("orb_userprofile_add"), {"user": officer.pk, "rank": "2nd Engineer"})
    assert response.status_code == 302, response.content.decode()[:2000]
    profile = UserProfile.objects.get(user=officer)
    assert profile.rank == "2nd Engineer"
    assert client.get(url("orb_userprofile_delete", profile.pk)).status_code == 403
    response = client.post(
        url("orb_shiptimeoffset_add"),
        {"effective_from_0": "2025-03-01", "effective_from_1": "06:00:00", "offset_minutes": -360, "note": "Gulf"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    offset = ShipTimeOffset.objects.get()
    assert offset.set_by == chief and offset.offset_minutes == -360
    for name in ("orb_vesselparticulars_add", "orb_shiptimeoffset_changelist", "orb_userprofile_changelist"):
        assert client.get(url(name)).status_code == 200, name
    assert client.get(url("orb_shiptimeoffset_delete", offset.pk)).status_code == 403
    response = client.post(
        url("orb_shiptimeoffset_change", offset.pk),
        {"effective_from_0": "2025-03-01", "effective_from_1": "06:00:00", "offset_minutes": -300, "note": "x"},
    )
    assert response.status_code == 403
    offset.refresh_from_db()
    assert offset.offset_minutes == -360
    assert client.get(url("auth_user_changelist")).status_code == 403


@pytest.mark.parametrize("name", [ENGINEER, VIEWER])
def test_engineer_and_viewer_do_not_touch_the_orb_tables(client, make_user, name):
    client.force_login(make_user("someone", group=name))
    for page in ("orb_userprofile_changelist", "orb_shiptimeoffset_changelist", "orb_vesselparticulars_changelist"):
        assert client.get(url(page)).status_code == 403, page
