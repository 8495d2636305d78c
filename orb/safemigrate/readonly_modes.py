"""The read-only modes: --plan, --check, --status, --history, --list-backups.

They never take the lock, never create the database file, and work while another run
holds the lock: the connection is pointed at the database read-only (or at an empty
in-memory database when the file does not exist yet).
"""

from django.db.migrations.loader import MigrationLoader

from . import backup as backups
from . import drift as drifts
from .backends import backend_for
from .events import Reporter
from .journal import Journal, recorded_checksums
from .outcome import Outcome
from .plan import build_plan, check_graph, collect_sql, new_executor
from .sizes import human_bytes
from .targets import resolve_targets


class ReadOnlyModes:
    """--plan, --check, --status, --history, --list-backups against one database alias."""

    def __init__(self, *, connection, backup_dir=None, progress=None):
        self.connection = connection
        self.backend = backend_for(connection, backup_dir=backup_dir)
        self.journal = Journal(self.backend.journal_path)
        self.report = Reporter(progress)

    def _records(self):
        return self.journal.read_reporting(self.report)

    def plan(self, *, app_label=None, migration_name=None, with_sql=True):
        targets = resolve_targets(
            MigrationLoader(None, ignore_no_migrations=True), app_label=app_label, migration_name=migration_name
        )
        with self.backend.read_only():
            executor = new_executor(self.connection)
            check_graph(executor.loader, self.connection)
            drift = drifts.detect(
                executor.loader,
                applied=set(executor.loader.applied_migrations),
                recorded=recorded_checksums(self._records()),
            )
            for name, path in drift.changed:
                self.report.warning(f"Drift: the applied migration {name} was edited since it was applied ({path}).")
            plan = build_plan(executor, targets)
            if with_sql:
                collect_sql(executor, plan)
        payload = {"database": self.backend.label, "engine": self.backend.engine, **plan.to_json()}
        if not plan.steps:
            return Outcome(
                state="Database unchanged: no migrations to apply.",
                payload=payload,
                summary=["No migrations to apply."],
            )
        destructive = sum(1 for s in plan.steps if s.destructive)
        state = (
            f"Database unchanged: {len(plan.steps)} migration(s) would run {plan.direction}"
            f"{f', {destructive} destructive' if destructive else ''} (plan only)."
        )
        return Outcome(state=state, payload=payload, summary=["Plan:"] + _plan_lines(plan))

    def check(self, *, app_label=None, migration_name=None):
        """``--check``: exit 1 when migrations would run (pending, or to be unapplied to reach the
        target), 0 when none would; one line, as ``migrate --check`` answers deploy scripts."""
        targets = resolve_targets(
            MigrationLoader(None, ignore_no_migrations=True), app_label=app_label, migration_name=migration_name
        )
        with self.backend.read_only():
            executor = new_executor(self.connection)
            check_graph(executor.loader, self.connection)
            raw = executor.migration_plan(targets)
        pending = [drifts.key_name((m.app_label, m.name)) for m, backwards in raw if not backwards]
        unapply = [drifts.key_name((m.app_label, m.name)) for m, backwards in raw if backwards]
        payload = {
            "database": self.backend.label,
            "engine": self.backend.engine,
            "pending": pending,
            "to_unapply": unapply,
            "up_to_date": not raw,
        }
        if not raw:
            return Outcome(state="Database is up to date: no pending migrations.", payload=payload)
        if pending:
            state = (
                f"Database has {len(pending)} pending migration(s) ({', '.join(pending)}); "
                "run `manage.py safe_migrate` to apply them."
            )
        else:
            state = (
                f"Database is ahead of the target: {len(unapply)} migration(s) would be unapplied "
                f"({', '.join(unapply)})."
            )
        return Outcome(state=state, payload=payload, exit_code=1)

    def status(self):
        records = self._records()
        info = self.backend.describe()
        exists = self.backend.exists()
        with self.backend.read_only():
            loader = MigrationLoader(self.connection, ignore_no_migrations=True)
            applied = set(loader.applied_migrations)
            drift = drifts.detect(loader, applied=applied, recorded=recorded_checksums(records))
            per_app = _per_app(loader, applied)
        holder = self.backend.lock_holder()
        # The newest backup the journal says safe_migrate wrote (not hashed here: --status stays fast).
        known = [
            b
            for b in backups.known_backups(self.backend, records)
            if b.journaled and backups.count_problem(b, hash_file=False) is None
        ]
        last = records[-1] if records else None
        warnings = [f"{name} was edited since it was applied ({path})" for name, path in drift.changed]
        warnings += [f"{name} is applied but its file is missing" for name in drift.missing]
        warnings += drift.warnings
        payload = {
            **info,
            "exists": exists,
            "applied": sorted(drifts.key_name(k) for k in applied),
            "pending": [f"{app}.{name}" for app, data in per_app.items() for name in data["pending"]],
            "apps": per_app,
            "last_run": last,
            "latest_backup": known[0].to_json() if known else None,
            "run_in_progress": holder.__dict__ if holder else None,
            "drift": warnings,
            "journal": self.journal.path,
        }
        lines = _status_lines(
            info, exists=exists, per_app=per_app, last=last, known=known, holder=holder, warnings=warnings
        )
        pending_count = len(payload["pending"])
        if not exists:
            state = "Database not created yet: run `manage.py safe_migrate` to create it."
        elif pending_count:
            state = f"Database has {pending_count} pending migration(s); run `manage.py safe_migrate` to apply them."
        else:
            state = "Database is up to date: no pending migrations."
        return Outcome(state=state, payload=payload, summary=lines)

    def history(self):
        records = list(reversed(self._records()))
        runs = []
        for record in records:
            entry = dict(record)
            backup = record.get("backup")
            entry["backup"] = backup.get("path") if isinstance(backup, dict) else backup
            entry.setdefault("migrations", [])
            runs.append(entry)
        lines = [_run_line(r) for r in records] or ["No runs recorded."]
        return Outcome(
            state=f"Database unchanged: {len(runs)} run(s) in the journal {self.journal.path}.",
            payload=runs,
            summary=lines,
        )

    def list_backups(self):
        """Every backup, newest first by the journal, each checked by the rule restore and prune
        apply (file, owner, mode, folder, journal, sha256); files that fail it are listed as not
        counted, with the reason."""
        found = backups.known_backups(self.backend, self._records())
        lines, payload, counted = [], [], 0
        for info in found:
            problem = backups.count_problem(info)
            counted += problem is None
            lines.append(f"{info.path}")
            lines.append(
                f"    {info.created_at or '?'}  {human_bytes(info.size) if info.size is not None else '?'}"
                f"  sha256 {(info.sha256 or '?')[:16]}  {info.kind}  {info.state_summary()}"
            )
            if problem:
                lines.append(f"    not counted: {problem}")
            payload.append(
                {
                    "path": info.path,
                    "created_at": info.created_at,
                    "size": info.size,
                    "sha256": info.sha256,
                    "state": info.applied,
                    "kind": info.kind,
                    "verified": info.verified and problem is None,
                    "counted": problem is None,
                    "problem": problem,
                }
            )
        others = len(found) - counted
        return Outcome(
            state=f"Database unchanged: {counted} backup(s)"
            + (f", and {others} file(s) that do not count." if others else "."),
            payload=payload,
            summary=lines or ["No backups."],
        )


def _plan_lines(plan):
    """Each step with its flags, operations and SQL, as --plan prints them."""
    lines = []
    for step in plan.steps:
        flags = []
        if step.destructive:
            flags.append("DESTRUCTIVE")
        if not step.atomic:
            flags.append("non-atomic")
        if step.backwards and step.irreversible_operations:
            flags.append("IRREVERSIBLE")
        lines.append(f"{step.name} ({step.direction}){' [' + ', '.join(flags) + ']' if flags else ''}")
        for op in step.operations:
            mark = " (drops data)" if op.destructive else (" (runs code)" if op.runs_code else "")
            lines.append(f"    {op.description}{mark}")
        for statement in step.sql:
            lines.append(f"      {statement}")
    return lines


def _per_app(loader, applied):
    """Per app, its migrations in graph order, split into applied and pending."""
    per_app = {}
    for app in sorted({key[0] for key in loader.graph.nodes}):
        ordered = []
        for leaf in (k for k in loader.graph.leaf_nodes() if k[0] == app):
            for key in loader.graph.forwards_plan(leaf):
                if key[0] == app and key not in ordered:
                    ordered.append(key)
        per_app[app] = {
            "applied": [k[1] for k in ordered if k in applied],
            "pending": [k[1] for k in ordered if k not in applied],
        }
    return per_app


def _status_lines(info, *, exists, per_app, last, known, holder, warnings):
    size = human_bytes(info["size"]) if exists else "not created yet"
    lines = [f"Database: {info['database']} ({info['engine']}, {size})"]
    for key, value in info.items():  # what else the backend tells about its database
        if key not in ("engine", "database", "size"):
            lines.append(f"{key.replace('_', ' ').capitalize()}: {value}")
    for app, data in per_app.items():
        pending = data["pending"]
        lines.append(
            f"  {app}: {len(data['applied'])} applied, {len(pending)} pending"
            + (f" ({', '.join(pending)})" if pending else "")
        )
    lines.append(f"Last run: {_run_line(last) if last else 'none recorded'}")
    lines.append(f"Newest backup: {known[0].path} ({known[0].created_at})" if known else "Newest backup: none")
    lines.append(f"Run in progress: {holder.describe()}" if holder else "Run in progress: no")
    for warning in warnings:
        lines.append(f"Drift warning: {warning}")
    return lines


def _run_line(record):
    migrations = record.get("migrations") or []
    what = f"{len(migrations)} migration(s)" if migrations else ""
    backup = record.get("backup")
    path = backup.get("path") if isinstance(backup, dict) else None
    parts = [
        record.get("started_at", "?"),
        record.get("mode", "?"),
        record.get("outcome", "?"),
        what,
        f"backup {path}" if path else "",
        record.get("error") or "",
    ]
    return f"{record.get('id', '?')}: " + "  ".join(p for p in parts if p)
