"""In-process runs of safe_migrate (``call_command`` and the engine) beside the subprocess e2e tests.

``private_db``: pytest-django's test database (a real SQLite file, see tests/settings.py) copied
into a private folder, with the default connection pointed at the copy for the test: safe_migrate
refuses a state or backup folder others can write to, such as /tmp.  ``scenario(name)``: the
scenario app of the e2e tests installed, with its migrations from tests/e2e/scenarios/<name>
(MIGRATION_MODULES, as tests/e2e/settings.py does).
"""

import io
import json
import os
import sqlite3
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

SCENARIO_APP = "tests.e2e.scenario"


@pytest.fixture
def private_db(transactional_db, tmp_path):
    folder = tmp_path / "db"
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)
    path = folder / "orb.db"
    connection.close()
    original = connection.settings_dict["NAME"]
    source, copy = sqlite3.connect(original), sqlite3.connect(path)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    connection.settings_dict["NAME"] = str(path)
    try:
        yield path
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


@contextmanager
def scenario(name):
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, SCENARIO_APP],
        MIGRATION_MODULES={"scenario": f"tests.e2e.scenarios.{name}"},
    ):
        yield


class Result:
    def __init__(self, *, args, code, stdout, stderr):
        self.args, self.code, self.stdout, self.stderr = args, code, stdout, stderr

    @property
    def last_line(self):
        """The state line: on stderr after an error or with --json, else on stdout."""
        text = self.stderr if self.code or "--json" in self.args else self.stdout
        return text.strip().splitlines()[-1]

    def json(self):
        return json.loads(self.stdout)


def run(*args, **options):
    """``call_command("safe_migrate", ...)``: its exit status (0, or CommandError.returncode) and output."""
    from django.core.management.base import CommandError

    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("safe_migrate", *args, stdout=stdout, stderr=stderr, **options)
    except CommandError as exc:
        code = exc.returncode
    return Result(args=args, code=code, stdout=stdout.getvalue(), stderr=stderr.getvalue())


def journal(path):
    journal_path = f"{path}.safe_migrate.journal.jsonl"
    if not os.path.exists(journal_path):
        return []
    with open(journal_path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def columns(path, table):
    db = sqlite3.connect(path)
    try:
        return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
    finally:
        db.close()
