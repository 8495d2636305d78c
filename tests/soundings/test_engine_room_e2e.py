"""End to end on a real SQLite file (issue 14): a database written before table versions and
disposals existed is upgraded by manage.py safe_migrate; its tanks' rows become table version 1,
its sounding records that version, its signed entries are untouched and the book verifies; then
load_sounding_tables with a changed table makes version 2 and the old sounding keeps its volume;
a new sounding uses version 2 and a quarter inch; a second scheduled sounding the same day is
refused. Every step is a manage.py subprocess; the assertions read the database file."""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings

from tests.conftest import TABLE_FILE

pytestmark = pytest.mark.e2e


class Manage:
    def __init__(self, db_file):
        self.db = db_file
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{db_file}",
            "DJANGO_SETTINGS_MODULE": "orb.settings",
            "DJANGO_DEBUG": "1",
            "ORB_TIME_ZONE": "UTC",
        }

    def __call__(self, *args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def rows(self, sql, params=()):
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql, params).fetchall()


def _old_book(db_file):
    """Tanks, their rows, a sounding and its three entries as the tool wrote them before
    signatures (the schema of soundings 0003)."""
    tables = json.loads(TABLE_FILE.read_text())["tanks"]
    with sqlite3.connect(db_file) as conn:
        for designation, section in (("17P", "3.3"), ("17S", "3.1")):
            spec = tables[designation]
            tank_id = conn.execute(
                "INSERT INTO soundings_tank (designation, name, iopp_section, capacity_gallons) VALUES (?, ?, ?, ?)",
                (designation, spec["name"], section, "1607"),
            ).lastrowid
            conn.executemany(
                "INSERT INTO soundings_calibrationrow (tank_id, feet, inches, gallons) VALUES (?, ?, ?, ?)",
                [(tank_id, r["feet"], r["inches"], str(r["gallons"])) for r in spec["soundings"]],
            )
        sounding_id = conn.execute(
            "INSERT INTO soundings_weeklysounding (tank_id, recorded_at, feet, inches, engineer_name, engineer_title, "
            "gallons, m3, created_at) SELECT id, '2025-03-16 10:00:00', 1, 6, 'J. Smith', '2nd Engineer', '619.00', "
            "'2.3432', '2025-03-16 10:05:00' FROM soundings_tank WHERE designation = '17S'"
        ).lastrowid
        for item, text in (("11.1", "17S Dirty Oil Tank"), ("11.2", "6.08 m³"), ("11.3", "2.34 m³")):
            conn.execute(
                "INSERT INTO soundings_orbentry (entry_date, code, item, text, officer_name, officer_rank, created_at, "
                "sounding_id, correction_reason, entry_hash, instant, is_late, legacy, ship_offset_minutes, "
                "signed_content, signer_name, signer_rank, state) VALUES ('2025-03-16', 'C', ?, ?, 'J. Smith', "
                "'2nd Engineer', '2025-03-16 10:05:00', ?, '', '', '2025-03-16 10:00:00', 0, 0, 0, '', '', '', "
                "'draft')",
                (item, text, sounding_id),
            )


SHELL_SOUNDINGS = """
from django.core.exceptions import ValidationError
from datetime import datetime, UTC
from soundings.models import Tank, WeeklySounding
tank = Tank.objects.get(designation="17S")
def sound(hour, **extra):
    s = WeeklySounding(tank=tank, recorded_at=datetime(2025, 3, 23, hour, 0, tzinfo=UTC), feet=1, inches=6,
                       engineer_name="J. Smith", engineer_title="2nd Engineer", **extra)
    try:
        s.save()
        print("recorded", s.pk, s.gallons, s.calibration_version.number)
    except ValidationError as exc:
        print("refused", exc.message_dict)
sound(10, quarters=1)
sound(11)
sound(11, kind="re-sounding")
"""


def test_old_book_upgraded_then_a_changed_table_is_a_new_version(tmp_path):
    db_file = tmp_path / "orb.db"
    manage = Manage(db_file)
    for target in (("contenttypes",), ("soundings", "0003_record_signatures_audit")):
        old = manage("safe_migrate", *target, "--noinput", "-v", "0")
        assert old.returncode == 0, old.stderr
    _old_book(db_file)

    upgraded = manage("safe_migrate", "--noinput", "-v", "0")
    assert upgraded.returncode == 0, upgraded.stderr + upgraded.stdout
    versions = manage.rows(
        "SELECT t.designation, v.number, v.sha256, (SELECT COUNT(*) FROM soundings_calibrationrow r "
        "WHERE r.version_id = v.id) FROM soundings_calibrationversion v JOIN soundings_tank t ON t.id = v.tank_id "
        "ORDER BY 1"
    )
    assert versions == [("17P", 1, "", 37), ("17S", 1, "", 37)]
    assert manage.rows("SELECT COUNT(*) FROM soundings_calibrationrow WHERE version_id IS NULL") == [(0,)]
    assert manage.rows("SELECT designation, iopp_wording, iopp_capacity_m3 FROM soundings_tank ORDER BY 1") == [
        ("17P", "17P Oily Water Tank", 6.08),
        ("17S", "17S Dirty Oil Tank", 6.08),
    ]
    [(version_1,)] = manage.rows(
        "SELECT v.id FROM soundings_calibrationversion v JOIN soundings_tank t ON t.id = v.tank_id "
        "WHERE t.designation = '17S'"
    )
    sounding = "SELECT gallons, calibration_version_id, kind, quarters FROM soundings_weeklysounding WHERE id = 1"
    assert manage.rows(sounding) == [(619, version_1, "scheduled", 0)]
    entries = "SELECT sequence, item, text, state, legacy, entry_hash FROM soundings_orbentry ORDER BY id"
    signed = manage.rows(entries)
    assert [(s, i, t, st, lg) for s, i, t, st, lg, _ in signed] == [
        (1, "11.1", "17S Dirty Oil Tank", "signed", 1),
        (2, "11.2", "6.08 m³", "signed", 1),
        (3, "11.3", "2.34 m³", "signed", 1),
    ]
    assert manage("verify_orb").returncode == 0

    same = manage("load_sounding_tables")
    assert same.returncode == 0 and same.stdout.rstrip().endswith("74 row(s); unchanged."), same.stdout
    assert manage.rows("SELECT COUNT(*) FROM soundings_calibrationversion") == [(2,)]

    data = json.loads(TABLE_FILE.read_text())
    data["tanks"]["17S"]["soundings"][18]["gallons"] = 620  # 1 ft 6 in
    changed_file = tmp_path / "tables.json"
    changed_file.write_text(json.dumps(data))
    changed = manage("load_sounding_tables", str(changed_file))
    assert changed.returncode == 0, changed.stderr
    assert "17S: new table version 2 (1 ft 6 in 619.0 → 620.0 gal)." in changed.stdout
    assert "17P: unchanged (table version 1)." in changed.stdout
    [(number, sha, who, source)] = manage.rows(
        "SELECT number, sha256, loaded_by_name, source FROM soundings_calibrationversion WHERE number = 2"
    )
    assert (number, sha, source) == (2, hashlib.sha256(changed_file.read_bytes()).hexdigest(), str(changed_file))
    assert who
    # Version 1 and the old sounding are untouched.
    assert manage.rows(
        "SELECT gallons FROM soundings_calibrationrow WHERE version_id = ? AND feet = 1 AND inches = 6", (version_1,)
    ) == [(619,)]
    assert manage.rows(sounding) == [(619, version_1, "scheduled", 0)]

    shell = manage("shell", "-v", "0", "-c", SHELL_SOUNDINGS)
    assert shell.returncode == 0, shell.stderr
    lines = shell.stdout.strip().splitlines()
    # 1 ft 6¼ in on version 2: 620 + (673 - 620) / 4 = 633.25 gal.
    assert lines[0] == "recorded 2 633.25 2"
    assert lines[1].startswith("refused {'kind': ['17S already has its scheduled sounding on 23-MAR-2025")
    assert lines[1].endswith("record this one as a re-sounding.']}")
    assert lines[2] == "recorded 3 620.00 2"
    assert manage.rows("SELECT id, kind, gallons FROM soundings_weeklysounding WHERE id > 1 ORDER BY id") == [
        (2, "scheduled", 633.25),
        (3, "re-sounding", 620),
    ]
    assert manage.rows(entries)[:3] == signed
    assert manage("verify_orb").returncode == 0
