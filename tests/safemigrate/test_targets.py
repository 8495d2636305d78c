import pytest
from django.db.migrations.loader import MigrationLoader

from orb.safemigrate.errors import UsageError
from orb.safemigrate.targets import resolve_targets


@pytest.fixture(scope="module")
def loader():
    return MigrationLoader(None, ignore_no_migrations=True)


def test_all_leaves_by_default(loader):
    assert set(resolve_targets(loader)) == set(loader.graph.leaf_nodes())


def test_app_and_prefix(loader):
    assert resolve_targets(loader, app_label="soundings", migration_name="0001") == [("soundings", "0001_initial")]
    assert resolve_targets(loader, app_label="soundings", migration_name="zero") == [("soundings", None)]


@pytest.mark.parametrize(
    "app,name,message",
    [
        ("nope", None, "No installed app with label 'nope'"),
        ("soundings", "0999", "has no migration '0999'"),
        ("auth", "000", "More than one migration"),
        ("staticfiles", None, "does not have migrations"),
        (None, "0001", "needs its app label"),
    ],
)
def test_bad_targets_are_usage_errors(loader, app, name, message):
    with pytest.raises(UsageError, match=message) as info:
        resolve_targets(loader, app_label=app, migration_name=name)
    assert info.value.exit_code == 2
