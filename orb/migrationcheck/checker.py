"""Run every check for the chosen apps and return the report (the command only prints it)."""

import contextlib
import tempfile
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.db.migrations.loader import MigrationLoader

from orb.safemigrate.drift import is_project_app, key_name, migration_file

from . import acknowledgements, lint, released, scratch
from .checkfile import CheckFileError, read_check_file
from .findings import Report, RoundTrip
from .lockfile import LockFileError, relative_path
from .roundtrip import Walk


class UsageProblem(Exception):
    """Bad usage or a file the check cannot read: one sentence, exit status 2."""


def migration_apps(loader):
    """App labels that have migrations, this project's own first in their own order."""
    labels = {key[0] for key in loader.disk_migrations}
    return [config.label for config in apps.get_app_configs() if config.label in labels]


def default_apps(loader):
    return [label for label in migration_apps(loader) if is_project_app(apps.get_app_config(label))]


def chosen_apps(loader, app_labels):
    if not app_labels:
        return default_apps(loader)
    known = migration_apps(loader)
    for label in app_labels:
        if label not in known:
            raise UsageProblem(
                f"Unknown app label '{label}' (or it has no migrations); the apps with migrations are: "
                f"{', '.join(known)}."
            )
    return list(dict.fromkeys(app_labels))


def check_alias(alias):
    if alias not in settings.DATABASES:
        raise UsageProblem(
            f"Unknown database alias '{alias}'; the configured ones are: {', '.join(settings.DATABASES)}."
        )


def migration_folders(labels):
    folders = []
    for label in labels:
        module_name, _ = MigrationLoader.migrations_module(label)
        try:
            module = import_module(module_name)
        except ImportError:
            continue
        folders += [relative_path(path) for path in getattr(module, "__path__", [])]
    return folders


class Checker:
    def __init__(self, *, app_labels=(), alias="default", round_trip=True, progress=None):
        check_alias(alias)
        self.alias = alias
        self.round_trip = round_trip
        self.progress = progress or (lambda message: None)
        self.loader = MigrationLoader(None, ignore_no_migrations=True)
        self.labels = chosen_apps(self.loader, app_labels)
        keys = sorted(key for key in self.loader.disk_migrations if key[0] in self.labels)
        self.migrations = {key_name(key): self.loader.disk_migrations[key] for key in keys}
        self.keys = keys
        try:
            self.check_file = read_check_file()
        except CheckFileError as exc:
            raise UsageProblem(str(exc)) from None

    def files(self):
        return {name: migration_file(migration) for name, migration in self.migrations.items()}

    def project_files(self):
        files = self.files()
        return {
            name: path
            for name, path in files.items()
            if path and is_project_app(apps.get_app_config(name.split(".")[0]))
        }

    def run(self):
        report = Report(apps=self.labels, migrations=len(self.keys))
        report.findings += self.lint()
        try:
            report.findings += released.edited(self.project_files(), folders=migration_folders(self.labels))
        except LockFileError as exc:
            raise UsageProblem(str(exc)) from None
        if self.round_trip:
            for trip, findings in self.round_trips():
                report.round_trips.append(trip)
                report.findings += findings
        else:
            report.notes.append("round trip skipped (--no-round-trip)")
        table, problems = acknowledgements.collect(
            self.migrations, self.check_file, known={key_name(key) for key in self.loader.disk_migrations}
        )
        acknowledgements.apply(report.findings, table)
        report.findings = sorted(report.findings + problems, key=lambda f: (f.migration, f.rule))
        return report

    def lint(self):
        self.progress("Reading the migrations")
        context = lint.LintContext(large_tables=self.check_file.large_tables, protected=lint.protected_columns())
        findings = []
        for key in self.keys:
            state = self.loader.project_state(key, at_end=False)
            findings += lint.lint_migration(
                key_name(key), self.loader.disk_migrations[key], state=state, context=context
            )
        return findings

    def round_trips(self):
        """[(RoundTrip, findings)]: the embedded engine, then the configured server's (whose scratch
        database is made first, so that a server that cannot make one is said before the wait)."""
        results = []
        with contextlib.ExitStack() as stack:
            server = None
            if not scratch.is_embedded(settings.DATABASES[self.alias]):
                label = scratch.server_label(self.alias)
                server = (label, self._scratch(stack, label=label, spec=scratch.server_spec(self.alias)))
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="orb-check-migrations-"))
            embedded = "the embedded database (a scratch file)"
            results.append(
                self._trip(embedded, self._scratch(stack, label=embedded, spec=scratch.embedded_spec(directory)))
            )
            if server:
                results.append(self._trip(*server))
        return results

    def _scratch(self, stack, *, label, spec):
        try:
            return stack.enter_context(scratch.scratch_database(spec))
        except Exception as exc:  # the server is down, or the user may not create databases
            raise UsageProblem(
                f"Cannot create a scratch database for the round trip on {label} ({type(exc).__name__}: "
                f"{str(exc).strip()}); start the server or grant CREATEDB, or check without --database/DATABASE_URL."
            ) from None

    def _trip(self, label, ready):
        self.progress(f"Round trip on {label}")
        trip = RoundTrip(engine=label)
        with scratch.default_pointed_at(ready):
            findings = Walk(checked=set(self.keys), trip=trip).run()
        return trip, findings

    def write_lock(self):
        """(added paths, ORB108 findings): the lock updated with this project's migrations."""
        labels = [label for label in self.labels if is_project_app(apps.get_app_config(label))]
        files = {name: path for name, path in self.project_files().items() if name.split(".")[0] in labels}
        try:
            return released.updated_lock(files, folders=migration_folders(labels))
        except (LockFileError, OSError) as exc:
            raise UsageProblem(
                str(exc) if isinstance(exc, LockFileError) else f"Cannot write the lock: {exc}."
            ) from None
