"""Where the bench keeps its files, what it measures, and the targets it checks."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
WORK = BENCH / "work"  # generated databases (git-ignored)
RESULTS = BENCH / "results"

GENERATOR_VERSION = 4  # bump when the generated rows change: cached databases are rebuilt
SCENARIOS = {  # label -> (bench scenario package, what it does)
    "add_column": ("scenarios.add_column", "AddField, nullable column"),
    "rebuild": ("scenarios.rebuild", "AlterField max_length (SQLite rebuilds the table)"),
    "data_update": ("scenarios.data_update", "RunSQL UPDATE of every row"),
}
READONLY_SCENARIO = SCENARIOS["rebuild"][0]  # --status/--plan/--dry-run run with the rebuild pending
PAGE_TICKETS = 1_000_000

PG_DSN = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
PG_PREFIX = "orb_bench"

# Issue 17's targets (docs/PERFORMANCE.md): safe_migrate against the plain way per migration;
# --rehearse; the backup stage against the plain copy made durable (SQLite: cp + sync; PostgreSQL:
# pg_dump -Fc, which is durable itself); the smoke checks' seconds at 1M tickets; peak RSS.
TARGETS = {
    "safe_ratio": {"rebuild": 1.15, "data_update": 1.4, "add_column": 3.0},
    "rehearse_ratio": {"sqlite": ("rebuild", 2.2), "postgresql": ("every migration", 2.0)},
    "backup_vs_copy": {"sqlite": 3.0, "postgresql": 1.1},
    "smoke_s": 0.3,
    "peak_rss_mb": 150,
    "page_ms": 100,
}
