"""Benchmark: import ten years of the Flask tool's record (daily tickets, weekly soundings and
their ORB entries) with ``manage.py import_flask_orb`` on a fresh SQLite database, and print the
time. Issue 16 asks for under a minute; this is a measurement, not a timed test.

    .venv/bin/python bench/import_flask.py [--years N] [--keep DIR]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.flask_import import oldschema  # noqa: E402


def manage(*args, db):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DJANGO_SECRET_KEY": "bench-only-key-" + "x" * 40}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files (default: a temporary folder)")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="orb-import-bench-")
    os.makedirs(folder, exist_ok=True)
    old, db = os.path.join(folder, "flask-orb.db"), os.path.join(folder, "orb.db")
    weeks, days = args.years * 52 + args.years // 5, args.years * 365 + (args.years + 3) // 4
    rows = oldschema.write(old, age="later", weeks=weeks, days=days, awkward=False, start=date(2015, 1, 5)).rows
    migrated = manage("safe_migrate", "--noinput", db=db)
    if migrated.returncode:
        sys.exit(f"safe_migrate failed:\n{migrated.stderr}")
    started = time.monotonic()
    result = manage("import_flask_orb", old, "--noinput", db=db)
    seconds = time.monotonic() - started
    if result.returncode:
        sys.exit(f"import_flask_orb failed (exit {result.returncode}):\n{result.stderr}")
    print(result.stdout.strip().splitlines()[-1])
    print(
        f"{args.years} years: {rows['daily_fuel_tickets']} tickets, {rows['weekly_soundings']} weekly soundings, "
        f"{rows['orb_entries']} ORB entries imported in {seconds:.1f} s (target: under 60 s); files in {folder}"
    )


if __name__ == "__main__":
    main()
