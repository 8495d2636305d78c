"""migrations.checks.toml, beside migrations.lock: what the project tells check_migrations.

::

    # One table per migration; each key a rule ID, each value the reason (never empty).
    [acknowledged."soundings.0005_append_only_triggers"]
    ORB107 = "creates the guards themselves; no column changes"

    # Tables a ship's database holds a lot of: their size in MB on a full ship (ORB104).
    [large_tables]
    fueltickets_dailyfuelticket = 400

An acknowledgement belongs to one migration: there is no way to switch a rule off for all of
them.  The file lives outside the migrations so that a released migration (whose sha256 is
locked) can be acknowledged without editing it.  settings.ORB_MIGRATION_CHECKS_FILE moves it.
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

MB = 1024 * 1024


class CheckFileError(Exception):
    """The file cannot be read; the message is one sentence naming it and the fix."""


@dataclass
class CheckFile:
    path: Path
    acknowledged: dict = field(default_factory=dict)  # "app.migration" -> {rule: reason}
    large_tables: dict = field(default_factory=dict)  # table -> bytes


def check_file_path():
    configured = getattr(settings, "ORB_MIGRATION_CHECKS_FILE", None)
    return Path(configured or Path(settings.BASE_DIR) / "migrations.checks.toml")


def read_check_file(path=None):
    path = Path(path or check_file_path())
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return CheckFile(path=path)
    except tomllib.TOMLDecodeError as exc:
        raise CheckFileError(f"{path} is not valid TOML ({exc}); fix that line.") from None
    acknowledged = data.get("acknowledged", {})
    large = data.get("large_tables", {})
    if not isinstance(acknowledged, dict) or not all(isinstance(v, dict) for v in acknowledged.values()):
        raise CheckFileError(
            f'{path}: [acknowledged."app.migration"] tables expected, each mapping a rule ID to its reason.'
        )
    if not all(isinstance(v, int | float) and v >= 0 for v in large.values()):
        raise CheckFileError(f"{path}: [large_tables] maps a table name to its size in MB (a number).")
    return CheckFile(
        path=path,
        acknowledged={name: dict(rules) for name, rules in acknowledged.items()},
        large_tables={table: int(size * MB) for table, size in large.items()},
    )
