"""hitch_records, fuel_tank_soundings and oil_levels: the hitch baselines.

A hitch record becomes a HitchRecord with its fuel tank soundings (by the old hitch id) and the
oil levels written on the form (lube 15P, gear 15S, lube 16P, hydraulic 16S). The form's slop
tank columns (oily bilge 17P, dirty oil 17S) have no place on this project's baseline: they stay
in the import record with the row. The model's rules run: a total that is not the sum of the
form's soundings is flagged (``HitchRecord.soundings_problem``), and so is anything else the
model refuses; the database's constraints skip a row with their words.

oil_levels rows (readings taken with fuel tickets, by hand or at a hitch start) have no table in
this project: they are skipped, and kept in the import record.
"""

from decimal import Decimal

from fueltickets.models import FuelTankSounding, HitchRecord

from . import values
from .saving import problems, store

HITCH_NOTE = "the form's slop tank readings (oily bilge 17P, dirty oil 17S) are kept in the import record only"
OIL_LEVELS_NOTE = (
    "skipped: this project keeps oil levels on the hitch form only (lube 15P, gear 15S, lube 16P, hydraulic "
    "16S); the readings are kept in the import record"
)
DECIMALS = (
    "fuel_on_log",
    "correction",
    "total_fuel_gallons",
    "lube_oil_15p",
    "gear_oil_15s",
    "lube_oil_16p",
    "hyd_oil_16s",
)
WHOLE = ("draft_forward_feet", "draft_forward_inches", "draft_aft_feet", "draft_aft_inches")


def _hitch(row):
    v = row.old_values
    try:
        fields = {name: values.column(v, name, values.decimal, places=1) for name in DECIMALS}
        fields.update({name: values.column(v, name, values.integer) for name in WHOLE})
        fields.update(
            date=values.column(v, "date", values.day),
            end_date=values.column(v, "end_date", values.day),
            is_start=bool(values.column(v, "is_start", values.boolean)),
            **{
                name: values.column(v, name, values.text) for name in ("vessel", "location", "charter", "engineer_name")
            },
        )
    except values.BadValue as exc:
        row.skip(str(exc))
        return None
    if fields["date"] is None or fields["total_fuel_gallons"] is None:
        row.skip("it has no date or no total fuel on board, which a baseline needs")
        return None
    return HitchRecord(**fields)


def import_hitches(job):
    for row in job.rows("hitch_records", order_by="date, id"):
        hitch = _hitch(row)
        if hitch is None:
            continue
        flags = problems(hitch)
        reason = store(hitch, row, made=job.report.made)
        if reason:
            row.skip(reason)
            continue
        for flag in flags:
            row.flag(flag)
        job.remember("hitch_records", old_id=row.old_id, objects=[hitch])
        job.hitches[hitch.pk] = (row, hitch)


def import_tank_soundings(job):
    totals = {}
    for row in job.rows("fuel_tank_soundings", order_by="hitch_id, id"):
        v = row.old_values
        try:
            hitch = (job.mapped("hitch_records", values.column(v, "hitch_id", values.integer)) or [None])[0]
        except values.BadValue as exc:
            row.skip(str(exc))
            continue
        if not isinstance(hitch, HitchRecord):
            row.skip(f"its hitch record (old id {v['hitch_id']}) was not imported with this file")
            continue
        sounding = _tank_sounding(row, hitch)
        if sounding is None:
            continue
        reason = store(sounding, row, made=job.report.made)
        if reason:
            row.skip(reason)
            continue
        for flag in problems(sounding):
            row.flag(flag)
        if not values.column(v, "water_present", values.text).strip():
            row.flag("water present is empty in the old file; stored as the form's default, None")
        totals[hitch.pk] = totals.get(hitch.pk, Decimal(0)) + sounding.gallons
    for pk, total in totals.items():
        row, hitch = job.hitches[pk]
        problem = hitch.soundings_problem(total)
        if problem:
            row.flag(problem)


def _tank_sounding(row, hitch):
    v = row.old_values
    try:
        sounding = FuelTankSounding(
            hitch=hitch,
            tank_number=values.column(v, "tank_number", values.text).strip(),
            side=values.column(v, "side", values.text).strip(),
            is_day_tank=bool(values.column(v, "is_day_tank", values.boolean)),
            feet=values.column(v, "sounding_feet", values.integer),
            inches=values.column(v, "sounding_inches", values.integer),
            water_present=values.column(v, "water_present", values.text).strip() or FuelTankSounding.Water.NONE,
            gallons=values.column(v, "gallons", values.decimal, places=1),
        )
    except values.BadValue as exc:
        row.skip(str(exc))
        return None
    if sounding.feet is None or sounding.inches is None or sounding.gallons is None:
        row.skip("it has no depth or no gallons")
        return None
    return sounding


def import_oil_levels(job):
    job.report.table("oil_levels").note = OIL_LEVELS_NOTE
    for row in job.rows("oil_levels"):
        row.skip("no oil level table in this project (see the note above)")
