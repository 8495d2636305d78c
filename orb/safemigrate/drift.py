"""Drift: an applied migration whose file changed since it was applied, or is missing.

The sha256 of each applied migration file's bytes is recorded in the journal when the
migration is applied (or, for migrations applied earlier by plain ``migrate``, the
first time safe_migrate sees them).

A changed file of this project's own apps is refused: put the change in a new migration.
A changed file of an installed package (its app and the file both outside the project
directory, or in site-packages/dist-packages) is what ``pip install -U`` of a package that
reformatted its migrations leaves: a warning naming the package and its version, and the
new checksum is recorded.

migrations.lock (orb.migrationcheck.lockfile) holds the sha256 of every released migration of this
project.  A migration applied earlier by plain ``migrate`` and seen here for the first time is
compared with it: a file that differs from its released checksum is refused like a changed one.
"""

import os
import sys
from dataclasses import dataclass, field
from importlib import import_module, metadata
from pathlib import Path

from django.apps import apps
from django.conf import settings

from orb.migrationcheck.lockfile import LockFileError, read_lock, released_checksum

from .errors import Refused
from .files import sha256_file


def key_name(key):
    return f"{key[0]}.{key[1]}"


INSTALLED_PACKAGE_DIRS = ("site-packages", "dist-packages")


def in_project(path):
    """True when ``path`` is inside settings.BASE_DIR and not in an installed-packages folder
    (a virtualenv may live inside the project directory)."""
    path = Path(os.path.realpath(path))
    base = Path(os.path.realpath(settings.BASE_DIR))
    return path.is_relative_to(base) and not any(part in INSTALLED_PACKAGE_DIRS for part in path.parts)


def is_project_app(app_config):
    """This project's own app (orb, soundings, fueltickets, ...), not an installed package."""
    return in_project(app_config.path)


def package_of(module_name):
    """Names the installed package that provides ``module_name``: "<distribution> <version>",
    or "<top-level module> (version unknown)" when no distribution records it."""
    top = module_name.split(".", 1)[0]
    try:
        names = metadata.packages_distributions().get(top) or []
        for name in names:
            return f"{name} {metadata.version(name)}"
    except Exception:  # a broken distribution record must not stop a migration
        pass
    return f"{top} (version unknown)"


def migration_file(migration):
    module = sys.modules.get(migration.__module__) or import_module(migration.__module__)
    return getattr(module, "__file__", None)


def file_checksum(migration):
    path = migration_file(migration)
    if not path:
        return None
    return sha256_file(path)


@dataclass
class DriftReport:
    changed: list = field(default_factory=list)  # (name, path)
    missing: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    first_seen: list = field(default_factory=list)
    checksums: dict = field(default_factory=dict)  # of every applied migration with a file
    upgraded: list = field(default_factory=list)  # (name, path, package): an installed package's file changed
    edited_after_release: list = field(default_factory=list)  # (name, path): first seen, differs from migrations.lock

    def refuse_if_drifted(self, *, missing_allowed=False):
        """Refuse an edited applied migration; and one whose file is gone unless ``missing_allowed``
        (``--prune``, which removes those records)."""
        if self.edited_after_release:
            name, path = self.edited_after_release[0]
            raise Refused(
                f"The applied migration {name} differs from the released file recorded in migrations.lock ({path}); "
                "restore the file from version control and put the change in a new migration instead."
            )
        if self.changed:
            name, path = self.changed[0]
            more = f" (and {len(self.changed) - 1} more)" if len(self.changed) > 1 else ""
            raise Refused(
                f"The applied migration {name} was edited since it was applied ({path}){more}; "
                "restore the file from version control (`git checkout -- <file>`) and put the "
                "change in a new migration instead."
            )
        if self.missing and not missing_allowed:
            more = f" (and {len(self.missing) - 1} more)" if len(self.missing) > 1 else ""
            raise Refused(
                f"The applied migration {self.missing[0]} has no file on disk{more}; restore it from "
                "version control, or check that the code matches this database; if it was squashed and its "
                "file deleted on purpose, remove its record with `safe_migrate --prune`."
            )


def detect(loader, *, applied, recorded):
    """Compare the applied migrations with their files and the recorded checksums."""
    report = DriftReport()
    try:
        lock = read_lock()
    except LockFileError as exc:  # a broken lock file must not stop a migration: say so
        report.warnings.append(str(exc))
        lock = {}
    installed = {config.label for config in apps.get_app_configs()}
    replaced = {key for migration in loader.replacements.values() for key in migration.replaces}
    for key in sorted(applied):
        name = key_name(key)
        if key[0] not in installed:
            report.warnings.append(f"{name} is applied but its app is no longer installed.")
            continue
        migration = loader.disk_migrations.get(key)
        if migration is None:
            if key in replaced:
                continue
            report.missing.append(name)
            continue
        checksum = file_checksum(migration)
        if checksum is None:
            continue
        report.checksums[name] = checksum
        if name not in recorded:
            report.first_seen.append(name)
            path = migration_file(migration)
            if in_project(path) and released_checksum(path, lock=lock) not in (None, checksum):
                report.edited_after_release.append((name, path))
        elif recorded[name] != checksum:
            path = migration_file(migration)
            config = apps.get_app_config(key[0])
            if is_project_app(config) or in_project(path):
                report.changed.append((name, path))
            else:
                package = package_of(config.name)
                report.upgraded.append((name, path, package))
                report.warnings.append(
                    f"The applied migration {name} of the installed package {package} changed since it was "
                    f"applied ({path}), as a package upgrade that reformats its migrations does; its new "
                    "checksum is recorded."
                )
    return report


def checksums_of(loader, keys):
    result = {}
    for key in keys:
        migration = loader.disk_migrations.get(key)
        if migration is not None:
            checksum = file_checksum(migration)
            if checksum:
                result[key_name(key)] = checksum
    return result
