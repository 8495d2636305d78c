"""Drift: an applied migration whose file changed since it was applied, or is missing.

The sha256 of each applied migration file's bytes is recorded in the journal when the
migration is applied (or, for migrations applied earlier by plain ``migrate``, the
first time safe_migrate sees them).
"""
import hashlib
import sys
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps

from .errors import Refused


def key_name(key):
    return f"{key[0]}.{key[1]}"


def migration_file(migration):
    module = sys.modules.get(migration.__module__) or import_module(migration.__module__)
    return getattr(module, "__file__", None)


def file_checksum(migration):
    path = migration_file(migration)
    if not path:
        return None
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@dataclass
class DriftReport:
    changed: list = field(default_factory=list)  # (name, path)
    missing: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    first_seen: list = field(default_factory=list)
    checksums: dict = field(default_factory=dict)  # of every applied migration with a file

    def refuse_if_drifted(self):
        if self.changed:
            name, path = self.changed[0]
            more = f" (and {len(self.changed) - 1} more)" if len(self.changed) > 1 else ""
            raise Refused(
                f"The applied migration {name} was edited since it was applied ({path}){more}; "
                "restore the file from version control (`git checkout -- <file>`) and put the "
                "change in a new migration instead."
            )
        if self.missing:
            more = f" (and {len(self.missing) - 1} more)" if len(self.missing) > 1 else ""
            raise Refused(
                f"The applied migration {self.missing[0]} has no file on disk{more}; restore it from "
                "version control, or check that the code matches this database."
            )


def detect(loader, *, applied, recorded):
    """Compare the applied migrations with their files and the recorded checksums."""
    report = DriftReport()
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
        elif recorded[name] != checksum:
            report.changed.append((name, migration_file(migration)))
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
