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

TARGETS = {
    "backup_vs_cp": 1.1,
    "peak_rss_mb": 150,
    "rebuild_safe_ratio": 1.3,
    "rebuild_rehearse_ratio": 2.3,
    "page_ms": 100,
}
