"""weekly_soundings: the fixed ``tank_17p_*``/``tank_17s_*`` columns become one sounding of the
tank 17P and one of 17S (the tanks are created from the calibration tables when missing).

A sounding keeps the old tool's volume (gallons and m³ as recorded). The model's rules run on
it: a depth beyond the tank's table, a volume that differs from the table's, or a second
scheduled sounding on a ship's day is imported as recorded and flagged (the second one as
ad-hoc: the old tool did not say which it was). A depth the database refuses (inches beyond 11)
is skipped for that tank with the reason. The sounding's ORB entries come from orb_entries,
verbatim (``book``), never written again from the sounding.
"""

import os
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

from soundings.models import Tank, WeeklySounding
from soundings.units import FOUR_PLACES, gallons_to_m3

from . import values
from .saving import problems, store

TANKS = (("17P", "tank_17p"), ("17S", "tank_17s"))
TOLERANCE_GALLONS = Decimal("0.5")  # the old tool's rounding of a table reading
TABLE_FILE = os.path.join(settings.BASE_DIR, "data", "sounding_tables.json")
NOT_IN_MODEL = ("gallons", "m3", "calibration_version")


def ensure_tanks(job):
    """The tanks 17P and 17S, loaded from data/sounding_tables.json when missing."""
    from soundings.tables import TableFileError, load_tables, read_table_file

    from .importer import count_rows

    missing = [d for d, _ in TANKS if not Tank.objects.filter(designation=d).exists()]
    if missing and "weekly_soundings" in job.old.tables and job.old.count("weekly_soundings"):
        try:
            tables = [t for t in read_table_file(TABLE_FILE) if t.designation in missing]
        except TableFileError as exc:
            raise job.refusal(
                f"the tanks {', '.join(missing)} are missing and their tables cannot be read: {exc}"
            ) from exc
        before = count_rows()
        load_tables(tables, source=TABLE_FILE, who="import_flask_orb")
        for label, count in count_rows().items():
            job.report.made[label] += count - before[label]
        created = sorted(t.designation for t in tables)
        job.report.notes.append(f"Tanks created from {TABLE_FILE}: {', '.join(created) or 'none'}.")
        still = sorted(set(missing) - set(created))
        if still:
            raise job.refusal(f"{TABLE_FILE} has no table for {', '.join(still)}; load the vessel's tables first")
    job.tanks = {d: Tank.objects.filter(designation=d).first() for d, _ in TANKS}


def import_weekly_soundings(job):
    for row in job.rows("weekly_soundings"):
        v = row.old_values
        try:
            recorded_at = values.column(v, "recorded_at", values.instant)
            name, title = (
                values.column(v, "engineer_name", values.text),
                values.column(v, "engineer_title", values.text),
            )
        except values.BadValue as exc:
            row.skip(str(exc))
            continue
        if recorded_at is None:
            row.skip("it has no recorded_at; a sounding without a time cannot be placed in the record")
            continue
        made, reasons = [], []
        for designation, prefix in TANKS:
            sounding, reason = _tank_sounding(
                job, row, designation=designation, prefix=prefix, at=recorded_at, name=name, title=title
            )
            if sounding is not None:
                made.append(sounding)
            elif reason:
                reasons.append(f"{designation} not imported: {reason}")
        for reason in reasons:
            row.flag(reason) if made else row.skip(reason)
        if not made and not reasons:
            row.skip("neither tank has a depth in this row")
        job.remember("weekly_soundings", old_id=row.old_id, objects=made)


def _read_tank(v, prefix):
    feet, inches = (
        values.column(v, f"{prefix}_feet", values.integer),
        values.column(v, f"{prefix}_inches", values.integer),
    )
    gallons = values.column(v, f"{prefix}_gallons", values.decimal, places=2)
    m3 = values.column(v, f"{prefix}_m3", values.decimal, places=4)
    return feet, inches, gallons, m3


def _tank_sounding(job, row, *, designation, prefix, at, name, title):
    """(the stored sounding, None) or (None, why not); (None, None) when the tank was not sounded."""
    try:
        feet, inches, gallons, m3 = _read_tank(row.old_values, prefix)
    except values.BadValue as exc:
        return None, str(exc)
    if feet is None and inches is None and gallons is None:
        return None, None
    if feet is None or inches is None:
        return None, f"its depth is incomplete (feet {feet}, inches {inches})"
    tank = job.tanks[designation]
    sounding = WeeklySounding(tank=tank, recorded_at=at, feet=feet, inches=inches, engineer_name=name)
    sounding.engineer_title = title
    flags = _rule_flags(sounding)
    table_gallons = _table_gallons(tank, sounding, flags=flags)
    if gallons is None and table_gallons is None:
        return None, "it has no volume and its depth is beyond the table"
    if gallons is None:
        flags.append(f"{designation}: no volume in the old file; the table's {table_gallons} gal is stored")
        gallons = table_gallons
    elif table_gallons is not None and abs(gallons - table_gallons) > TOLERANCE_GALLONS:
        flags.append(f"{designation}: the old tool recorded {gallons} gal, the table gives {table_gallons} gal")
    sounding.gallons = gallons
    sounding.m3 = m3 if m3 is not None else gallons_to_m3(gallons).quantize(FOUR_PLACES)
    refused = store(sounding, row, made=job.report.made)
    if refused:
        return None, refused
    for flag in flags:
        row.flag(flag)
    return sounding, None


def _rule_flags(sounding):
    """The model's rules; a second scheduled sounding on the day is imported as ad-hoc."""
    found = problems(sounding, exclude=NOT_IN_MODEL)
    if any(message.startswith("kind:") for message in found):
        sounding.kind = WeeklySounding.Kind.AD_HOC
        found = [
            f"{sounding.tank.designation} imported as ad-hoc: {m.removeprefix('kind: ')}"
            if m.startswith("kind:")
            else m
            for m in found
        ]
    return [m for m in found if "calibration table" not in m]  # said once, by _table_gallons


def _table_gallons(tank, sounding, *, flags):
    """The table's volume at the depth (two decimals), or None with a flag when it has none."""
    version = tank.current_version
    try:
        gallons = tank.gallons_at(feet=sounding.feet, inches=sounding.inches, version=version)
    except ValidationError as exc:
        flags.append(f"{exc.messages[0]} (imported as recorded, with the old tool's volume)")
        sounding.calibration_version = None
        return None
    sounding.calibration_version = version
    return gallons.quantize(Decimal("0.01"))
