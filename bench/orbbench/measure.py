"""The measurements: each run on a fresh copy of a data set's base database.

Per migration, interleaved ``--repeat`` times: *plain* (``cp`` or ``pg_dump -Fc``, then plain
``migrate``), *safe* (``safe_migrate``) and *rehearse* (``safe_migrate --rehearse``); then the
parts of the SQLite backup stage, the read-only modes, and the pages (bench/pages.py).
"""

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from . import datasets, postgres
from .config import READONLY_SCENARIO, SCENARIOS, WORK
from .figures import mb, median, medians, ratio
from .processes import django_env, log, manage, plain_migrate, run, safe_migrate, script

DATASET_KEYS = (
    "size_bytes",
    "tickets",
    "scenario_rows",
    "soundings",
    "orb_entries",
    "generate_s",
    "bytes_per_scenario_row",
)


@dataclass
class Copy:
    """A fresh copy of a base database: its file or name, its URL, its state folder (or None)."""

    database: object
    url: str
    state_dir: Path = None

    def env(self, scenario="scenarios.base"):
        return django_env(self.url, scenario, self.state_dir)


class SQLiteCopies:
    """Fresh copies of a SQLite base database; the plain way's backup is ``cp``."""

    def __init__(self, base, label):
        self.base, self.directory = base, WORK / "sqlite" / label / "run"

    def fresh(self):
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        db = self.directory / "orb.db"
        shutil.copyfile(self.base, db)
        return Copy(db, f"sqlite:///{db}")

    def backup_command(self, copy):
        return ["cp", str(copy.database), f"{copy.database}.bak"]


class PgCopies:
    """Fresh copies (CREATE DATABASE … TEMPLATE) of a PostgreSQL base; the plain way's backup is pg_dump."""

    def __init__(self, base):
        self.base = base

    def fresh(self):
        name, directory = postgres.fresh(self.base)
        return Copy(name, postgres.url(name), directory)

    def backup_command(self, copy):
        return postgres.dump_command(copy.database, copy.state_dir / f"{copy.database}.dump")


# --- one run ---------------------------------------------------------------------------------------
def plain(copies, scenario):
    copy = copies.fresh()
    backup = run(copies.backup_command(copy))
    migrate = plain_migrate(copy.env(scenario))
    return {
        "seconds": round(backup.seconds + migrate.seconds, 3),
        "cp_s": backup.seconds,
        "migrate_s": migrate.seconds,
        "peak_rss_mb": migrate.maxrss_mb,
    }


def safe(copies, scenario, *, rehearse):
    """Figures of one safe_migrate run and its backup stage's seconds."""
    result = safe_migrate(copies.fresh().env(scenario), rehearse=rehearse)
    record = result.json() or {}
    if result.returncode != 0 or record.get("outcome") not in ("applied", "rehearsed"):
        raise RuntimeError(f"safe_migrate {'--rehearse' if rehearse else ''} did not succeed: {result.last_line()}")
    timings = dict(record.get("timings") or {})
    inside = sum(v for v in timings.values() if isinstance(v, (int, float)))
    timings["process_other"] = round(max(0.0, result.seconds - inside), 3)
    figures = {
        "seconds": result.seconds,
        "peak_rss_mb": result.maxrss_mb,
        "stages": timings,
        "checks": record.get("check_timings") or {},
        "migrations": record.get("migration_timings") or {},
    }
    return figures, _backup_seconds(timings, figures["checks"])


def _backup_seconds(stages, checks):
    """What the backup costs the run: the copy (stage ``backup``) and, since issue 17, the time
    the run then waits for its read-back's verdict and keeps it (stage ``backup_kept``, or
    ``backup`` among the checks inside the transaction); an older engine has only the stage."""
    if stages.get("backup") is None:
        return None
    return round(stages["backup"] + (stages.get("backup_kept") or 0) + (checks.get("backup") or 0), 3)


def readonly(copies):
    """Seconds and peak RSS of --status, --plan and --dry-run (the rebuild pending)."""
    env = copies.fresh().env(READONLY_SCENARIO)
    out = {}
    for mode in ("--status", "--plan", "--dry-run"):
        result = manage("safe_migrate", mode, "--noinput", "--json", env=env, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"safe_migrate {mode}: {result.last_line()}")
        key = mode.strip("-").replace("-", "_")
        out[key + "_s"] = result.seconds
        out[key + "_rss_mb"] = result.maxrss_mb
    return out


def pages(copies, repeat):
    """bench/pages.py on a fresh copy: page times and query counts, or {"error": …}."""
    result = script("pages.py", "--repeat", repeat, env=django_env(copies.fresh().url), check=False)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed"}
    return result.json()


def _timed(parts, key, function, *args):
    started = time.perf_counter()
    function(*args)
    parts[key] = time.perf_counter() - started


def backup_parts(copies):
    """The SQLite backup stage's parts, timed in-process on the same file: the engine's own functions."""
    from orb.safemigrate.backends.sqlite import SQLiteBackend, quick_check_file
    from orb.safemigrate.events import Reporter
    from orb.safemigrate.files import sha256_file

    def engine_copy(source, dest):  # the backend's copy needs only the two paths, no connection
        object.__new__(SQLiteBackend)._copy(source, dest, report=Reporter(), label="bench")  # backup API + fsync

    db = str(copies.fresh().database)
    dest = db + ".backup-bench"
    parts = {}
    _timed(parts, "backup_api_copy_fsync_s", engine_copy, db, dest)
    _timed(parts, "sha256_s", sha256_file, dest)
    _timed(parts, "quick_check_s", quick_check_file, dest)
    os.unlink(dest)
    parts["cp_s"] = run(["cp", db, dest]).seconds
    _timed(parts, "cp_then_fsync_extra_s", run, ["sync", dest])
    os.unlink(dest)
    return {k: round(v, 3) for k, v in parts.items()}


# --- all runs of a data set ----------------------------------------------------------------------
def measure_migrations(copies, repeat):
    """Interleaved: for each repetition, each migration: plain, safe, rehearse."""
    raw = {name: {"plain": [], "safe": [], "rehearse": [], "backup": []} for name in SCENARIOS}
    for rep in range(repeat):
        for name, (scenario, _) in SCENARIOS.items():
            data = raw[name]
            data["plain"].append(plain(copies, scenario))
            figures, backup = safe(copies, scenario, rehearse=False)
            data["safe"].append(figures)
            data["backup"].append((backup, data["plain"][-1]["cp_s"]))
            data["rehearse"].append(safe(copies, scenario, rehearse=True)[0])
            log(
                f"  rep {rep + 1}/{repeat} {name}: plain {data['plain'][-1]['seconds']} s, "
                f"safe {data['safe'][-1]['seconds']} s, rehearse {data['rehearse'][-1]['seconds']} s"
            )
    return {name: summarise(data) for name, data in raw.items()}


def summarise(data):
    """Medians of one migration's runs, the ratios to the plain way, backup against cp."""
    out = {"plain": medians(data["plain"])}
    for mode in ("safe", "rehearse"):
        runs = data[mode]
        out[mode] = {
            "seconds": median([r["seconds"] for r in runs]),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "stages": medians([r["stages"] for r in runs]),
            "checks": medians([r["checks"] for r in runs]),
            "migrations": medians([r["migrations"] for r in runs]),
            "all_seconds": [r["seconds"] for r in runs],
        }
    out["plain"]["all_seconds"] = [p["seconds"] for p in data["plain"]]
    out["plain"]["peak_rss_mb"] = max(p["peak_rss_mb"] for p in data["plain"])
    out["safe_ratio"] = ratio(out["safe"]["seconds"], out["plain"]["seconds"])
    out["rehearse_ratio"] = ratio(out["rehearse"]["seconds"], out["plain"]["seconds"])
    backups = median([b for b, _ in data["backup"] if b is not None])
    cps = median([c for _, c in data["backup"]])
    out["backup"] = {"backup_s": backups, "cp_s": cps, "ratio": ratio(backups, cps)}
    return out


def repeated(function, copies, repeat):
    """Medians, key by key, of ``repeat`` calls of ``function(copies)``."""
    return medians([function(copies) for _ in range(repeat)], sort_keys=False)


def sqlite_size(label, target, args):
    """Every SQLite figure of one data set size."""
    base, meta = datasets.sqlite_dataset(label, target, args.years)
    log(f"SQLite {label}: {mb(meta['size_bytes'])} MB; measuring")
    copies = SQLiteCopies(base, label)
    out = {"dataset": {k: meta.get(k) for k in DATASET_KEYS}}
    out["migrations"] = measure_migrations(copies, args.repeat)
    out["backup_parts"] = repeated(backup_parts, copies, args.repeat)
    out["readonly"] = repeated(readonly, copies, args.repeat)
    out["pages"] = pages(copies, args.page_repeat)
    shutil.rmtree(copies.directory, ignore_errors=True)
    return out


def pg_size(label, sqlite_meta, args):
    """Every PostgreSQL figure of one data set size (the rows of the SQLite data set's meta)."""
    counts = {"tickets": sqlite_meta["tickets"], "scenario_rows": sqlite_meta["scenario_rows"]}
    log(f"PostgreSQL {label}: generating {counts}")
    base, dataset = datasets.pg_dataset(label, counts, args.years)
    copies = PgCopies(base)
    probe = manage("safe_migrate", "--status", "--json", env=copies.fresh().env(READONLY_SCENARIO), check=False)
    if probe.returncode != 0:
        raise RuntimeError(f"safe_migrate --status failed on PostgreSQL: {probe.last_line()}")
    log(f"PostgreSQL {label}: {mb(dataset['size_bytes'])} MB; measuring")
    out = {"dataset": dataset}
    out["migrations"] = measure_migrations(copies, args.repeat)
    out["readonly"] = repeated(readonly, copies, args.repeat)
    out["pages"] = pages(copies, args.page_repeat)
    return out
