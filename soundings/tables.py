"""Sounding (calibration) table files: read, validate completely, then load.

File shape (data/sounding_tables.json):
{"metadata": {...}, "tanks": {"17P": {"name", "orb_code" ("C"|"I"), "capacity_gallons",
 "capacity_m3" (the IOPP's capacity unless "iopp_capacity_m3" is given), optional
 "iopp_wording" (the tank as the IOPP Supplement lists it), "soundings": [{"feet", "inches",
 "gallons"}, ...]}}}

Nothing is written unless the whole file is valid. A tank whose rows differ from its newest
table version gets a new version (who, when, the file's sha256); versions are never edited, so
loading the same file again changes nothing ("unchanged").
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from soundings.calibration import depth_in_inches
from soundings.models import CalibrationRow, CalibrationVersion, Tank
from soundings.units import format_depth

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
    iopp_wording: str | None = None
    iopp_capacity_m3: Decimal | None = None
    capacity_m3: Decimal | None = None  # the file's informational figure: a new tank's IOPP capacity


@dataclass
class TankChange:
    """What loading a file changed for one tank."""

    designation: str
    created: bool = False
    fields: list = field(default_factory=list)
    rows_added: list = field(default_factory=list)  # [(feet, inches)]
    rows_removed: list = field(default_factory=list)
    rows_changed: list = field(default_factory=list)  # [((feet, inches), old gallons, new gallons)]
    new_version: int | None = None
    version: int | None = None

    @property
    def changed(self):
        return self.created or bool(self.fields) or self.new_version is not None

    def describe(self):
        """One line: '17P: unchanged (table version 1).' or what changed."""
        if not self.changed:
            return f"{self.designation}: unchanged (table version {self.version})."
        parts = ["tank created" if self.created else ""]
        if self.fields:
            parts.append("changed " + ", ".join(self.fields))
        if self.new_version is not None and not self.created:
            rows = [
                f"{format_depth(feet=f, inches=i)} {old:.1f} → {new:.1f} gal" for (f, i), old, new in self.rows_changed
            ]
            rows += [f"{format_depth(feet=f, inches=i)} added" for f, i in self.rows_added]
            rows += [f"{format_depth(feet=f, inches=i)} removed" for f, i in self.rows_removed]
            parts.append(f"new table version {self.new_version} ({'; '.join(rows)})")
        elif self.new_version is not None:
            parts.append(f"table version {self.new_version}")
        return f"{self.designation}: {', '.join(p for p in parts if p)}."


@dataclass
class LoadReport:
    changes: list = field(default_factory=list)
    tanks: int = 0
    rows: int = 0

    def add(self, change, *, rows):
        self.changes.append(change)
        self.tanks += 1
        self.rows += rows

    @property
    def changed(self):
        return any(change.changed for change in self.changes)

    @property
    def tanks_created(self):
        return sum(change.created for change in self.changes)

    @property
    def new_versions(self):
        return sum(change.new_version is not None for change in self.changes)


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
        **_iopp(spec, where=where),
    )


def _iopp(spec, *, where):
    """The optional keys iopp_wording, iopp_capacity_m3 and capacity_m3."""
    wording = spec.get("iopp_wording")
    if wording is not None and (not isinstance(wording, str) or len(wording) > 200):
        raise TableFileError(f"{where}: iopp_wording must be a text of at most 200 characters.")
    found = {"iopp_wording": wording.strip() if wording is not None else None}
    for key in ("iopp_capacity_m3", "capacity_m3"):
        found[key] = None if spec.get(key) is None else _m3(spec[key], key=key, where=where)
    return found


def _m3(value, *, key, where):
    m3 = _number(value)
    if m3 is None or m3 <= 0 or m3 > MAX_GALLONS or m3 != m3.quantize(Decimal("0.01")):
        raise TableFileError(f"{where}: {key} must be a positive number with at most two decimals, got {value!r}.")
    return m3


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


def load_tables(tables, *, source="", sha256="", user=None, who=""):
    """Bring tanks and their calibration tables in line with ``tables``, in one transaction.

    A tank whose rows differ from its newest table version gets a new version (``who`` and
    ``user`` loaded it, from ``source`` whose bytes hash to ``sha256``); versions are never
    edited, so soundings keep the table they were computed with.
    """
    report = LoadReport()
    stamp = {"source": str(source)[:500], "sha256": sha256, "loaded_by": user, "loaded_by_name": who[:150]}
    with transaction.atomic():
        for table in tables:
            _load_tank(table, report, stamp=stamp)
    return report


def _tank_attributes(table, existing):
    """The tank fields the file sets; the IOPP fields only when the file gives them (or the
    tank is new: then the designation and name, and the file's capacity_m3 or the gallons)."""
    wanted = {
        "name": table.name,
        "iopp_section": SECTION_BY_CODE[table.orb_code],
        "capacity_gallons": table.capacity_gallons,
    }
    if table.iopp_wording is not None or existing is None:
        wanted["iopp_wording"] = table.iopp_wording or ""
    if table.iopp_capacity_m3 is not None:
        wanted["iopp_capacity_m3"] = table.iopp_capacity_m3
    elif existing is None:
        wanted["iopp_capacity_m3"] = table.capacity_m3
    return wanted


def _load_tank(table, report, *, stamp):
    tank = Tank.objects.filter(designation=table.designation).first()
    wanted = _tank_attributes(table, tank)
    change = TankChange(designation=table.designation)
    if tank is None:
        tank = Tank(designation=table.designation, **wanted)
        change.created = True
    else:
        change.fields = [f for f, value in wanted.items() if getattr(tank, f) != value]
        for field in change.fields:
            setattr(tank, field, wanted[field])
    if change.created or change.fields:
        tank.full_clean()
        tank.save()
    current = tank.current_version
    old_rows = {(r.feet, r.inches): r.gallons for r in current.rows.all()} if current else {}
    new_rows = {(feet, inches): gallons for feet, inches, gallons in table.rows}
    change.rows_added = sorted(new_rows.keys() - old_rows.keys())
    change.rows_removed = sorted(old_rows.keys() - new_rows.keys())
    change.rows_changed = [
        (depth, old_rows[depth], new_rows[depth])
        for depth in sorted(old_rows.keys() & new_rows.keys())
        if old_rows[depth] != new_rows[depth]
    ]
    if current is None or change.rows_added or change.rows_removed or change.rows_changed:
        version = CalibrationVersion.objects.create(tank=tank, number=(current.number if current else 0) + 1, **stamp)
        CalibrationRow.objects.bulk_create(
            CalibrationRow(tank=tank, version=version, feet=feet, inches=inches, gallons=gallons)
            for feet, inches, gallons in table.rows
        )
        change.new_version = version.number
    change.version = change.new_version or current.number
    report.add(change, rows=len(table.rows))
