"""``manage.py check_migrations`` as a subprocess, on a scenario migration package of the
``scenario`` app (tests/migrationcheck/scenarios), with its own lock and check files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class CheckProject:
    """A temporary folder holding the database file, the lock and check files, and TMPDIR."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.db = self.dir / "orb.db"
        self.lock = self.dir / "migrations.lock"
        self.check_file = self.dir / "migrations.checks.toml"
        self.tmp = self.dir / "tmp"
        self.tmp.mkdir()

    def env(self, scenario, **extra):
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.migrationcheck.settings",
                "ORB_SCENARIO_MODULE": f"tests.migrationcheck.scenarios.{scenario}",
                "DATABASE_URL": f"sqlite:///{self.db}",
                "ORB_MIGRATIONS_LOCK": str(self.lock),
                "ORB_MIGRATION_CHECKS_FILE": str(self.check_file),
                "TMPDIR": str(self.tmp),
                "PYTHONPATH": str(ROOT),
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def run(self, scenario, *args, **extra):
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env(scenario, **extra),
            capture_output=True,
            text=True,
            timeout=600,
        )

    def check(self, scenario, *args, code=None, **extra):
        """check_migrations --json on the scenario app: (exit status, the JSON document)."""
        result = self.run(scenario, "check_migrations", "scenario", "--json", *args, **extra)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        if code is not None:
            assert result.returncode == code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result.returncode, json.loads(result.stdout)


def found(document, *, open_only=True):
    """{(rule, migration)} of the findings (the open ones unless ``open_only`` is False)."""
    return sorted(
        (item["rule"], item["migration"]) for item in document["findings"] if not (open_only and item["acknowledged"])
    )


@pytest.fixture
def checks(tmp_path):
    return CheckProject(tmp_path)
