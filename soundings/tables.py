"""Sounding (calibration) table files: read, validate completely, then load.

File shape (data/sounding_tables.json):
{"metadata": {...}, "tanks": {"17P": {"name", "orb_code" ("C"|"I"), "capacity_gallons",
 "capacity_m3" (informational), "soundings": [{"feet", "inches", "gallons"}, ...]}}}

Nothing is written unless the whole file is valid; loading is idempotent.
"""

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from soundings.calibration import depth_in_inches
from soundings.models import CalibrationRow, Tank

SECTION_BY_CODE = {"C": Tank.IoppSection.SLUDGE, "I": Tank.IoppSection.BILGE_HOLDING}
MAX_GALLONS = Decimal("999999999.9")


class TableFileError(Exception):
    """A sounding table file is unusable; the message is one sentence naming what and where."""


@dataclass(frozen=True)
class TankTable:
    designation: str
    name: str
    orb_code: str
    capacity_gallons: Decimal
    rows: tuple  # ((feet, inches, gallons), ...) sorted by depth


@dataclass
class LoadReport:
    tanks_created: int = 0
    tanks_changed: int = 0
    rows_added: int = 0
    rows_changed: int = 0
    rows_removed: int = 0
    tanks: int = 0
    rows: int = 0

    @property
    def changed(self):
        return any((self.tanks_created, self.tanks_changed, self.rows_added, self.rows_changed, self.rows_removed))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def read_table_file(path):
    """Parse and validate `path`; returns [TankTable] or raises TableFileError."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise TableFileError(f"{path}: file not found; give the path of a sounding table file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TableFileError(f"{path}: cannot be read ({exc}); check the file.") from None
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise TableFileError(
            f"{path}: not valid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); fix the syntax."
        ) from None
    return parse_tables(data, source=str(path))


def parse_tables(data, *, source):
    if not isinstance(data, dict) or not isinstance(data.get("tanks"), dict):
        raise TableFileError(f'{source}: the file must be a JSON object with a "tanks" object.')
    if not data["tanks"]:
        raise TableFileError(f'{source}: "tanks" is empty; the file must describe at least one tank.')
    return [_parse_tank(designation, spec, source=source) for designation, spec in data["tanks"].items()]


def _parse_tank(designation, spec, *, source):
    where = f"{source}: tank {designation}"
    if not designation.strip() or len(designation) > 16:
        raise TableFileError(f"{where}: the designation must be 1 to 16 characters.")
    if not isinstance(spec, dict):
        raise TableFileError(f"{where}: must be an object with name, orb_code, capacity_gallons and soundings.")
    for key in ("name", "orb_code", "capacity_gallons", "soundings"):
        if key not in spec:
            raise TableFileError(f'{where}: the required key "{key}" is missing.')
    name = spec["name"]
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise TableFileError(f"{where}: name must be a text of 1 to 100 characters.")
    if spec["orb_code"] not in SECTION_BY_CODE:
        raise TableFileError(
            f'{where}: orb_code must be "C" (sludge tank, IOPP 3.1) or "I" (bilge holding tank, '
            f"IOPP 3.3), got {spec['orb_code']!r}."
        )
    capacity = _number(spec["capacity_gallons"])
    if capacity is None or capacity <= 0 or capacity > MAX_GALLONS:
        raise TableFileError(f"{where}: capacity_gallons must be a positive number, got {spec['capacity_gallons']!r}.")
    soundings = spec["soundings"]
    if not isinstance(soundings, list) or not soundings:
        raise TableFileError(f"{where}: soundings must be a non-empty list of rows.")
    rows = [_parse_row(row, where=f"{where} row {index}") for index, row in enumerate(soundings, start=1)]
    seen = {}
    for index, (feet, inches, _) in enumerate(rows, start=1):
        depth = depth_in_inches(feet=feet, inches=inches)
        if depth in seen:
            raise TableFileError(
                f"{where} row {index}: {feet} ft {inches} in repeats row {seen[depth]}; each depth may appear once."
            )
        seen[depth] = index
    ordered = sorted(enumerate(rows, start=1), key=lambda r: depth_in_inches(feet=r[1][0], inches=r[1][1]))
    for (_, (_, _, prev_gal)), (index, (feet, inches, gallons)) in zip(ordered, ordered[1:], strict=False):
        if gallons < prev_gal:
            raise TableFileError(
                f"{where} row {index}: {gallons} gal at {feet} ft {inches} in is less than at the "
                "depth below it; volumes must not decrease with depth."
            )
    return TankTable(
        designation=designation,
        name=name.strip(),
        orb_code=spec["orb_code"],
        capacity_gallons=capacity,
        rows=tuple(row for _, row in ordered),
    )


def _parse_row(row, *, where):
    if not isinstance(row, dict):
        raise TableFileError(f"{where}: must be an object with feet, inches and gallons.")
    for key in ("feet", "inches", "gallons"):
        if key not in row:
            raise TableFileError(f'{where}: the required key "{key}" is missing.')
    feet, inches = row["feet"], row["inches"]
    if not _is_int(feet) or not 0 <= feet <= 1000:
        raise TableFileError(f"{where}: feet must be a whole number 0 or more, got {feet!r}.")
    if not _is_int(inches) or not 0 <= inches <= 11:
        raise TableFileError(f"{where}: inches must be 0–11, got {inches!r}.")
    gallons = _number(row["gallons"])
    if gallons is None or gallons < 0 or gallons > MAX_GALLONS:
        raise TableFileError(f"{where}: gallons must be a number 0 or more, got {row['gallons']!r}.")
    if gallons != gallons.quantize(Decimal("0.1")):
        raise TableFileError(f"{where}: gallons may have at most one decimal place, got {gallons}.")
    return (feet, inches, gallons)


def load_tables(tables):
    """Create or update tanks and their calibration rows to match `tables`; one transaction."""
    report = LoadReport()
    with transaction.atomic():
        for table in tables:
            _load_tank(table, report)
    return report


def _load_tank(table, report):
    wanted = {
        "name": table.name,
        "iopp_section": SECTION_BY_CODE[table.orb_code],
        "capacity_gallons": table.capacity_gallons,
    }
    tank = Tank.objects.filter(designation=table.designation).first()
    if tank is None:
        tank = Tank(designation=table.designation, **wanted)
        tank.full_clean()
        tank.save()
        report.tanks_created += 1
    elif any(getattr(tank, field) != value for field, value in wanted.items()):
        for field, value in wanted.items():
            setattr(tank, field, value)
        tank.full_clean()
        tank.save()
        report.tanks_changed += 1
    report.tanks += 1

    existing = {(row.feet, row.inches): row for row in tank.calibration_rows.all()}
    new_rows = []
    for feet, inches, gallons in table.rows:
        row = existing.pop((feet, inches), None)
        if row is None:
            new_rows.append(CalibrationRow(tank=tank, feet=feet, inches=inches, gallons=gallons))
        elif row.gallons != gallons:
            row.gallons = gallons
            row.save(update_fields=["gallons"])
            report.rows_changed += 1
    if existing:
        CalibrationRow.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
        report.rows_removed += len(existing)
    CalibrationRow.objects.bulk_create(new_rows)
    report.rows_added += len(new_rows)
    report.rows += len(table.rows)
