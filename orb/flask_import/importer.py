"""The import itself, inside the caller's transaction: the old tables in order, then the check
that must pass before COMMIT.

Order: tanks (from the calibration tables if missing), weekly soundings, ORB entries (which
point at soundings), service tank pairs, daily fuel tickets (which point at pairs), hitch
records, their fuel tank soundings, oil levels; the status board tables are outside this
project and reported as skipped. Every old row ends as one provenance row (imported, flagged
or skipped, with the reason), and ``check`` refuses to let the transaction commit unless the
rows written per model and the provenance rows per table match the report, and the book's hash
chain verifies.
"""

from dataclasses import dataclass, field

from django.db import connection as default_connection

from . import book, fuel, hitches, provenance, soundings
from .report import ImportReport, RowResult

OUTSIDE = {
    "status_events": "the engine-room status board (sewage pump, potable water) is outside this project",
    "equipment_status": "the engine-room status board (equipment online/offline) is outside this project",
}
STEPS = [
    ("weekly_soundings", soundings.import_weekly_soundings),
    ("orb_entries", book.import_entries),
    ("service_tank_config", fuel.import_pairs),
    ("daily_fuel_tickets", fuel.import_tickets),
    ("hitch_records", hitches.import_hitches),
    ("fuel_tank_soundings", hitches.import_tank_soundings),
    ("oil_levels", hitches.import_oil_levels),
]


class Refusal(Exception):
    """The import cannot go ahead (one sentence, e.g. the book holds entries made here)."""


class CheckFailed(Exception):
    """The check before COMMIT failed (one sentence); the transaction must roll back."""


@dataclass
class Job:
    """One import: the old file, the report, the rows read, and the old-id maps between tables."""

    old: object
    report: ImportReport
    earlier: provenance.Earlier
    progress: object  # progress(table, done, total)
    results: list = field(default_factory=list)
    maps: dict = field(default_factory=dict)  # old table -> {old id: [objects made]}
    tanks: dict = field(default_factory=dict)  # designation -> Tank
    hitches: dict = field(default_factory=dict)  # new hitch pk -> (its RowResult, the HitchRecord)
    chain_head: str = ""
    sequence: int = 0

    def rows(self, table, *, order_by="id"):
        """RowResults of ``table``'s rows (in ``order_by`` order), each recorded at once (a step
        may still change its outcome until the table is summed up); rows already imported from
        another file (same id and values, with --append) are recorded as skipped, not yielded."""
        total = self.old.count(table)
        for done, values in enumerate(self.old.rows(table, order_by=order_by), start=1):
            row = RowResult(table=table, old_id=values.get("id"), old_values=values)
            row.values_json = provenance.old_values_json(values)
            self.results.append(row)
            earlier = self.earlier.same(table, old_id=row.old_id, values_json=row.values_json)
            if earlier is not None:
                row.skip(f"already imported from the file with sha256 {earlier.source_sha256[:12]}…")
                self.maps.setdefault(table, {})[row.old_id] = earlier.became_objects
                self.report.already += 1
            else:
                yield row
            if done % 500 == 0 or done == total:
                self.progress(table, done, total)

    def sum_up(self):
        for row in self.results:
            self.report.table(row.table).add(row)

    def refusal(self, sentence):
        return Refusal(sentence)

    def remember(self, table, *, old_id, objects):
        self.maps.setdefault(table, {})[old_id] = objects

    def mapped(self, table, old_id):
        return self.maps.get(table, {}).get(old_id)


def run_import(job):
    """Every table of the old file in order (inside the caller's transaction)."""
    present = set(job.old.tables)
    soundings.ensure_tanks(job)
    for table, step in STEPS:
        if table in present:
            job.report.table(table)
            step(job)
        else:
            job.report.missing.append(table)
    for table, why in OUTSIDE.items():
        if table in present:
            _skip_whole_table(job, table, why=why)
    if "hitch_records" in present:
        job.report.table("hitch_records").note = hitches.HITCH_NOTE
    job.sum_up()


def _skip_whole_table(job, table, *, why):
    job.report.table(table).note = f"skipped: {why}; its rows are kept in the import record"
    for row in job.rows(table):
        row.skip("outside this project (see the note above)")


def check(job, *, rows_before, run, connection=default_connection):
    """Before COMMIT: the rows written per model and the provenance rows per table (read back
    from the database) match the report and the file, and the book's hash chain verifies.
    Raises CheckFailed with one sentence."""
    from django.db.models import Count

    from soundings.chain import check_for_migration

    for label, count in count_rows().items():
        made = job.report.made.get(label, 0)
        if count - rows_before[label] != made:
            raise CheckFailed(f"{label} has {count - rows_before[label]} new rows but the import wrote {made}")
    recorded = dict(run.rows.values_list("old_table").annotate(n=Count("id")).values_list("old_table", "n"))
    for table, report in job.report.tables.items():
        in_file = job.old.count(table)
        if recorded.get(table, 0) != report.read or report.read != in_file:
            raise CheckFailed(
                f"{table}: {in_file} rows in the file, {report.read} in the report, "
                f"{recorded.get(table, 0)} in the import record"
            )
    broken = check_for_migration(connection.alias)
    if broken:
        raise CheckFailed(f"the book does not verify after the import: {broken}")


# Every model the import writes (the check counts them before and after).
WRITTEN = (
    "soundings.tank",
    "soundings.calibrationversion",
    "soundings.calibrationrow",
    "soundings.weeklysounding",
    "soundings.orbentry",
    "soundings.auditevent",
    "fueltickets.servicetankpair",
    "fueltickets.dailyfuelticket",
    "fueltickets.hitchrecord",
    "fueltickets.fueltanksounding",
)


def count_rows():
    from django.apps import apps

    return {label: apps.get_model(label)._base_manager.count() for label in WRITTEN}
