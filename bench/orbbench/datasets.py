"""The data sets: a ship's years through the ORM (bench/seed.py), then rows added with SQL.

SQLite data sets are cached under bench/work/sqlite/<label>/ (base.db + meta.json) and reused
while their parameters match; a PostgreSQL data set gets the same rows (same counts, same
formulas) in a database ``orb_bench_<label>_base``.
"""

import json
import shutil
import sqlite3
import time

from . import postgres, rows
from .config import GENERATOR_VERSION, PAGE_TICKETS, PG_PREFIX, WORK
from .figures import mb
from .processes import django_env, log, plain_migrate, script

TICKETS = "fueltickets_dailyfuelticket"
SCENARIO_TABLE = "scenario_ticket"
FILL_STEP = 2_000_000  # rows per INSERT when filling a SQLite table


def page_tickets_for(target):
    """Fuel tickets in a data set: a ship's ten years at 'small', 1M at the stress sizes."""
    if target == 0:
        return 0
    return PAGE_TICKETS if target >= 300e6 else max(10_000, int(target // 600))


def seed(env, years):
    """Migrate the empty database of ``env`` (plain migrate) and seed it; the seed's facts."""
    plain_migrate(env)
    return script("seed.py", "--years", years, env=env).last_json_line()


def fill_args(seeded, years):
    return {"days": years * 365, "first": seeded["first"], "pair": seeded["pair_id"], "user": seeded["user_id"]}


# --- SQLite ------------------------------------------------------------------------------------
def _cached(label, wanted):
    """(base.db, meta) of a cached data set with these parameters, or (base.db, None) after
    clearing its folder for a new one."""
    directory = WORK / "sqlite" / label
    db, meta_path = directory / "base.db", directory / "meta.json"
    if meta_path.exists() and db.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("params") == wanted:
            return db, meta
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return db, None


def _save(db, meta):
    (db.parent / "meta.json").write_text(json.dumps(meta, indent=2))


def _file_size(conn):
    return conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]


def _count_into(db, meta):
    """Checkpoint the database into one file (WAL mode) and add its size and row counts to ``meta``."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        meta["size_bytes"] = _file_size(conn)
        for key, table in (
            ("tickets", TICKETS),
            ("scenario_rows", SCENARIO_TABLE),
            ("soundings", "soundings_weeklysounding"),
            ("orb_entries", "soundings_orbentry"),
        ):
            meta[key] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def sqlite_small(years):
    """The 'small' data set: ``years`` of a ship, through the ORM."""
    wanted = {"version": GENERATOR_VERSION, "years": years, "target": 0}
    db, meta = _cached("small", wanted)
    if meta:
        return db, meta
    started = time.perf_counter()
    seeded = seed(django_env(f"sqlite:///{db}"), years)
    meta = {"params": wanted, "seed": seeded, "generate_s": round(time.perf_counter() - started, 1)}
    _count_into(db, meta)
    _save(db, meta)
    return db, meta


def _sqlite_fill(conn, table, start, stop, **fill):
    if stop > start:
        conn.execute(rows.insert("sqlite", table, start, stop, ticket_extra=table == TICKETS, **fill))
        conn.commit()


def _grow(db, target, small_meta, years):
    """Add fuel tickets, then fill the scenario table until the file is about ``target`` bytes;
    the bytes a scenario row takes."""
    fill = fill_args(small_meta["seed"], years)
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.isolation_level = ""  # explicit transactions per statement, committed by _sqlite_fill
        tickets = page_tickets_for(target)
        _sqlite_fill(conn, TICKETS, small_meta["tickets"], tickets, total=tickets, **fill)
        # The scenario table takes the rest: measure bytes per row on a first slice, then fill.
        have, before = small_meta["scenario_rows"], _file_size(conn)
        probe = max(20_000, min(500_000, int((target - before) / 150 / 10)))
        total = max(probe * 2, int((target - before) / 150))
        _sqlite_fill(conn, SCENARIO_TABLE, have, have + probe, total=total, **fill)
        per_row = max(1.0, (_file_size(conn) - before) / probe)
        have += probe
        stop = have + int((target - _file_size(conn)) / per_row)
        for start in range(have, stop, FILL_STEP):
            _sqlite_fill(conn, SCENARIO_TABLE, start, min(start + FILL_STEP, stop), total=total, **fill)
    finally:
        conn.close()
    return per_row


def sqlite_dataset(label, target, years):
    """The base database of a size: migrated to the bench scenario's 0001, seeded, filled."""
    small, small_meta = sqlite_small(years)
    if target == 0:
        return small, small_meta
    wanted = {"version": GENERATOR_VERSION, "years": years, "target": target}
    db, meta = _cached(label, wanted)
    if meta:
        return db, meta
    log(f"generating the {label} SQLite data set (target {mb(target)} MB)")
    started = time.perf_counter()
    shutil.copyfile(small, db)
    per_row = _grow(db, target, small_meta, years)
    meta = {"params": wanted, "seed": small_meta["seed"], "bytes_per_scenario_row": round(per_row, 1)}
    _count_into(db, meta)
    meta["generate_s"] = round(time.perf_counter() - started, 1)
    _save(db, meta)
    log(
        f"{label}: {mb(meta['size_bytes'])} MB, {meta['scenario_rows']} scenario rows, "
        f"{meta['tickets']} fuel tickets, in {meta['generate_s']} s"
    )
    return db, meta


# --- PostgreSQL --------------------------------------------------------------------------------
def pg_dataset(label, counts, years):
    """A PostgreSQL database with the same rows as the SQLite data set (same counts, same formulas)."""
    name = f"{PG_PREFIX}_{label.lower()}_base"
    started = time.perf_counter()
    postgres.create(name)
    seeded = seed(django_env(postgres.url(name)), years)
    fill = fill_args(seeded, years)
    with postgres.connect(name) as conn:
        for table, want in ((TICKETS, counts["tickets"]), (SCENARIO_TABLE, counts["scenario_rows"])):
            if want > seeded["tickets"]:
                insert = rows.insert(
                    "postgresql", table, seeded["tickets"], want, total=want, ticket_extra=table == TICKETS, **fill
                )
                conn.execute(insert)
        conn.execute("VACUUM ANALYZE")
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return name, {
        "size_bytes": size,
        "tickets": counts["tickets"],
        "scenario_rows": counts["scenario_rows"],
        "generate_s": round(time.perf_counter() - started, 1),
    }
