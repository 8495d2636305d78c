"""The Flask tool's SQLite file (``data/orb.db`` of the predecessor), opened read-only.

Recognised by its tables: ``alembic_version`` (Flask-Migrate) with ``weekly_soundings`` and
``orb_entries``, the tables every installation has. Later installations added more tables
(``TABLES``); a table that is there must have the columns the importer reads. The file is
opened through the backends with a ``mode=ro`` URI, so nothing can write it: its bytes stay as
they were (its sha256 identifies it in the provenance records).
"""

import hashlib
import os
from dataclasses import dataclass, field

from orb.safemigrate.backends import open_embedded_file_read_only

# Each table the Flask tool wrote, the columns the importer reads, in the order it imports them.
TABLES = {
    "weekly_soundings": (
        "id recorded_at engineer_name engineer_title tank_17p_feet tank_17p_inches tank_17p_gallons "
        "tank_17p_m3 tank_17s_feet tank_17s_inches tank_17s_gallons tank_17s_m3 created_at"
    ),
    "orb_entries": "id entry_date code entry_text sounding_id created_at",
    "service_tank_config": "id tank_pair activated_at deactivated_at notes created_at",
    "daily_fuel_tickets": (
        "id ticket_date meter_start meter_end consumption_gallons service_tank_pair engineer_name notes created_at"
    ),
    "hitch_records": (
        "id vessel date location charter draft_forward_feet draft_forward_inches draft_aft_feet "
        "draft_aft_inches fuel_on_log correction total_fuel_gallons lube_oil_15p gear_oil_15s lube_oil_16p "
        "hyd_oil_16s oily_bilge_17p_feet oily_bilge_17p_inches oily_bilge_17p_gallons dirty_oil_17s_feet "
        "dirty_oil_17s_inches dirty_oil_17s_gallons engineer_name is_start end_date created_at"
    ),
    "fuel_tank_soundings": (
        "id hitch_id tank_number side is_day_tank sounding_feet sounding_inches water_present gallons"
    ),
    "oil_levels": (
        "id recorded_at tank_15p_lube tank_15s_gear tank_16p_lube tank_16s_hyd source engineer_name created_at"
    ),
    "status_events": "id event_type event_date notes engineer_name",
    "equipment_status": "id equipment_id status note updated_at updated_by",
}
REQUIRED = ("alembic_version", "weekly_soundings", "orb_entries")
LATER = ("service_tank_config", "daily_fuel_tickets")
LATEST = ("hitch_records", "fuel_tank_soundings", "oil_levels", "status_events", "equipment_status")
CHUNK = 2000


class NotAnOldFile(Exception):
    """The file is not the Flask tool's database (the message is one sentence)."""


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class OldFile:
    path: str
    sha256: str
    tables: list  # the known tables the file has, in import order
    revision: str
    connection: object = field(repr=False)

    @property
    def age(self):
        """Which installation wrote it: "oldest", "later" or "latest" (by the tables it has)."""
        if any(name in self.tables for name in LATEST):
            return "latest"
        if any(name in self.tables for name in LATER):
            return "later"
        return "oldest"

    def count(self, table):
        return self.connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]

    def rows(self, table, *, order_by="id"):
        """Every row of ``table`` as a dict of all its columns, in ``order_by`` order, in chunks."""
        cursor = self.connection.execute(f'SELECT * FROM "{table}" ORDER BY {order_by}')
        names = [d[0] for d in cursor.description]
        while batch := cursor.fetchmany(CHUNK):
            yield from (dict(zip(names, row, strict=True)) for row in batch)

    def close(self):
        self.connection.close()


def open_old_file(path):
    """The recognised old file, open read-only; ``NotAnOldFile`` with one sentence otherwise."""
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    sha256 = sha256_of(path)
    try:
        connection = open_embedded_file_read_only(path)
    except OSError as exc:
        raise NotAnOldFile(f"{path} cannot be opened as a database ({exc}); nothing was changed.") from exc
    try:
        tables, revision = _recognise(connection, path)
    except connection.Error as exc:
        connection.close()
        raise NotAnOldFile(
            f"{path} is not a database file ({exc}); give the Flask tool's data/orb.db. Nothing was changed."
        ) from exc
    except NotAnOldFile:
        connection.close()
        raise
    return OldFile(path=path, sha256=sha256, tables=tables, revision=revision, connection=connection)


def _recognise(connection, path):
    present = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = [name for name in REQUIRED if name not in present]
    if missing:
        raise NotAnOldFile(
            f"{path} is a database but not the Flask ORB tool's (it has no {', '.join(missing)} "
            "table); give the Flask tool's data/orb.db. Nothing was changed."
        )
    for table in [name for name in TABLES if name in present]:
        columns = {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
        lacking = [name for name in TABLES[table].split() if name not in columns]
        if lacking:
            raise NotAnOldFile(
                f"{path} is not a Flask ORB tool database this importer knows: its table {table} has no "
                f"column {lacking[0]}. Nothing was changed."
            )
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return [name for name in TABLES if name in present], (row[0] if row else "")
