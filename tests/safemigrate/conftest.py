"""The in-process fixtures of the engine's tests (``private_db``: a private copy of the test
database, which is a real SQLite file).  Tests that use it are marked ``sqlite_file``; the
PostgreSQL pass of ``make test`` deselects them (the engine's PostgreSQL side is covered by the
subprocess tests in tests/e2e/test_postgresql*.py)."""

import pytest

from .inprocess import private_db  # noqa: F401


def pytest_collection_modifyitems(items):
    for item in items:
        if "private_db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.sqlite_file)
