from tests.migrationcheck.scenarios.initial import Migration  # noqa: F401
