"""The hash chain and manage.py verify_orb (issue 13): an intact book, a row changed by hand
with the triggers dropped first, missing triggers, triggers back after a migration."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.core.management.sql import emit_pre_migrate_signal
from django.db import connection

from soundings import chain, guards
from soundings.models import OrbEntry
from tests.conftest import PASSWORD, record_sounding, sign_all

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def signed(tanks, officer):
    return sign_all(record_sounding(tanks["17S"], feet=1, inches=0).entries.all(), officer)


@pytest.fixture
def no_triggers(db):
    guards.uninstall(connection)
    yield
    guards.install(connection)


def verify_json():
    try:
        call_command("verify_orb", "--json", stdout=(out := __import__("io").StringIO()))
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, json.loads(out.getvalue())


def test_an_intact_book(signed, capsys):
    code, state = verify_json()
    assert code == 0 and state["ok"] and state["chain"]["entries"] == 3
    assert state["chain"]["head"] == signed[-1].entry_hash and state["missing_triggers"] == []
    call_command("verify_orb")
    assert "The book is intact: 3 signed entries" in capsys.readouterr().out


def test_a_changed_entry_is_named_with_what_differs(signed, no_triggers):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE soundings_orbentry SET text = 'forged' WHERE id = %s", [signed[1].pk])
    result = chain.verify_book()
    assert not result.ok and result.first_broken_entry.pk == signed[1].pk and result.broken_sequence == 2
    assert result.differing_fields == ["text"] and "differs from what was signed in: text" in result.what_differs
    assert result.head == signed[0].entry_hash  # the last good hash
    code, state = verify_json()
    assert code == 1 and not state["ok"] and state["chain"]["first_broken_entry"]["sequence"] == 2
    assert set(state["missing_triggers"]) == set(guards.trigger_names(connection))


def test_a_forged_content_and_hash_and_a_deleted_entry_are_found(signed, no_triggers):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE soundings_orbentry SET signed_content = replace(signed_content, '17S', '17P'), "
            "text = replace(text, '17S', '17P') WHERE id = %s",
            [signed[0].pk],
        )
    result = chain.verify_book()
    assert result.broken_sequence == 1 and result.differing_fields == ["entry_hash"]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM soundings_orbentry WHERE id = %s", [signed[0].pk])
    result = chain.verify_book()
    assert result.broken_sequence == 1 and "missing" in result.what_differs


def test_missing_triggers_alone_fail_the_check(signed):
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER orb_guard_soundings_auditevent_delete"
            + (" ON soundings_auditevent" if connection.vendor == "postgresql" else "")
        )
    code, state = verify_json()
    assert code == 1 and state["chain"]["ok"] and state["missing_triggers"] == ["orb_guard_soundings_auditevent_delete"]
    with pytest.raises(CommandError, match="triggers missing: orb_guard_soundings_auditevent_delete"):
        call_command("verify_orb")
    guards.install(connection)
    assert guards.missing(connection) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_triggers_are_back_after_a_migration_that_rebuilds_the_table(tanks, officer):
    """Altering a column makes SQLite rebuild the table (signed rows copied, the old table
    dropped), which drops its triggers; any migrate run ends with the post_migrate receiver
    putting them back."""
    signed = sign_all(record_sounding(tanks["17S"], feet=1, inches=0).entries.all(), officer)
    field = OrbEntry._meta.get_field("item")
    wider = field.clone()
    wider.set_attributes_from_name("item")
    wider.max_length = 9
    emit_pre_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    with connection.schema_editor() as editor:
        editor.alter_field(OrbEntry, field, wider)
    try:
        if connection.vendor == "sqlite":
            assert "orb_guard_soundings_orbentry_update" in guards.missing(connection)
        call_command("migrate", verbosity=0)
        assert guards.missing(connection) == []
        assert chain.verify_book().ok and chain.verify_book().entries == len(signed)
    finally:
        emit_pre_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
        with connection.schema_editor() as editor:
            editor.alter_field(OrbEntry, wider, field)
        guards.install(connection)


@pytest.mark.e2e
@pytest.mark.sqlite_file
@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite file changed from outside")
def test_verify_orb_names_a_row_changed_by_hand_in_a_real_file(tmp_path):
    db = tmp_path / "orb.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SETTINGS_MODULE": "orb.settings",
        "ORB_ALLOW_PLAIN_MIGRATE": "1",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SECRET_KEY": "verify-orb-test-only-key-0123456789-0123456789-0123456789",
    }
    env.pop("ORB_GUARD_TEST_BYPASS", None)

    def manage(*args):
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert manage("migrate", "--noinput", "-v", "0").returncode == 0
    script = (
        "from django.contrib.auth.models import User; from orb.models import UserProfile; "
        "from soundings.models import OrbEntry; from datetime import datetime, UTC; "
        f"u = User.objects.create_user('smith', password='{PASSWORD}', first_name='J.', last_name='Smith'); "
        "UserProfile.objects.create(user=u, rank='2nd Engineer'); "
        "[OrbEntry.objects.create(code='I', text=f'Remark {n}', instant=datetime(2025, 3, n, tzinfo=UTC))"
        f".sign(user=u, password='{PASSWORD}') for n in (1, 2, 3)]"
    )
    made = manage("shell", "-c", script)
    assert made.returncode == 0, made.stderr
    intact = manage("verify_orb", "--json")
    assert intact.returncode == 0 and json.loads(intact.stdout)["chain"]["entries"] == 3
    outside = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="ORB append-only"):
        outside.execute("UPDATE soundings_orbentry SET text = 'forged' WHERE sequence = 2")
    names = [
        row[0]
        for row in outside.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'soundings_orbentry'"
        )
    ]
    for name in names:
        outside.execute(f"DROP TRIGGER {name}")
    outside.execute("UPDATE soundings_orbentry SET text = 'Remark 2, forged' WHERE sequence = 2")
    outside.commit()
    outside.close()
    broken = manage("verify_orb", "--json")
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    state = json.loads(broken.stdout)
    assert state["chain"]["first_broken_entry"]["sequence"] == 2 and state["chain"]["differing_fields"] == ["text"]
    assert set(state["missing_triggers"]) == set(names)
    plain = manage("verify_orb")
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert "broken at entry 2" in plain.stderr and "text" in plain.stderr
