"""--prune-backups --keep N keeps the newest N verified backups plus the backup of the run
--rollback would undo next (only that one), and says why it keeps each backup beyond N."""

import os

import pytest

from .conftest import ROOT, assert_clean

pytestmark = pytest.mark.e2e

FIELD = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scenario", "{previous}")]
    operations = [migrations.AddField("reading", "flag{n}", models.IntegerField(null=True))]
"""


def five_steps(tmp_path):
    """A scenario package: the initial migration and four that each add a column."""
    package = tmp_path / "pkgs" / "five_steps"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "0001_initial.py").write_text((ROOT / "tests/e2e/scenarios/initial.py").read_text())
    previous = "0001_initial"
    for n in range(2, 6):
        name = f"000{n}_flag{n}"
        (package / f"{name}.py").write_text(FIELD.format(previous=previous, n=n))
        previous = name
    return {"ORB_SCENARIO_MODULE": package.name, "PYTHONPATH": f"{ROOT}{os.pathsep}{package.parent}"}


def test_prune_after_four_upgrades_and_a_rollback_keeps_n_plus_the_next_rollback(project, tmp_path):
    env = five_steps(tmp_path)
    upgrades = []
    for n in range(2, 6):
        assert_clean(project.run("safe_migrate", "scenario", f"000{n}", "--noinput", **env), 0)
        upgrades.append(project.journal()[-1])
    assert_clean(project.run("safe_migrate", "--rollback", "--noinput", **env), 0)  # undoes the 4th
    rollback_backup = project.journal()[-1]["backup"]["path"]
    b1, b2, b3, b4 = (record["backup"]["path"] for record in upgrades)
    assert set(project.backups()) == {b1, b2, b3, b4, rollback_backup}

    pruned = project.run("safe_migrate", "--prune-backups", "--keep", "2", "--noinput", **env)

    assert_clean(pruned, 0)
    # The newest two (the rollback's and the 4th upgrade's), and the 3rd upgrade's: --rollback undoes it next.
    assert set(project.backups()) == {rollback_backup, b4, b3}
    for gone in (b1, b2):
        assert not os.path.exists(gone) and not os.path.exists(gone + ".json")
    third = upgrades[2]["id"]
    assert f"{b3}" in pruned.stdout and third in pruned.stdout and "--rollback" in pruned.stdout
    record = project.journal()[-1]
    assert record["mode"] == "prune" and set(record["deleted"]) == {b1, b2}

    # Nothing left to delete: the output still says why the extra backup is kept.
    again = project.run("safe_migrate", "--prune-backups", "--keep", "2", "--noinput", **env)
    last = assert_clean(again, 0)
    assert last.startswith("Backups unchanged")
    assert f"{b3}" in again.stdout and third in again.stdout
    assert "none beyond" not in last
    assert set(project.backups()) == {rollback_backup, b4, b3}
    # And that run can still be undone.
    assert_clean(project.run("safe_migrate", "--rollback", "--noinput", **env), 0)


def test_prune_leaves_files_it_did_not_write_alone_and_does_not_count_them(project, tmp_path):
    assert_clean(project.run("safe_migrate", "--noinput", scenario="add_column"), 0)
    good = project.journal()[-1]["backup"]["path"]
    stray = str(project.dir / "orb.db.backup-29990101_000000")
    with open(stray, "wb") as handle:
        handle.write(b"not written by safe_migrate")
    pruned = project.run("safe_migrate", "--prune-backups", "--keep", "1", "--noinput", scenario="add_column")
    assert_clean(pruned, 0)
    assert os.path.exists(good) and os.path.exists(stray)
    assert stray in pruned.stdout and "not counted" in pruned.stdout.lower()
