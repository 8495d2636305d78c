"""What the results file says besides the figures: the machine, the targets, the Markdown tables."""

import contextlib
import os
import platform
import shutil
import sqlite3
import subprocess
from pathlib import Path

from .config import BENCH, ROOT, TARGETS
from .figures import mb

ENGINES = (("sqlite", "SQLite"), ("postgresql", "PostgreSQL"))
PAGES = ("/dashboard/", "/admin/fueltickets/dailyfuelticket/")
STAGE_KEYS = [
    *("quick_check", "preflight", "disk", "backup", "backup_kept"),
    *("rehearsal", "apply", "verify", "process_other"),
]
CHECK_KEYS = ["count_before", "apply", "integrity", "foreign_keys", "models", "smoke", "preservation", "backup"]


def reference(engine):
    """What the plain way backs up with."""
    return "cp" if engine == "sqlite" else "pg_dump -Fc"


# --- the machine ---------------------------------------------------------------------------------
def _first_field(path, prefix):
    with open(path) as handle:
        for line in handle:
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    return None


def _disk_facts(facts):
    source = subprocess.run(
        ["findmnt", "-no", "SOURCE,FSTYPE", "--target", str(BENCH)], capture_output=True, text=True
    ).stdout.split()
    facts["disk"] = " ".join(source)
    device = Path(source[0]).name if source else ""
    rotational = Path(f"/sys/block/{device}/queue/rotational")
    if rotational.exists():
        facts["disk"] += " (rotational)" if rotational.read_text().strip() == "1" else " (non-rotational)"
    facts["disk_free_gb"] = round(shutil.disk_usage(BENCH).free / 1e9, 1)


def machine_facts():
    import django

    facts = {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "django": django.get_version(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
    }
    try:
        cpu = _first_field("/proc/cpuinfo", "model name")
        if cpu:
            facts["cpu"] = cpu
        memory = _first_field("/proc/meminfo", "MemTotal")
        if memory:
            facts["ram_gb"] = round(int(memory.split()[0]) / 1024 / 1024, 1)
    except OSError:
        pass
    with contextlib.suppress(OSError, IndexError):
        _disk_facts(facts)
    try:
        facts["load_avg"] = [round(x, 2) for x in os.getloadavg()]
        facts["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        pass
    return facts


# --- targets -------------------------------------------------------------------------------------------
def _check(engine, size, target, measured, met, **extra):
    return {"engine": engine, "size": size, "target": target, "measured": measured, "met": met, **extra}


def _backup_check(engine, size, data):
    """The backup stage against the plain way's copy (SQLite: cp + sync, timed on the same file)."""
    backup = data["migrations"]["rebuild"]["backup"]
    limit = TARGETS["backup_vs_copy"][engine]
    if engine == "sqlite":
        parts = data.get("backup_parts") or {}
        copy = (parts.get("cp_s") or 0) + (parts.get("cp_then_fsync_extra_s") or 0)
        measured = round(backup["backup_s"] / copy, 2) if copy and backup["backup_s"] else None
        return _check(engine, size, f"backup stage <= {limit}x (cp + sync)", measured, (measured or 99) <= limit)
    return _check(
        engine, size, f"backup stage <= {limit}x {reference(engine)}", backup["ratio"], (backup["ratio"] or 99) <= limit
    )


def _run_checks(engine, size, data):
    """Per migration, safe_migrate against the plain way; --rehearse; backup; smoke; peak RSS."""
    migrations = data["migrations"]
    checks = []
    for name, limit in TARGETS["safe_ratio"].items():
        measured = migrations[name]["safe_ratio"]
        checks.append(
            _check(engine, size, f"safe_migrate <= {limit}x plain, {name}", measured, (measured or 99) <= limit)
        )
    which, limit = TARGETS["rehearse_ratio"][engine]
    names = list(migrations) if which == "every migration" else [which]
    measured = max((migrations[n]["rehearse_ratio"] or 99) for n in names)
    checks.append(_check(engine, size, f"--rehearse <= {limit}x plain, {which}", measured, measured <= limit))
    checks.append(_backup_check(engine, size, data))
    smoke = max((migrations[n]["safe"]["checks"].get("smoke") or 0) for n in migrations)
    tickets = data["dataset"]["tickets"]
    limit = TARGETS["smoke_s"]
    checks.append(_check(engine, f"{tickets} tickets", f"smoke checks <= {limit} s", smoke, smoke <= limit))
    rss = max(m[mode]["peak_rss_mb"] for m in migrations.values() for mode in ("safe", "rehearse"))
    rss = max(rss, data["readonly"].get("dry_run_rss_mb") or 0)
    checks.append(_check(engine, size, f"peak RSS <= {TARGETS['peak_rss_mb']} MB", rss, rss <= TARGETS["peak_rss_mb"]))
    return checks


def _page_checks(engine, biggest, low, high):
    """Each page's time with the most tickets, and its query count constant from fewest to most."""
    checks = []
    for url in PAGES:
        if "error" in high or url not in high:
            checks.append(_check(engine, biggest, f"{url} <= 100 ms", None, False, note=high.get("error")))
            continue
        checks.append(
            _check(
                engine,
                f"{high['tickets']} tickets",
                f"{url} <= 100 ms",
                high[url]["median_ms"],
                high[url]["median_ms"] <= TARGETS["page_ms"],
            )
        )
        same = url in low and low[url]["queries"] == high[url]["queries"] and not high[url]["queries_vary"]
        checks.append(
            _check(
                engine,
                f"{low.get('tickets')} vs {high['tickets']} tickets",
                f"{url} constant queries",
                f"{low.get(url, {}).get('queries')} vs {high[url]['queries']}",
                same,
            )
        )
    return checks


def evaluate(results):
    """The targets, met or not, at each engine's biggest data set."""
    checks = []
    for engine, _ in ENGINES:
        sizes = results.get(engine, {}).get("sizes") or {}
        if not sizes:
            continue
        biggest = max(sizes, key=lambda s: sizes[s]["dataset"]["size_bytes"])
        checks += _run_checks(engine, biggest, sizes[biggest])
        by_tickets = sorted(sizes.values(), key=lambda d: d["dataset"]["tickets"])
        checks += _page_checks(engine, biggest, by_tickets[0]["pages"], by_tickets[-1]["pages"])
    return checks


# --- Markdown tables --------------------------------------------------------------------------------------
def fmt(value, suffix=""):
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return f"{value}{suffix}"


def _header(*cells, right=0):
    """A table's header and rule: the first cells left-aligned, the last ``right`` ones right-aligned."""
    left = len(cells) - right
    return ["| " + " | ".join(cells) + " |", "|" + "---|" * left + "---:|" * right]


def _migrations_table(engine, sizes):
    ref = reference(engine)
    lines = [
        f"| size | migration | plain ({ref} + migrate) s | safe_migrate s | ratio | "
        f"--rehearse s | ratio | peak RSS MB (plain / safe / rehearse) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size, data in sizes.items():
        ds = data["dataset"]
        desc = f"{size} ({mb(ds['size_bytes'])} MB, {ds['scenario_rows']:,} rows)"
        for name, m in data["migrations"].items():
            plain, safe, rehearse = m["plain"], m["safe"], m["rehearse"]
            lines.append(
                f"| {desc} | {name} | {fmt(plain['seconds'])} ({fmt(plain['cp_s'])} + "
                f"{fmt(plain['migrate_s'])}) | {fmt(safe['seconds'])} | **{fmt(m['safe_ratio'])}×** | "
                f"{fmt(rehearse['seconds'])} | **{fmt(m['rehearse_ratio'])}×** | "
                f"{fmt(plain['peak_rss_mb'])} / {fmt(safe['peak_rss_mb'])} / {fmt(rehearse['peak_rss_mb'])} |"
            )
            desc = ""
    return lines + [""]


def _stages_table(sizes):
    lines = [
        "Stages of the safe_migrate run (seconds, medians; `process_other` = interpreter and "
        "Django start-up plus anything outside the timed stages):\n"
    ]
    lines += _header("size", "migration", "mode", *STAGE_KEYS, right=len(STAGE_KEYS))
    for size, data in sizes.items():
        for name, m in data["migrations"].items():
            for mode in ("safe", "rehearse"):
                st = m[mode]["stages"]
                lines.append(f"| {size} | {name} | {mode} | " + " | ".join(fmt(st.get(k)) for k in STAGE_KEYS) + " |")
    return lines + [""]


def _checks_table(sizes):
    lines = ["Inside `apply` (the one transaction; seconds, medians of the real run):\n"]
    lines += _header("size", "migration", *CHECK_KEYS, right=len(CHECK_KEYS))
    for size, data in sizes.items():
        for name, m in data["migrations"].items():
            ch = m["safe"]["checks"]
            lines.append(f"| {size} | {name} | " + " | ".join(fmt(ch.get(k)) for k in CHECK_KEYS) + " |")
    return lines + [""]


def _backup_table(engine, sizes):
    ref = reference(engine)
    parts = engine == "sqlite"  # the backup stage's parts are timed on SQLite only
    lines = [
        f"| size | backup s (copy + waiting for its read-back) | {ref} s | backup / {ref} | "
        + ("backup API copy + fsync | sha256 | quick_check of the backup | fsync after cp |" if parts else ""),
        "|---|---:|---:|---:|" + ("---:|---:|---:|---:|" if parts else ""),
    ]
    for size, data in sizes.items():
        b = data["migrations"]["rebuild"]["backup"]
        row = f"| {size} | {fmt(b['backup_s'])} | {fmt(b['cp_s'])} | **{fmt(b['ratio'])}×** |"
        if parts:
            p = data["backup_parts"]
            row += (
                f" {fmt(p['backup_api_copy_fsync_s'])} | {fmt(p['sha256_s'])} | {fmt(p['quick_check_s'])} |"
                f" {fmt(p['cp_then_fsync_extra_s'])} |"
            )
        lines.append(row)
    return lines + [""]


def _page_cells(p):
    if "error" in p:
        return f"– | {p['error']} | –"
    d, a = p[PAGES[0]], p[PAGES[1]]
    return f"{p['tickets']:,} | {fmt(d['median_ms'])} ({d['queries']}) | {fmt(a['median_ms'])} ({a['queries']})"


def _readonly_table(sizes):
    lines = [
        "| size | --status s | --plan s | --dry-run s (rebuild) | dry-run peak RSS MB | tickets | "
        "/dashboard/ ms (queries) | admin changelist ms (queries) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, data in sizes.items():
        r = data["readonly"]
        lines.append(
            f"| {size} | {fmt(r['status_s'])} | {fmt(r['plan_s'])} | {fmt(r['dry_run_s'])} | "
            f"{fmt(r['dry_run_rss_mb'])} | {_page_cells(data['pages'])} |"
        )
    return lines + [""]


def _targets_table(checks):
    lines = ["### Targets\n", "| engine | at | target | measured | met |", "|---|---|---|---:|---|"]
    for check in checks:
        lines.append(
            f"| {check['engine']} | {check['size']} | {check['target']} | {fmt(check['measured'])} | "
            f"{'yes' if check['met'] else '**no**'} |"
        )
    return lines


def tables(results):
    """The results as Markdown: per engine, its tables (or why it was not measured), then the targets."""
    lines = []
    for engine, title in ENGINES:
        section = results.get(engine, {})
        sizes = section.get("sizes")
        if not sizes:
            lines.append(f"### {title}: not measured: {section.get('reason', 'not requested')}\n")
            continue
        lines.append(f"### {title}\n")
        lines += _migrations_table(engine, sizes)
        lines += _stages_table(sizes)
        lines += _checks_table(sizes)
        lines += _backup_table(engine, sizes)
        lines += _readonly_table(sizes)
    lines += _targets_table(results.get("targets", []))
    return "\n".join(lines) + "\n"
