"""orb.safemigrate.prune_records: which django_migrations rows --prune removes, and when it refuses.

The loader is a stand-in holding what ``MigrationLoader`` would (applied rows, files on disk,
squashes); the run itself is tested end to end in tests/e2e/test_migrate_options*.py."""

from types import SimpleNamespace

import pytest

from orb.safemigrate.errors import Refused
from orb.safemigrate.prune_records import records_to_prune, require_listed, state_line

from .inprocess import run


def loader(*, applied, disk, replacements=None):
    return SimpleNamespace(
        applied_migrations=dict.fromkeys(applied),
        disk_migrations=dict.fromkeys(disk),
        replacements=replacements or {},
    )


def test_rows_without_a_file_of_installed_apps_are_pruned_and_nothing_else():
    found = loader(
        applied=[("soundings", "0001_initial"), ("soundings", "0002_old"), ("gone_app", "0001_initial")],
        disk=[("soundings", "0001_initial")],
    )
    assert records_to_prune(found) == ["soundings.0002_old"]  # an uninstalled app's rows are left alone
    assert records_to_prune(found, app_label="fueltickets") == []
    assert records_to_prune(found, app_label="soundings") == ["soundings.0002_old"]


def test_refused_while_a_squash_still_replaces_a_row_to_prune():
    squash = SimpleNamespace(replaces=[("soundings", "0001_initial"), ("soundings", "0002_old")])
    found = loader(
        applied=[("soundings", "0001_initial"), ("soundings", "0002_old")],
        disk=[("soundings", "0001_squashed_0002_old")],
        replacements={("soundings", "0001_squashed_0002_old"): squash},
    )
    with pytest.raises(Refused, match=r"soundings\.0001_squashed_0002_old still lists migrations to prune"):
        records_to_prune(found)


def test_the_rows_under_the_lock_must_be_the_ones_listed():
    require_listed(["a.0001_x"], None)
    require_listed(["a.0001_x"], ["a.0001_x"])
    with pytest.raises(Refused, match="changed after you confirmed"):
        require_listed(["a.0001_x", "a.0002_y"], ["a.0001_x"])


def test_state_line_names_the_rows_and_the_backup():
    assert state_line(["a.0001_x"], "/b") == (
        "Database pruned: 1 record(s) of deleted migration files removed from django_migrations (a.0001_x); backup /b"
    )


def test_prune_takes_an_app_label_at_most(db):
    result = run("--prune", "soundings", "0001", "--noinput")
    assert result.code == 2 and "--prune takes an app label at most" in result.stderr
