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

This file is the command line; the work is in the package bench/orbbench/ (datasets,
measure, report and their helpers; its __init__ lists them).
"""

import argparse
import datetime
import json
import os
import re
import resource
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the engine's own functions (orb.safemigrate) for the backup parts

try:  # `python bench/run.py` with a Python that lacks the project's requirements: use the venv's
    import django  # noqa: F401
except ImportError:
    venv = ROOT / ".venv" / "bin" / "python"
    if venv.exists() and Path(sys.executable).resolve() != venv.resolve():
        os.execv(str(venv), [str(venv), *sys.argv])
    raise

from orbbench import measure, postgres, report  # noqa: E402 (bench/ is this script's folder)
from orbbench.config import RESULTS, SCENARIOS, WORK  # noqa: E402
from orbbench.datasets import sqlite_dataset  # noqa: E402
from orbbench.processes import log  # noqa: E402


def parse_size(token):
    """Bytes of a size label: 0 for small, else a number with K, M or G (400M, 1G)."""
    token = token.strip()
    if token == "small":
        return 0
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG])B?", token, re.I)
    if not match:
        raise SystemExit(f"Unknown size {token!r}: use small, or a number with K, M or G (e.g. 400M, 1G).")
    return int(float(match.group(1)) * {"K": 1e3, "M": 1e6, "G": 1e9}[match.group(2).upper()])


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="small,400M,1G", help="comma-separated: small (ten years of a ship), or a size like 400M, 1G"
    )
    parser.add_argument("--quick", action="store_true", help="a few-MB smoke run: --sizes small,8M --repeat 1")
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="repetitions per measurement, medians reported (default 3 for small, 1 otherwise)",
    )
    parser.add_argument("--page-repeat", type=int, default=7)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--no-pg", action="store_true", help="do not measure PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="do not measure SQLite (PostgreSQL only)")
    parser.add_argument("--keep", action="store_true", help="keep the generated databases under bench/work/")
    parser.add_argument("--output", help="results file (default bench/results/<date>.json)")
    parser.add_argument(
        "--report",
        metavar="JSON",
        help="measure nothing: re-evaluate the targets of a results file and print its tables",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "small,8M"
        args.repeat = args.repeat or 1
        args.page_repeat = min(args.page_repeat, 3)
    return args


def reprint(path):
    """--report: re-evaluate the targets of a results file, rewrite it, print its tables."""
    results = json.loads(path.read_text())
    results["targets"] = report.evaluate(results)
    results["table_markdown"] = report.tables(results)
    path.write_text(json.dumps(results, indent=2))
    print(results["table_markdown"])
    return 0


def at_size(args, target):
    """``args`` for one size: --repeat, or 3 at small and 1 at the stress sizes."""
    return argparse.Namespace(**{**vars(args), "repeat": args.repeat or (3 if target == 0 else 1)})


def measure_sqlite(results, targets, args):
    """SQLite, size by size; the data sets' facts, for PostgreSQL's same rows."""
    metas = {}
    for label, target in targets.items():
        results["sqlite"]["sizes"][label] = measure.sqlite_size(label, target, at_size(args, target))
        metas[label] = results["sqlite"]["sizes"][label]["dataset"]
        if not args.keep and target:
            shutil.rmtree(WORK / "sqlite" / label, ignore_errors=True)
    return metas


def measure_postgresql(results, targets, args, sqlite_meta):
    """PostgreSQL when it can be measured; a failure is recorded as the reason (SQLite's figures stand)."""
    section = results["postgresql"]
    reason = "not requested (--no-pg)" if args.no_pg else postgres.unavailable()
    if reason:
        section["reason"] = reason
        log(f"PostgreSQL not measured: {reason}")
        return
    section["server"] = postgres.server_version()
    try:
        for label, target in targets.items():
            meta = sqlite_meta.get(label) or sqlite_dataset(label, target, args.years)[1]
            section["sizes"][label] = measure.pg_size(label, meta, at_size(args, target))
    except Exception as exc:  # noqa: BLE001 - report, do not crash: the SQLite figures stand
        section["reason"] = f"{exc.__class__.__name__}: {str(exc).strip()[-400:]}"
        log(f"PostgreSQL measurement stopped: {section['reason']}")
    finally:
        postgres.drop_all()


def write_results(results, args):
    # Children are measured through a small launcher (orbbench.processes), so this process's own
    # size never counts in their figures; its own peak is kept here for the record.
    results["bench_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["targets"] = report.evaluate(results)
    text = report.tables(results)
    RESULTS.mkdir(exist_ok=True)
    today = datetime.date.today().isoformat()
    output = Path(args.output) if args.output else RESULTS / f"{today}.json"
    if args.quick and not args.output:
        output = RESULTS / f"{today}-quick.json.tmp"
    output.write_text(json.dumps({**results, "table_markdown": text}, indent=2))
    print(text)
    log(f"results written to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")


def main(argv=None):
    args = parse_args(argv)
    if args.report:
        return reprint(Path(args.report))
    labels = [s.strip() for s in args.sizes.split(",") if s.strip()]
    targets = {label: parse_size(label) for label in labels}
    results = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": report.machine_facts(),
        "options": {"sizes": labels, "repeat": args.repeat, "years": args.years, "quick": args.quick},
        "scenarios": {k: v[1] for k, v in SCENARIOS.items()},
        "sqlite": {"sizes": {}},
        "postgresql": {"sizes": {}},
    }
    WORK.mkdir(parents=True, exist_ok=True)
    try:
        sqlite_meta = {} if args.no_sqlite else measure_sqlite(results, targets, args)
        measure_postgresql(results, targets, args, sqlite_meta)
    finally:
        if not args.keep:
            shutil.rmtree(WORK / "sqlite", ignore_errors=True)
            shutil.rmtree(WORK / "pg", ignore_errors=True)
    write_results(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
