"""What safety costs: ``manage.py safe_migrate`` against the plain way, as ratios.

    python bench/run.py                       # sizes small,400M,1G (SQLite; PostgreSQL when it answers)
    python bench/run.py --quick               # a few-MB smoke run of the whole script
    python bench/run.py --sizes small,400M --repeat 3 --no-pg

For every data set (generated here: ten years of a ship's tickets and soundings, then the
bench scenario's ticket table filled to the size asked for) and every migration (add a
nullable column, a table rebuild, a data migration over every row), each run starting from
a fresh copy of the same database:

  plain     ``cp db db.bak`` + ``manage.py migrate``   (PostgreSQL: ``pg_dump -Fc`` + migrate)
  safe      ``manage.py safe_migrate --noinput --json``
  rehearse  ``manage.py safe_migrate --noinput --rehearse --json``

run interleaved, ``--repeat`` times, medians reported; the ratios (safe / plain) are the
result, since absolute times depend on the machine and its load.  Also: the stages of
each run (from the journal record), the peak RSS of each process (``wait4``), the backup
against ``cp`` of the same file, ``--status``/``--plan``/``--dry-run`` times, and the
dashboard and admin changelist (bench/pages.py) with their SQL query counts.

Writes bench/results/<date>.json and prints the same figures as Markdown tables.
Generated databases live under bench/work/ (git-ignored); --keep leaves them for a re-run
(they are reused when their parameters match), otherwise they are deleted at the end.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
WORK = BENCH / "work"
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT))

try:  # `python bench/run.py` with a Python that lacks the project's requirements: use the venv's
    import django  # noqa: F401
except ImportError:
    venv = ROOT / ".venv" / "bin" / "python"
    if venv.exists() and Path(sys.executable).resolve() != venv.resolve():
        os.execv(str(venv), [str(venv), *sys.argv])
    raise

GENERATOR_VERSION = 3  # bump when the generated rows change: cached databases are rebuilt
SCENARIOS = {  # label -> (bench scenario package, what it does)
    "add_column": ("scenarios.add_column", "AddField, nullable column"),
    "rebuild": ("scenarios.rebuild", "AlterField max_length (SQLite rebuilds the table)"),
    "data_update": ("scenarios.data_update", "RunSQL UPDATE of every row"),
}
PAGE_TICKETS = 1_000_000
PG_DSN = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
PG_PREFIX = "orb_bench"

TARGETS = {
    "backup_vs_cp": 1.1,
    "peak_rss_mb": 150,
    "rebuild_safe_ratio": 1.3,
    "rebuild_rehearse_ratio": 2.3,
    "page_ms": 100,
}


# --- small helpers ------------------------------------------------------------------------
def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_size(token):
    token = token.strip()
    if token == "small":
        return 0
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG])B?", token, re.I)
    if not match:
        raise SystemExit(f"Unknown size {token!r}: use small, or a number with K, M or G (e.g. 400M, 1G).")
    return int(float(match.group(1)) * {"K": 1e3, "M": 1e6, "G": 1e9}[match.group(2).upper()])


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def mb(n):
    return round(n / 1e6, 1)


class Run:
    """One finished subprocess: wall seconds, exit status, output, peak RSS (MB)."""

    def __init__(self, seconds, returncode, stdout, stderr, maxrss_mb):
        self.seconds, self.returncode = seconds, returncode
        self.stdout, self.stderr, self.maxrss_mb = stdout, stderr, maxrss_mb

    def json(self):
        try:
            return json.loads(self.stdout)
        except ValueError:
            return None

    def last_line(self):
        lines = (self.stderr or self.stdout).strip().splitlines()
        return lines[-1] if lines else f"exit {self.returncode}"


def run(args, *, env=None, check=True):
    """Run a command, measuring wall time and the peak RSS of that one child (wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Run(round(seconds, 3), process.returncode, out.read(), err.read(), round(usage.ru_maxrss / 1024, 1))
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {result.returncode}: {result.stderr[-2000:]}")
    return result


def django_env(database_url, scenario="scenarios.base", state_dir=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "ORB_")) and k not in ("DATABASE_URL", "PYTHONPATH")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "tests.e2e.settings",
        "DATABASE_URL": database_url,
        "ORB_SCENARIO_MODULE": scenario,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{BENCH}",
    })
    if state_dir:
        env["ORB_STATE_DIR"] = str(state_dir)
        env["ORB_BACKUP_DIR"] = str(state_dir)
    return env


def manage(*args, env, check=True):
    return run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=check)


def plain_migrate(env):
    """Django's plain ``migrate``: the baseline, and the build of the base databases.

    ORB refuses plain migrate on a real database unless ORB_ALLOW_PLAIN_MIGRATE=1.
    """
    return manage("migrate", "--noinput", "-v", "0", env={**env, "ORB_ALLOW_PLAIN_MIGRATE": "1"})


# --- the machine ----------------------------------------------------------------------------
def machine_facts():
    facts = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
             "django": django.get_version(), "cores": os.cpu_count(), "platform": platform.platform()}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                facts["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        source = subprocess.run(["findmnt", "-no", "SOURCE,FSTYPE", "--target", str(BENCH)],
                                capture_output=True, text=True).stdout.split()
        facts["disk"] = " ".join(source)
        device = Path(source[0]).name if source else ""
        rotational = Path(f"/sys/block/{device}/queue/rotational")
        if rotational.exists():
            facts["disk"] += " (rotational)" if rotational.read_text().strip() == "1" else " (non-rotational)"
        facts["disk_free_gb"] = round(shutil.disk_usage(BENCH).free / 1e9, 1)
    except (OSError, IndexError):
        pass
    try:
        facts["load_avg"] = [round(x, 2) for x in os.getloadavg()]
        facts["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                         capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return facts


# --- rows --------------------------------------------------------------------------------------
# The same rows on both engines: row n of N is dated (n * days / N) days after the first day.
NAME = ("CASE {n} % 4 WHEN 0 THEN 'A. Engineer' WHEN 1 THEN 'B. Oiler, 3rd Engineer' "
        "WHEN 2 THEN 'C. Watchkeeper' ELSE 'D. Chief Engineer' END")
NOTE = "CASE WHEN {n} % 10 = 0 THEN 'Purifier cleaned; meter reading checked against the day tank.' ELSE '' END"
COLUMNS = ("ticket_date, meter_start, meter_end, consumption_gallons, engineer_name, notes, created_at, "
           "service_tank_pair_id, created_by_id")


def sqlite_select(n, total, days, first, pair, user):
    day = f"date('{first}', '+' || (({n}) * {days} / {total} % {days}) || ' days')"
    start = f"(({n}) * 7919 % 9000000) / 10.0"
    use = f"(300 + ({n}) % 50 + (({n}) % 10) / 10.0)"
    return (f"{day}, {start}, {start} + {use}, {use}, {NAME.format(n=n)}, {NOTE.format(n=n)}, "
            f"{day} || ' 18:00:00', {pair}, {user}")


def pg_select(n, total, days, first, pair, user):
    day = f"(DATE '{first}' + (({n})::bigint * {days} / {total} % {days})::int)"
    start = f"((({n})::bigint * 7919 % 9000000) / 10.0)"
    use = f"(300 + ({n}) % 50 + (({n}) % 10) / 10.0)"
    return (f"{day}, {start}, {start} + {use}, {use}, {NAME.format(n=n)}, {NOTE.format(n=n)}, "
            f"({day} + TIME '18:00')::timestamptz, {pair}, {user}")


def sqlite_fill(conn, table, start, stop, *, total, days, first, pair, user):
    if stop <= start:
        return
    conn.execute(
        f"WITH RECURSIVE seq(n) AS (SELECT {start} UNION ALL SELECT n + 1 FROM seq WHERE n < {stop - 1}) "
        f"INSERT INTO {table} ({COLUMNS}) SELECT {sqlite_select('n', total, days, first, pair, user)} FROM seq"
    )
    conn.commit()


def page_tickets_for(target):
    """Fuel tickets in a data set: a ship's ten years at 'small', 1M at the stress sizes."""
    if target == 0:
        return 0
    return PAGE_TICKETS if target >= 300e6 else max(10_000, int(target // 600))


# --- SQLite data sets ------------------------------------------------------------------------
def sqlite_small(years):
    directory = WORK / "sqlite" / "small"
    db = directory / "base.db"
    meta_path = directory / "meta.json"
    wanted = {"version": GENERATOR_VERSION, "years": years, "target": 0}
    if meta_path.exists() and db.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("params") == wanted:
            return db, meta
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    started = time.perf_counter()
    env = django_env(f"sqlite:///{db}")
    plain_migrate(env)
    seeded = json.loads(run([sys.executable, str(BENCH / "seed.py"), "--years", str(years)], env=env).stdout.strip().splitlines()[-1])
    meta = {"params": wanted, "seed": seeded, "generate_s": round(time.perf_counter() - started, 1)}
    _finish_sqlite(db, meta)
    meta_path.write_text(json.dumps(meta, indent=2))
    return db, meta


def _finish_sqlite(db, meta):
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        meta["size_bytes"] = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute(
            "PRAGMA page_size").fetchone()[0]
        meta["tickets"] = conn.execute("SELECT COUNT(*) FROM fueltickets_dailyfuelticket").fetchone()[0]
        meta["scenario_rows"] = conn.execute("SELECT COUNT(*) FROM scenario_ticket").fetchone()[0]
        meta["soundings"] = conn.execute("SELECT COUNT(*) FROM soundings_weeklysounding").fetchone()[0]
        meta["orb_entries"] = conn.execute("SELECT COUNT(*) FROM soundings_orbentry").fetchone()[0]
    finally:
        conn.close()


def sqlite_dataset(label, target, years):
    """The base database of a size: migrated to the bench scenario's 0001, seeded, filled."""
    small, small_meta = sqlite_small(years)
    if target == 0:
        return small, small_meta
    directory = WORK / "sqlite" / label
    db = directory / "base.db"
    meta_path = directory / "meta.json"
    wanted = {"version": GENERATOR_VERSION, "years": years, "target": target}
    if meta_path.exists() and db.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("params") == wanted:
            return db, meta
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    log(f"generating the {label} SQLite data set (target {mb(target)} MB)")
    started = time.perf_counter()
    shutil.copyfile(small, db)
    seed = small_meta["seed"]
    days = years * 365
    fill = dict(days=days, first=seed["first"], pair=seed["pair_id"], user=seed["user_id"])
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.isolation_level = ""  # explicit transactions per statement, committed by sqlite_fill
    tickets = page_tickets_for(target)
    have = small_meta["tickets"]
    sqlite_fill(conn, "fueltickets_dailyfuelticket", have, tickets, total=tickets, **fill)

    def size():
        return conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]

    # The scenario table takes the rest: measure bytes per row on a first slice, then fill.
    rows = small_meta["scenario_rows"]
    before = size()
    probe = max(20_000, min(500_000, int((target - before) / 150 / 10)))
    estimate_total = max(probe * 2, int((target - before) / 150))
    sqlite_fill(conn, "scenario_ticket", rows, rows + probe, total=estimate_total, **fill)
    per_row = max(1.0, (size() - before) / probe)
    rows += probe
    remaining = int((target - size()) / per_row)
    if remaining > 0:
        step = 2_000_000
        for start in range(rows, rows + remaining, step):
            sqlite_fill(conn, "scenario_ticket", start, min(start + step, rows + remaining),
                        total=estimate_total, **fill)
    conn.close()
    meta = {"params": wanted, "seed": seed, "bytes_per_scenario_row": round(per_row, 1)}
    _finish_sqlite(db, meta)
    meta["generate_s"] = round(time.perf_counter() - started, 1)
    meta_path.write_text(json.dumps(meta, indent=2))
    log(f"{label}: {mb(meta['size_bytes'])} MB, {meta['scenario_rows']} scenario rows, "
        f"{meta['tickets']} fuel tickets, in {meta['generate_s']} s")
    return db, meta


# --- one SQLite run ------------------------------------------------------------------------------
def fresh_copy(base, label):
    directory = WORK / "sqlite" / label / "run"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    db = directory / "orb.db"
    shutil.copyfile(base, db)
    return db


def sqlite_plain(base, label, scenario):
    db = fresh_copy(base, label)
    cp = run(["cp", str(db), str(db) + ".bak"])
    migrate = plain_migrate(django_env(f"sqlite:///{db}", scenario))
    return {"seconds": round(cp.seconds + migrate.seconds, 3), "cp_s": cp.seconds, "migrate_s": migrate.seconds,
            "peak_rss_mb": migrate.maxrss_mb}


def safe_figures(result, mode):
    record = result.json() or {}
    if result.returncode != 0 or record.get("outcome") not in ("applied", "rehearsed"):
        raise RuntimeError(f"safe_migrate {mode} did not succeed: {result.last_line()}")
    timings = dict(record.get("timings") or {})
    inside = sum(v for v in timings.values() if isinstance(v, (int, float)))
    timings["process_other"] = round(max(0.0, result.seconds - inside), 3)
    return {"seconds": result.seconds, "peak_rss_mb": result.maxrss_mb, "stages": timings,
            "checks": record.get("check_timings") or {}, "migrations": record.get("migration_timings") or {}}


def sqlite_safe(base, label, scenario, *, rehearse):
    db = fresh_copy(base, label)
    args = ["safe_migrate", "--noinput", "--json"] + (["--rehearse"] if rehearse else [])
    result = manage(*args, env=django_env(f"sqlite:///{db}", scenario), check=False)
    figures = safe_figures(result, "--rehearse" if rehearse else "")
    backup = figures["stages"].get("backup")
    figures["db_bytes"] = os.path.getsize(db)
    return figures, backup


def sqlite_backup_parts(base, label):
    """The backup stage's parts, timed in-process on the same file: the engine's own functions."""
    from orb.safemigrate.backends.sqlite import SQLiteBackend, quick_check_file
    from orb.safemigrate.backup import sha256_file
    from orb.safemigrate.events import Reporter

    db = fresh_copy(base, label)
    dest = str(db) + ".backup-bench"
    parts = {}
    started = time.perf_counter()
    SQLiteBackend._copy(None, str(db), dest, report=Reporter(), label="bench")  # backup API + fsync
    parts["backup_api_copy_fsync_s"] = time.perf_counter() - started
    started = time.perf_counter()
    sha256_file(dest)
    parts["sha256_s"] = time.perf_counter() - started
    started = time.perf_counter()
    quick_check_file(dest)
    parts["quick_check_s"] = time.perf_counter() - started
    os.unlink(dest)
    cp = run(["cp", str(db), dest])
    parts["cp_s"] = cp.seconds
    started = time.perf_counter()
    run(["sync", dest])
    parts["cp_then_fsync_extra_s"] = time.perf_counter() - started
    os.unlink(dest)
    return {k: round(v, 3) for k, v in parts.items()}


def readonly_times(env):
    """Seconds and peak RSS of --status, --plan and --dry-run against the database of ``env``."""
    out = {}
    for mode in ("--status", "--plan", "--dry-run"):
        result = manage("safe_migrate", mode, "--noinput", "--json", env=env, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"safe_migrate {mode}: {result.last_line()}")
        key = mode.strip("-").replace("-", "_")
        out[key + "_s"] = result.seconds
        out[key + "_rss_mb"] = result.maxrss_mb
    return out


def sqlite_readonly(base, label):
    db = fresh_copy(base, label)
    env = django_env(f"sqlite:///{db}", SCENARIOS["rebuild"][0])
    return readonly_times(env)


def pages(database_url, repeat):
    result = run([sys.executable, str(BENCH / "pages.py"), "--repeat", str(repeat)],
                 env=django_env(database_url), check=False)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed"}
    return result.json()


def measure_migrations(*, plain, safe, repeat, backup_parts=None):
    """Interleaved: for each repetition, each migration: plain, safe, rehearse."""
    raw = {name: {"plain": [], "safe": [], "rehearse": [], "backup": []} for name in SCENARIOS}
    for rep in range(repeat):
        for name, (scenario, _) in SCENARIOS.items():
            raw[name]["plain"].append(plain(scenario))
            figures, backup = safe(scenario, rehearse=False)
            raw[name]["safe"].append(figures)
            raw[name]["backup"].append((backup, raw[name]["plain"][-1]["cp_s"]))
            figures, _ = safe(scenario, rehearse=True)
            raw[name]["rehearse"].append(figures)
            log(f"  rep {rep + 1}/{repeat} {name}: plain {raw[name]['plain'][-1]['seconds']} s, "
                f"safe {raw[name]['safe'][-1]['seconds']} s, rehearse {raw[name]['rehearse'][-1]['seconds']} s")
    return {name: summarise(data) for name, data in raw.items()}


def summarise(data):
    def med_dict(dicts):
        keys = sorted({k for d in dicts for k in d})
        return {k: median([d.get(k) for d in dicts]) for k in keys}

    out = {"plain": med_dict([{k: v for k, v in p.items()} for p in data["plain"]])}
    for mode in ("safe", "rehearse"):
        runs = data[mode]
        out[mode] = {
            "seconds": median([r["seconds"] for r in runs]),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "stages": med_dict([r["stages"] for r in runs]),
            "checks": med_dict([r["checks"] for r in runs]),
            "migrations": med_dict([r["migrations"] for r in runs]),
            "all_seconds": [r["seconds"] for r in runs],
        }
    out["plain"]["all_seconds"] = [p["seconds"] for p in data["plain"]]
    out["plain"]["peak_rss_mb"] = max(p["peak_rss_mb"] for p in data["plain"])
    out["safe_ratio"] = ratio(out["safe"]["seconds"], out["plain"]["seconds"])
    out["rehearse_ratio"] = ratio(out["rehearse"]["seconds"], out["plain"]["seconds"])
    backups = [b for b, _ in data["backup"] if b is not None]
    cps = [c for _, c in data["backup"]]
    out["backup"] = {"backup_s": median(backups), "cp_s": median(cps), "ratio": ratio(median(backups), median(cps))}
    return out


def sqlite_size(label, target, args):
    base, meta = sqlite_dataset(label, target, args.years)
    log(f"SQLite {label}: {mb(meta['size_bytes'])} MB; measuring")
    out = {"dataset": {k: meta.get(k) for k in ("size_bytes", "tickets", "scenario_rows", "soundings",
                                                  "orb_entries", "generate_s", "bytes_per_scenario_row")}}
    out["migrations"] = measure_migrations(
        plain=lambda scenario: sqlite_plain(base, label, scenario),
        safe=lambda scenario, rehearse: sqlite_safe(base, label, scenario, rehearse=rehearse),
        repeat=args.repeat,
    )
    parts = [sqlite_backup_parts(base, label) for _ in range(args.repeat)]
    out["backup_parts"] = {k: median([p[k] for p in parts]) for k in parts[0]}
    readonly = [sqlite_readonly(base, label) for _ in range(args.repeat)]
    out["readonly"] = {k: median([r[k] for r in readonly]) for k in readonly[0]}
    db = fresh_copy(base, label)
    out["pages"] = pages(f"sqlite:///{db}", args.page_repeat)
    shutil.rmtree(db.parent, ignore_errors=True)
    return out


# --- PostgreSQL ----------------------------------------------------------------------------------
def pg_connect(dbname="postgres"):
    import psycopg

    return psycopg.connect(dbname=dbname, connect_timeout=3, autocommit=True, **PG_DSN)


def pg_url(dbname):
    return f"postgres://{PG_DSN['user']}@{PG_DSN['host']}:{PG_DSN['port']}/{dbname}"


def pg_unavailable():
    """None when PostgreSQL can be measured, else the reason it cannot."""
    if shutil.which("pg_dump") is None:
        return "pg_dump is not installed"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    try:
        with pg_connect() as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the reason
        return f"no PostgreSQL server answers at {PG_DSN['host']}:{PG_DSN['port']} ({exc.__class__.__name__})"
    import importlib.util

    if importlib.util.find_spec("orb.safemigrate.backends.postgresql") is None:
        return "the PostgreSQL backend (orb/safemigrate/backends/postgresql.py) does not exist yet"
    return None


def pg_drop(conn, name):
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_drop_all(prefix=PG_PREFIX):
    with pg_connect() as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                            (prefix + "%",))]
        for name in names:
            pg_drop(conn, name)


def pg_dataset(label, rows, years):
    """A PostgreSQL database with the same rows as the SQLite data set (same counts, same formulas)."""
    name = f"{PG_PREFIX}_{label.lower()}_base"
    started = time.perf_counter()
    with pg_connect() as conn:
        pg_drop(conn, name)
        conn.execute(f'CREATE DATABASE "{name}"')
    env = django_env(pg_url(name))
    plain_migrate(env)
    seed = json.loads(run([sys.executable, str(BENCH / "seed.py"), "--years", str(years)], env=env).stdout.strip().splitlines()[-1])
    fill = dict(days=years * 365, first=seed["first"], pair=seed["pair_id"], user=seed["user_id"])
    with pg_connect(name) as conn:
        for table, have, want in (("fueltickets_dailyfuelticket", seed["tickets"], rows["tickets"]),
                                  ("scenario_ticket", seed["tickets"], rows["scenario_rows"])):
            if want > have:
                total = want if table.startswith("fuel") else max(want, 1)
                conn.execute(f"INSERT INTO {table} ({COLUMNS}) SELECT {pg_select('n', total, **fill)} "
                             f"FROM generate_series({have}, {want - 1}) AS n")
        conn.execute("VACUUM ANALYZE")
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return name, {"size_bytes": size, "tickets": rows["tickets"], "scenario_rows": rows["scenario_rows"],
                  "generate_s": round(time.perf_counter() - started, 1)}


def pg_fresh(base):
    name = f"{PG_PREFIX}_run"
    directory = WORK / "pg" / "run"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    with pg_connect() as conn:
        pg_drop_all(f"{PG_PREFIX}_run")
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{base}"')
    return name, directory


def pg_plain(base, scenario):
    name, directory = pg_fresh(base)
    dump = run(["pg_dump", "-Fc", "-h", PG_DSN["host"], "-p", str(PG_DSN["port"]), "-U", PG_DSN["user"],
                "-f", str(directory / f"{name}.dump"), name])
    migrate = plain_migrate(django_env(pg_url(name), scenario, directory))
    return {"seconds": round(dump.seconds + migrate.seconds, 3), "cp_s": dump.seconds,
            "migrate_s": migrate.seconds, "peak_rss_mb": migrate.maxrss_mb}


def pg_safe(base, scenario, *, rehearse):
    name, directory = pg_fresh(base)
    args = ["safe_migrate", "--noinput", "--json"] + (["--rehearse"] if rehearse else [])
    result = manage(*args, env=django_env(pg_url(name), scenario, directory), check=False)
    figures = safe_figures(result, "--rehearse" if rehearse else "")
    return figures, figures["stages"].get("backup")


def pg_readonly(base):
    name, directory = pg_fresh(base)
    env = django_env(pg_url(name), SCENARIOS["rebuild"][0], directory)
    return readonly_times(env)


def pg_size(label, sqlite_meta, args):
    rows = {"tickets": sqlite_meta["tickets"], "scenario_rows": sqlite_meta["scenario_rows"]}
    log(f"PostgreSQL {label}: generating {rows}")
    base, dataset = pg_dataset(label, rows, args.years)
    name, _ = pg_fresh(base)
    probe = manage("safe_migrate", "--status", "--json", env=django_env(pg_url(name), "scenarios.rebuild",
                                                                       WORK / "pg" / "run"), check=False)
    if probe.returncode != 0:
        raise RuntimeError(f"safe_migrate --status failed on PostgreSQL: {probe.last_line()}")
    log(f"PostgreSQL {label}: {mb(dataset['size_bytes'])} MB; measuring")
    out = {"dataset": dataset}
    out["migrations"] = measure_migrations(
        plain=lambda scenario: pg_plain(base, scenario),
        safe=lambda scenario, rehearse: pg_safe(base, scenario, rehearse=rehearse),
        repeat=args.repeat,
    )
    readonly = [pg_readonly(base) for _ in range(args.repeat)]
    out["readonly"] = {k: median([r[k] for r in readonly]) for k in readonly[0]}
    name, _ = pg_fresh(base)
    out["pages"] = pages(pg_url(name), args.page_repeat)
    return out


# --- targets and tables ----------------------------------------------------------------------------
def evaluate(results):
    checks = []
    for engine in ("sqlite", "postgresql"):
        sizes = results.get(engine, {}).get("sizes") or {}
        if not sizes:
            continue
        biggest = max(sizes, key=lambda s: sizes[s]["dataset"]["size_bytes"])
        data = sizes[biggest]
        backup = data["migrations"]["rebuild"]["backup"]
        reference = "cp" if engine == "sqlite" else "pg_dump -Fc"
        checks.append({"engine": engine, "size": biggest, "target": f"backup <= 1.1x {reference} of the same database",
                       "measured": backup["ratio"], "met": (backup["ratio"] or 99) <= TARGETS["backup_vs_cp"]})
        rss = max(m[mode]["peak_rss_mb"] for m in data["migrations"].values() for mode in ("safe", "rehearse"))
        rss = max(rss, data["readonly"].get("dry_run_rss_mb") or 0)
        checks.append({"engine": engine, "size": biggest, "target": "peak RSS <= 150 MB",
                       "measured": rss, "met": rss <= TARGETS["peak_rss_mb"]})
        rebuild = data["migrations"]["rebuild"]
        checks.append({"engine": engine, "size": biggest, "target": "safe_migrate <= 1.3x (backup + migrate), rebuild",
                       "measured": rebuild["safe_ratio"],
                       "met": (rebuild["safe_ratio"] or 99) <= TARGETS["rebuild_safe_ratio"]})
        checks.append({"engine": engine, "size": biggest, "target": "--rehearse <= 2.3x (backup + migrate), rebuild",
                       "measured": rebuild["rehearse_ratio"],
                       "met": (rebuild["rehearse_ratio"] or 99) <= TARGETS["rebuild_rehearse_ratio"]})
        by_tickets = sorted(sizes.values(), key=lambda d: d["dataset"]["tickets"])
        low, high = by_tickets[0]["pages"], by_tickets[-1]["pages"]
        for url in ("/dashboard/", "/admin/fueltickets/dailyfuelticket/"):
            if "error" in high or url not in high:
                checks.append({"engine": engine, "size": biggest, "target": f"{url} <= 100 ms", "measured": None,
                               "met": False, "note": high.get("error")})
                continue
            checks.append({"engine": engine, "size": f"{high['tickets']} tickets", "target": f"{url} <= 100 ms",
                           "measured": high[url]["median_ms"], "met": high[url]["median_ms"] <= TARGETS["page_ms"]})
            same = url in low and low[url]["queries"] == high[url]["queries"] and not high[url]["queries_vary"]
            checks.append({"engine": engine, "size": f"{low.get('tickets')} vs {high['tickets']} tickets",
                           "target": f"{url} constant queries",
                           "measured": f"{low.get(url, {}).get('queries')} vs {high[url]['queries']}", "met": same})
    return checks


def fmt(value, suffix=""):
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return f"{value}{suffix}"


def tables(results):
    lines = []
    stage_keys = ["quick_check", "preflight", "disk", "backup", "rehearsal", "apply", "verify", "process_other"]
    check_keys = ["count_before", "apply", "integrity", "foreign_keys", "models", "smoke", "preservation"]
    for engine, title in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        section = results.get(engine, {})
        if not section.get("sizes"):
            lines.append(f"### {title}: not measured: {section.get('reason', 'not requested')}\n")
            continue
        reference = "cp" if engine == "sqlite" else "pg_dump -Fc"
        lines.append(f"### {title}\n")
        lines.append(f"| size | migration | plain ({reference} + migrate) s | safe_migrate s | ratio | "
                     f"--rehearse s | ratio | peak RSS MB (plain / safe / rehearse) |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for size, data in section["sizes"].items():
            ds = data["dataset"]
            desc = f"{size} ({mb(ds['size_bytes'])} MB, {ds['scenario_rows']:,} rows)"
            for name, m in data["migrations"].items():
                lines.append(
                    f"| {desc} | {name} | {fmt(m['plain']['seconds'])} ({fmt(m['plain']['cp_s'])} + "
                    f"{fmt(m['plain']['migrate_s'])}) | {fmt(m['safe']['seconds'])} | **{fmt(m['safe_ratio'])}×** | "
                    f"{fmt(m['rehearse']['seconds'])} | **{fmt(m['rehearse_ratio'])}×** | "
                    f"{fmt(m['plain']['peak_rss_mb'])} / {fmt(m['safe']['peak_rss_mb'])} / "
                    f"{fmt(m['rehearse']['peak_rss_mb'])} |")
                desc = ""
        lines.append("")
        lines.append("Stages of the safe_migrate run (seconds, medians; `process_other` = interpreter and "
                     "Django start-up plus anything outside the timed stages):\n")
        lines.append("| size | migration | mode | " + " | ".join(stage_keys) + " |")
        lines.append("|---|---|---|" + "---:|" * len(stage_keys))
        for size, data in section["sizes"].items():
            for name, m in data["migrations"].items():
                for mode in ("safe", "rehearse"):
                    st = m[mode]["stages"]
                    lines.append(f"| {size} | {name} | {mode} | " + " | ".join(fmt(st.get(k)) for k in stage_keys) + " |")
        lines.append("")
        lines.append("Inside `apply` (the one transaction; seconds, medians of the real run):\n")
        lines.append("| size | migration | " + " | ".join(check_keys) + " |")
        lines.append("|---|---|" + "---:|" * len(check_keys))
        for size, data in section["sizes"].items():
            for name, m in data["migrations"].items():
                ch = m["safe"]["checks"]
                lines.append(f"| {size} | {name} | " + " | ".join(fmt(ch.get(k)) for k in check_keys) + " |")
        lines.append("")
        lines.append(f"| size | backup stage s | {reference} s | backup / {reference} | "
                     + ("backup API copy + fsync | sha256 | quick_check of the backup | fsync after cp |"
                        if engine == "sqlite" else ""))
        lines.append("|---|---:|---:|---:|" + ("---:|---:|---:|---:|" if engine == "sqlite" else ""))
        for size, data in section["sizes"].items():
            b = data["migrations"]["rebuild"]["backup"]
            row = f"| {size} | {fmt(b['backup_s'])} | {fmt(b['cp_s'])} | **{fmt(b['ratio'])}×** |"
            if engine == "sqlite":
                p = data["backup_parts"]
                row += (f" {fmt(p['backup_api_copy_fsync_s'])} | {fmt(p['sha256_s'])} | {fmt(p['quick_check_s'])} |"
                        f" {fmt(p['cp_then_fsync_extra_s'])} |")
            lines.append(row)
        lines.append("")
        lines.append("| size | --status s | --plan s | --dry-run s (rebuild) | dry-run peak RSS MB | tickets | "
                     "/dashboard/ ms (queries) | admin changelist ms (queries) |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for size, data in section["sizes"].items():
            r, p = data["readonly"], data["pages"]
            if "error" in p:
                page_cells = f"– | {p['error']} | –"
            else:
                d, a = p["/dashboard/"], p["/admin/fueltickets/dailyfuelticket/"]
                page_cells = (f"{p['tickets']:,} | {fmt(d['median_ms'])} ({d['queries']}) | "
                              f"{fmt(a['median_ms'])} ({a['queries']})")
            lines.append(f"| {size} | {fmt(r['status_s'])} | {fmt(r['plan_s'])} | {fmt(r['dry_run_s'])} | "
                         f"{fmt(r['dry_run_rss_mb'])} | {page_cells} |")
        lines.append("")
    lines.append("### Targets\n")
    lines.append("| engine | at | target | measured | met |")
    lines.append("|---|---|---|---:|---|")
    for check in results.get("targets", []):
        lines.append(f"| {check['engine']} | {check['size']} | {check['target']} | {fmt(check['measured'])} | "
                     f"{'yes' if check['met'] else '**no**'} |")
    return "\n".join(lines) + "\n"


# --- main ----------------------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="small,400M,1G",
                        help="comma-separated: small (ten years of a ship), or a size like 400M, 1G")
    parser.add_argument("--quick", action="store_true", help="a few-MB smoke run: --sizes small,8M --repeat 1")
    parser.add_argument("--repeat", type=int, default=None,
                        help="repetitions per measurement, medians reported (default 3 for small, 1 otherwise)")
    parser.add_argument("--page-repeat", type=int, default=7)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--no-pg", action="store_true", help="do not measure PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="do not measure SQLite (PostgreSQL only)")
    parser.add_argument("--keep", action="store_true", help="keep the generated databases under bench/work/")
    parser.add_argument("--output", help="results file (default bench/results/<date>.json)")
    parser.add_argument("--report", metavar="JSON",
                        help="measure nothing: re-evaluate the targets of a results file and print its tables")
    args = parser.parse_args(argv)
    if args.report:
        path = Path(args.report)
        results = json.loads(path.read_text())
        results["targets"] = evaluate(results)
        results["table_markdown"] = tables(results)
        path.write_text(json.dumps(results, indent=2))
        print(results["table_markdown"])
        return 0
    if args.quick:
        args.sizes = "small,8M"
        args.repeat = args.repeat or 1
        args.page_repeat = min(args.page_repeat, 3)
    labels = [s.strip() for s in args.sizes.split(",") if s.strip()]
    targets = {label: parse_size(label) for label in labels}
    default_repeat = args.repeat

    results = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine_facts(),
               "options": {"sizes": labels, "repeat": args.repeat, "years": args.years, "quick": args.quick},
               "scenarios": {k: v[1] for k, v in SCENARIOS.items()}, "sqlite": {"sizes": {}},
               "postgresql": {"sizes": {}}}
    WORK.mkdir(parents=True, exist_ok=True)
    sqlite_meta = {}
    try:
        if not args.no_sqlite:
            for label in labels:
                args.repeat = default_repeat or (3 if targets[label] == 0 else 1)
                results["sqlite"]["sizes"][label] = sqlite_size(label, targets[label], args)
                sqlite_meta[label] = results["sqlite"]["sizes"][label]["dataset"]
                if not args.keep and targets[label]:
                    shutil.rmtree(WORK / "sqlite" / label, ignore_errors=True)
        reason = "not requested (--no-pg)" if args.no_pg else pg_unavailable()
        if reason:
            results["postgresql"]["reason"] = reason
            log(f"PostgreSQL not measured: {reason}")
        else:
            results["postgresql"]["server"] = pg_server_version()
            try:
                for label in labels:
                    args.repeat = default_repeat or (3 if targets[label] == 0 else 1)
                    meta = sqlite_meta.get(label) or sqlite_dataset(label, targets[label], args.years)[1]
                    results["postgresql"]["sizes"][label] = pg_size(label, meta, args)
            except Exception as exc:  # noqa: BLE001 - report, do not crash: the SQLite figures stand
                results["postgresql"]["reason"] = f"{exc.__class__.__name__}: {str(exc).strip()[-400:]}"
                log(f"PostgreSQL measurement stopped: {results['postgresql']['reason']}")
            finally:
                pg_drop_all()
    finally:
        if not args.keep:
            shutil.rmtree(WORK / "sqlite", ignore_errors=True)
            shutil.rmtree(WORK / "pg", ignore_errors=True)
    import resource

    # A child's peak RSS (wait4) can never read below the RSS this process had when it started
    # the child (Linux carries it over the exec), so this process stays small; its peak is here.
    results["bench_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["targets"] = evaluate(results)
    text = tables(results)
    RESULTS.mkdir(exist_ok=True)
    output = Path(args.output) if args.output else RESULTS / f"{datetime.date.today().isoformat()}.json"
    if args.quick and not args.output:
        output = RESULTS / f"{datetime.date.today().isoformat()}-quick.json.tmp"
    output.write_text(json.dumps({**results, "table_markdown": text}, indent=2))
    print(text)
    log(f"results written to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


def pg_server_version():
    try:
        with pg_connect() as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001
        return None


if __name__ == "__main__":
    sys.exit(main())
