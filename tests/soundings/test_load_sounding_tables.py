import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from soundings.models import CalibrationRow, CalibrationVersion, Tank
from tests.conftest import TABLE_FILE, at, record_sounding


def table_data():
    return json.loads(TABLE_FILE.read_text())


def write(tmp_path, data, name="tables.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def load(path, capsys=None):
    call_command("load_sounding_tables", str(path))


def test_loads_the_vessel_tables(db, capsys):
    call_command("load_sounding_tables")
    assert Tank.objects.count() == 2
    p, s = Tank.objects.get(designation="17P"), Tank.objects.get(designation="17S")
    assert (p.name, p.orb_code, p.capacity_gallons) == ("Oily Water Tank", "I", Decimal("1607"))
    assert (s.name, s.orb_code) == ("Dirty Oil Tank", "C")
    assert p.calibration_rows.count() == 37
    assert p.calibration_rows.get(feet=1, inches=6).gallons == Decimal("619")
    out = capsys.readouterr().out
    assert "2 tank(s), 74 row(s); 2 new table version(s)." in out
    assert "17P: tank created, table version 1." in out
    version = p.current_version
    assert version.number == 1 and version.rows.count() == 37
    assert version.sha256 == hashlib.sha256(TABLE_FILE.read_bytes()).hexdigest()
    assert version.loaded_by_name and version.source == str(TABLE_FILE)
    # A new tank's IOPP capacity is the file's capacity_m3; its wording falls back to designation and name.
    assert (p.iopp_capacity_m3, p.identity) == (Decimal("6.08"), "17P Oily Water Tank")


def test_second_run_changes_nothing(db, capsys):
    call_command("load_sounding_tables")
    before = list(CalibrationRow.objects.order_by("pk").values_list("pk", "tank_id", "feet", "inches", "gallons"))
    capsys.readouterr()
    call_command("load_sounding_tables")
    out = capsys.readouterr().out
    assert "17P: unchanged (table version 1)." in out and out.rstrip().endswith("74 row(s); unchanged.")
    assert CalibrationVersion.objects.count() == 2
    after = list(CalibrationRow.objects.order_by("pk").values_list("pk", "tank_id", "feet", "inches", "gallons"))
    assert before == after


def test_changed_file_makes_a_new_version_and_old_soundings_keep_theirs(db, tmp_path, capsys, make_user):
    call_command("load_sounding_tables")
    tank = Tank.objects.get(designation="17P")
    old_version = tank.current_version
    sounding = record_sounding(tank, feet=1, inches=6)
    assert (sounding.calibration_version, sounding.gallons) == (old_version, Decimal("619.00"))
    data = table_data()
    data["tanks"]["17P"]["soundings"][18]["gallons"] = 620
    data["tanks"]["17P"]["soundings"].pop()  # 3 ft 0 in removed
    data["tanks"]["17P"]["name"] = "Bilge Holding Tank"
    make_user("chief")
    capsys.readouterr()
    path = write(tmp_path, data)
    call_command("load_sounding_tables", str(path), "--user", "chief")
    out = capsys.readouterr().out
    assert "17P: changed name, new table version 2 (1 ft 6 in 619.0 → 620.0 gal; 3 ft 0 in removed)." in out
    assert "17S: unchanged (table version 1)." in out
    assert out.rstrip().endswith("1 new table version(s).")
    tank.refresh_from_db()
    new = tank.current_version
    assert tank.name == "Bilge Holding Tank"
    assert (new.number, new.loaded_by.username, new.loaded_by_name) == (2, "chief", "chief")
    assert new.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert new.rows.get(feet=1, inches=6).gallons == Decimal("620")
    assert not new.rows.filter(feet=3).exists()
    # The old version is untouched, and the old sounding still says it and keeps its volume.
    assert old_version.rows.count() == 37 and old_version.rows.get(feet=1, inches=6).gallons == Decimal("619")
    sounding.refresh_from_db()
    assert (sounding.calibration_version_id, sounding.gallons) == (old_version.pk, Decimal("619.00"))
    later = record_sounding(tank, feet=1, inches=6, when=at(2025, 3, 23, 10, 0))
    assert (later.calibration_version, later.gallons) == (new, Decimal("620.00"))


def test_a_version_in_use_is_never_edited_or_deleted(db, tanks):
    tank = tanks["17S"]
    version = tank.current_version
    record_sounding(tank, feet=1, inches=0)
    row = version.rows.get(feet=1, inches=0)
    row.gallons = Decimal("1")
    with pytest.raises(ValidationError, match="17S table version 1 was used by soundings and is never changed"):
        row.save()
    with pytest.raises(ValidationError, match="never changed"):
        row.delete()
    with pytest.raises(ValidationError, match="never changed"):
        CalibrationRow(tank=tank, version=version, feet=5, inches=0, gallons=Decimal("9999")).save()
    with pytest.raises(ValidationError, match="never deleted"):
        version.delete()
    assert version.rows.get(feet=1, inches=0).gallons == Decimal("323")


def test_unused_version_rows_may_still_be_edited(db, sparse_tank):
    row = sparse_tank.current_version.rows.get(feet=1)
    row.gallons = Decimal("121")
    row.save()
    assert sparse_tank.gallons_at(feet=1, inches=0) == Decimal("121")


def test_unknown_user_is_one_sentence(db):
    with pytest.raises(CommandError, match='There is no login "nobody"; give an existing username with --user'):
        call_command("load_sounding_tables", "--user", "nobody")
    assert not Tank.objects.exists()


def test_iopp_keys_are_read_and_checked(db, tmp_path):
    data = table_data()
    data["tanks"]["17S"]["iopp_wording"] = "Sludge tank 17S (Fr 17-19, stbd)"
    data["tanks"]["17S"]["iopp_capacity_m3"] = "6.10"
    load(write(tmp_path, json.dumps(data).replace('"6.10"', "6.10")))
    tank = Tank.objects.get(designation="17S")
    assert (tank.identity, tank.stated_capacity_m3) == ("Sludge tank 17S (Fr 17-19, stbd)", Decimal("6.10"))
    data["tanks"]["17S"]["iopp_capacity_m3"] = 6.123
    with pytest.raises(CommandError, match="iopp_capacity_m3 must be a positive number with at most two decimals"):
        load(write(tmp_path, data, "bad.json"))


def _bad(mutate):
    data = table_data()
    mutate(data)
    return data


BAD_FILES = [
    ('{"tanks": ', "not valid JSON at line 1 column 11 (Expecting value); fix the syntax."),
    ("[]", 'the file must be a JSON object with a "tanks" object.'),
    ({"tanks": {}}, '"tanks" is empty; the file must describe at least one tank.'),
    (_bad(lambda d: d["tanks"]["17P"].pop("name")), 'tank 17P: the required key "name" is missing.'),
    (
        _bad(lambda d: d["tanks"]["17S"].__setitem__("orb_code", "D")),
        'tank 17S: orb_code must be "C" (sludge tank, IOPP 3.1) or "I" (bilge holding tank, IOPP 3.3), got \'D\'.',
    ),
    (
        _bad(lambda d: d["tanks"]["17P"]["soundings"][4].__setitem__("inches", 12)),
        "tank 17P row 5: inches must be 0–11, got 12.",
    ),
    (
        _bad(lambda d: d["tanks"]["17P"]["soundings"][4].__setitem__("inches", -1)),
        "tank 17P row 5: inches must be 0–11, got -1.",
    ),
    (
        _bad(lambda d: d["tanks"]["17P"]["soundings"][4].__setitem__("feet", -1)),
        "tank 17P row 5: feet must be a whole number 0 or more, got -1.",
    ),
    (
        _bad(lambda d: d["tanks"]["17P"]["soundings"][4].pop("gallons")),
        'tank 17P row 5: the required key "gallons" is missing.',
    ),
    (
        _bad(lambda d: d["tanks"]["17P"]["soundings"][4].__setitem__("gallons", "lots")),
        "tank 17P row 5: gallons must be a number 0 or more, got 'lots'.",
    ),
    (
        _bad(lambda d: d["tanks"]["17P"]["soundings"][5].__setitem__("gallons", 1)),
        "tank 17P row 6: 1 gal at 0 ft 5 in is less than at the depth below it; volumes must not decrease with depth.",
    ),
    (
        _bad(lambda d: d["tanks"]["17P"]["soundings"][5].update(feet=0, inches=4)),
        "tank 17P row 6: 0 ft 4 in repeats row 5; each depth may appear once.",
    ),
    (
        _bad(lambda d: d["tanks"]["17S"].__setitem__("capacity_gallons", 0)),
        "tank 17S: capacity_gallons must be a positive number, got 0.",
    ),
    (
        _bad(lambda d: d["tanks"]["17S"].__setitem__("soundings", [])),
        "tank 17S: soundings must be a non-empty list of rows.",
    ),
]


@pytest.mark.parametrize("content, message", BAD_FILES)
def test_bad_file_gives_one_sentence_and_writes_nothing(db, tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(CommandError) as exc:
        load(path)
    assert str(exc.value) == f"{path}: {message}"
    assert not Tank.objects.exists() and not CalibrationRow.objects.exists()


def test_error_in_second_tank_leaves_first_tank_unchanged(db, tmp_path):
    call_command("load_sounding_tables")
    data = table_data()
    data["tanks"]["17P"]["soundings"][0]["gallons"] = 1  # valid change
    data["tanks"]["17S"]["soundings"][3]["inches"] = 12  # invalid
    with pytest.raises(CommandError, match="tank 17S row 4: inches must be 0–11, got 12."):
        load(write(tmp_path, data))
    assert Tank.objects.get(designation="17P").calibration_rows.get(feet=0, inches=0).gallons == 0


def test_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="nope.json: file not found; give the path"):
        load(tmp_path / "nope.json")


def test_unsorted_rows_are_accepted(db, tmp_path):
    data = table_data()
    data["tanks"]["17P"]["soundings"].reverse()
    load(write(tmp_path, data))
    assert Tank.objects.get(designation="17P").calibration_rows.count() == 37


@pytest.mark.e2e
def test_command_as_subprocess_on_a_real_file(tmp_path):
    db_file = tmp_path / "orb.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_file}",
        "DJANGO_SETTINGS_MODULE": "orb.settings",
        "DJANGO_DEBUG": "1",
    }

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    migrated = manage("safe_migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    first = manage("load_sounding_tables")
    assert first.returncode == 0, first.stderr
    second = manage("load_sounding_tables")
    assert second.returncode == 0 and second.stdout.rstrip().endswith("; unchanged."), second.stdout

    bad = write(tmp_path, _bad(lambda d: d["tanks"]["17P"]["soundings"][4].__setitem__("inches", 12)), "bad.json")
    failed = manage("load_sounding_tables", str(bad))
    assert failed.returncode == 1
    assert failed.stderr.strip() == f"CommandError: {bad}: tank 17P row 5: inches must be 0–11, got 12."
    assert "Traceback" not in failed.stderr

    with sqlite3.connect(db_file) as conn:
        rows = conn.execute(
            "SELECT t.designation, COUNT(*), SUM(r.gallons) FROM soundings_tank t "
            "JOIN soundings_calibrationrow r ON r.tank_id = t.id GROUP BY t.designation ORDER BY 1"
        ).fetchall()
    total = sum(r["gallons"] for r in table_data()["tanks"]["17P"]["soundings"])
    assert [(d, n, round(g)) for d, n, g in rows] == [("17P", 37, total), ("17S", 37, total)]
