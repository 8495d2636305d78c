"""Writes a database file as the Flask tool left it: its exact tables and columns (SQLAlchemy
types, Flask-Migrate's alembic_version), for each installation age, filled with plausible rows
and, with ``awkward=True``, the awkward values an old file holds.

    python tests/flask_import/oldschema.py OUT.db [--age oldest|later|latest] [--weeks N] [--days N]

Ages: "oldest" (weekly_soundings, orb_entries, alembic_version), "later" (+ service_tank_config,
daily_fuel_tickets), "latest" (+ hitch_records, fuel_tank_soundings, oil_levels, status_events,
equipment_status). ``EXPECTED`` (returned by ``write``) says what an import must find.
"""

import argparse
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLES_FILE = ROOT / "data" / "sounding_tables.json"

SCHEMA = {
    "alembic_version": """CREATE TABLE alembic_version (
        version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))""",
    "weekly_soundings": """CREATE TABLE weekly_soundings (
        id INTEGER NOT NULL, recorded_at DATETIME NOT NULL, engineer_name VARCHAR(100) NOT NULL,
        engineer_title VARCHAR(100), tank_17p_feet INTEGER, tank_17p_inches INTEGER, tank_17p_gallons FLOAT,
        tank_17p_m3 FLOAT, tank_17s_feet INTEGER, tank_17s_inches INTEGER, tank_17s_gallons FLOAT,
        tank_17s_m3 FLOAT, created_at DATETIME, PRIMARY KEY (id))""",
    "orb_entries": """CREATE TABLE orb_entries (
        id INTEGER NOT NULL, entry_date DATE NOT NULL, code VARCHAR(1) NOT NULL, entry_text TEXT NOT NULL,
        sounding_id INTEGER, created_at DATETIME, PRIMARY KEY (id),
        FOREIGN KEY(sounding_id) REFERENCES weekly_soundings (id))""",
    "service_tank_config": """CREATE TABLE service_tank_config (
        id INTEGER NOT NULL, tank_pair VARCHAR(10) NOT NULL, activated_at DATETIME NOT NULL,
        deactivated_at DATETIME, notes TEXT, created_at DATETIME, PRIMARY KEY (id))""",
    "daily_fuel_tickets": """CREATE TABLE daily_fuel_tickets (
        id INTEGER NOT NULL, ticket_date DATE NOT NULL, meter_start FLOAT NOT NULL, meter_end FLOAT NOT NULL,
        consumption_gallons FLOAT, service_tank_pair VARCHAR(20), engineer_name VARCHAR(100), notes TEXT,
        created_at DATETIME, PRIMARY KEY (id))""",
    "hitch_records": """CREATE TABLE hitch_records (
        id INTEGER NOT NULL, vessel VARCHAR(100), date DATE NOT NULL, location VARCHAR(200), charter VARCHAR(200),
        draft_forward_feet INTEGER, draft_forward_inches INTEGER, draft_aft_feet INTEGER, draft_aft_inches INTEGER,
        fuel_on_log FLOAT, correction FLOAT, total_fuel_gallons FLOAT, lube_oil_15p FLOAT, gear_oil_15s FLOAT,
        lube_oil_16p FLOAT, hyd_oil_16s FLOAT, oily_bilge_17p_feet INTEGER, oily_bilge_17p_inches INTEGER,
        oily_bilge_17p_gallons FLOAT, dirty_oil_17s_feet INTEGER, dirty_oil_17s_inches INTEGER,
        dirty_oil_17s_gallons FLOAT, engineer_name VARCHAR(100), is_start BOOLEAN, end_date DATE,
        created_at DATETIME, PRIMARY KEY (id))""",
    "fuel_tank_soundings": """CREATE TABLE fuel_tank_soundings (
        id INTEGER NOT NULL, hitch_id INTEGER NOT NULL, tank_number VARCHAR(10) NOT NULL, side VARCHAR(10) NOT NULL,
        is_day_tank BOOLEAN, sounding_feet INTEGER, sounding_inches INTEGER, water_present VARCHAR(20),
        gallons FLOAT, PRIMARY KEY (id), FOREIGN KEY(hitch_id) REFERENCES hitch_records (id))""",
    "oil_levels": """CREATE TABLE oil_levels (
        id INTEGER NOT NULL, recorded_at DATETIME NOT NULL, tank_15p_lube FLOAT, tank_15s_gear FLOAT,
        tank_16p_lube FLOAT, tank_16s_hyd FLOAT, source VARCHAR(20), engineer_name VARCHAR(100),
        created_at DATETIME, PRIMARY KEY (id))""",
    "status_events": """CREATE TABLE status_events (
        id INTEGER NOT NULL, event_type VARCHAR(50) NOT NULL, event_date DATETIME NOT NULL, notes TEXT,
        engineer_name VARCHAR(100), created_at DATETIME, PRIMARY KEY (id))""",
    "equipment_status": """CREATE TABLE equipment_status (
        id INTEGER NOT NULL, equipment_id VARCHAR(20) NOT NULL, status VARCHAR(20) NOT NULL, note TEXT,
        updated_at DATETIME, updated_by VARCHAR(100), PRIMARY KEY (id))""",
}
AGES = {
    "oldest": ["alembic_version", "weekly_soundings", "orb_entries"],
    "later": ["alembic_version", "weekly_soundings", "orb_entries", "service_tank_config", "daily_fuel_tickets"],
    "latest": list(SCHEMA),
}
REVISIONS = {"oldest": "1a2b3c4d5e6f", "later": "7f8e9d0c1b2a", "latest": "c0ffee123456"}
GALLON_M3 = 0.003785411784


@dataclass
class Expected:
    """What an import of the written file must find, per old table: rows, and the old ids that must
    end flagged or skipped (every other row is imported as it is)."""

    rows: dict = field(default_factory=dict)
    flagged: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    entry_texts: list = field(default_factory=list)  # (old id, code, date text, text) of every entry written

    def mark(self, kind, table, old_id):
        getattr(self, kind).setdefault(table, set()).add(old_id)


def _table_gallons():
    data = json.loads(TABLES_FILE.read_text())
    return {(r["feet"], r["inches"]): r["gallons"] for r in data["tanks"]["17S"]["soundings"]}


def _stamp(moment, style):
    """The ways SQLAlchemy (and hand edits) wrote a datetime."""
    return [
        moment.strftime("%Y-%m-%d %H:%M:%S.%f"),
        moment.strftime("%Y-%m-%dT%H:%M:%S"),
        moment.strftime("%Y-%m-%d %H:%M:%S") + "+00:00",
        moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z",
    ][style % 4]


class Writer:
    def __init__(self, conn, *, awkward, start):
        self.conn = conn
        self.awkward = awkward
        self.start = start
        self.expected = Expected()
        self.table = _table_gallons()
        self.depths = sorted(self.table)

    def insert(self, table, rows):
        rows = list(rows)
        if not rows:
            return
        columns = list(rows[0])
        self.conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [tuple(r[c] for c in columns) for r in rows],
        )
        self.expected.rows[table] = self.expected.rows.get(table, 0) + len(rows)

    def tank(self, prefix, index):
        feet, inches = self.depths[(index * 7 + (3 if prefix == "tank_17p" else 0)) % len(self.depths)]
        gallons = float(self.table[(feet, inches)])
        if gallons == 1607:
            gallons = 1606.9999999  # a float as the old tool stored it
        return {
            f"{prefix}_feet": feet,
            f"{prefix}_inches": inches,
            f"{prefix}_gallons": gallons,
            f"{prefix}_m3": gallons * GALLON_M3,
        }

    def soundings_and_entries(self, weeks):
        soundings, entries = [], []
        for week in range(weeks):
            moment = datetime.combine(self.start, datetime.min.time()) + timedelta(weeks=week, hours=8)
            sid = week + 1
            row = {"id": sid, "recorded_at": _stamp(moment, week), "engineer_name": "J. Smith",
                   "engineer_title": "2nd Engineer", **self.tank("tank_17p", week), **self.tank("tank_17s", week),
                   "created_at": _stamp(moment + timedelta(minutes=5), week + 1)}  # fmt: skip
            soundings.append(row)
            day = moment.date().isoformat()
            c_text = (
                f"11.1 17S Dirty Oil Tank\n11.2 6.08 m3\n11.3 {row['tank_17s_m3']:.2f} m3"
                if week % 3
                else f"11.1 17S Dirty Oil Tank\n11.2 6.08 m³\n11.3 {row['tank_17s_m3']:.2f} m³ — “retained”"
            )
            i_text = f"34.1 17P Oily Water Tank\n34.2 6.08 m3\n34.3 {row['tank_17p_m3']:.2f} m3"
            entries.append((day, "C", c_text, sid, row["created_at"]))
            entries.append((day, "I", i_text, sid, row["created_at"]))
        if self.awkward and weeks >= 6:
            self._awkward_soundings(soundings, entries)
        self.insert("weekly_soundings", soundings)
        rows = [
            {"id": n, "entry_date": d, "code": c, "entry_text": t, "sounding_id": s, "created_at": at}
            for n, (d, c, t, s, at) in enumerate(entries, start=1)
        ]
        if self.awkward:
            self._awkward_entries(rows)
        self.insert("orb_entries", rows)
        self.expected.entry_texts = [(r["id"], r["code"], r["entry_date"], r["entry_text"]) for r in rows]

    def _awkward_soundings(self, soundings, entries):
        soundings[1].update(tank_17s_feet=3, tank_17s_inches=2, tank_17s_gallons=1650.0, tank_17s_m3=6.246)
        self.expected.mark("flagged", "weekly_soundings", 2)  # beyond the table: imported as recorded
        soundings[2].update(tank_17p_inches=12)  # the database refuses 12 inches: 17P skipped, row flagged
        self.expected.mark("flagged", "weekly_soundings", 3)
        soundings[3].update(engineer_title=None, tank_17p_feet=None, tank_17p_inches=None, tank_17p_gallons=None,
                            tank_17p_m3=None)  # fmt: skip
        self.expected.mark("flagged", "weekly_soundings", 4)  # no rank: the model's rule, flagged
        soundings[4].update(tank_17s_gallons="", tank_17s_m3=None)  # no volume: the table's is stored, flagged
        self.expected.mark("flagged", "weekly_soundings", 5)
        if len(soundings) >= 8:  # a time nobody can read: the row is skipped, its entries lose their link
            soundings[6]["recorded_at"] = "07/02/2022 8am"
            self.expected.mark("skipped", "weekly_soundings", 7)
            for entry_id in (13, 14):
                self.expected.mark("flagged", "orb_entries", entry_id)
        extra = dict(soundings[5], id=len(soundings) + 1)  # a second sounding on a day: ad-hoc, flagged
        extra["recorded_at"] = soundings[5]["recorded_at"].replace("08:00:00", "15:30:00")
        soundings.append(extra)
        self.expected.mark("flagged", "weekly_soundings", extra["id"])

    def _awkward_entries(self, rows):
        n = len(rows)
        rows.append({"id": n + 1, "entry_date": rows[0]["entry_date"] + " 00:00:00", "code": "I",
                     "entry_text": "Bilge alarm tested, in order.", "sounding_id": None,
                     "created_at": None})  # fmt: skip
        self.expected.mark("flagged", "orb_entries", n + 1)  # no created_at
        rows.append({"id": n + 2, "entry_date": rows[0]["entry_date"], "code": "", "entry_text": "no code",
                     "sounding_id": None, "created_at": rows[0]["created_at"]})  # fmt: skip
        self.expected.mark("skipped", "orb_entries", n + 2)
        for row in rows:
            if row["code"] == "I" and row["entry_text"].startswith("34.") and row["id"] not in (n + 1, n + 2):
                pass  # Part II numbers: imported verbatim, named in the report's notes (not flagged)
        if len(rows) > 8:  # entries of the soundings whose tank was refused or not sounded lose their link
            for row in rows:
                if row["sounding_id"] in (3, 4) and row["code"] == "I":
                    self.expected.mark("flagged", "orb_entries", row["id"])

    def pairs_and_tickets(self, days):
        switch = self.start + timedelta(days=days // 2)
        self.insert("service_tank_config", [
            {"id": 1, "tank_pair": "13", "activated_at": f"{self.start - timedelta(days=1)} 06:00:00",
             "deactivated_at": f"{switch}T06:00:00", "notes": None, "created_at": f"{self.start} 06:00:00"},
            {"id": 2, "tank_pair": "14", "activated_at": f"{switch}T06:00:00", "deactivated_at": None,
             "notes": "", "created_at": f"{switch} 06:00:00"},
        ])  # fmt: skip
        tickets, meter = [], 12000.0
        for n in range(days):
            day = self.start + timedelta(days=n)
            burned = 150 + (n * 37) % 100 + 0.1 * (n % 10)
            end = meter + burned
            tickets.append({"id": n + 1, "ticket_date": day.isoformat(), "meter_start": meter + 0.0000001,
                            "meter_end": end - 0.0000001, "consumption_gallons": burned,
                            "service_tank_pair": "13" if day < switch else "14", "engineer_name": "A. Jones",
                            "notes": None if n % 2 else "",
                            "created_at": _stamp(datetime(day.year, day.month, day.day, 20), n)})  # fmt: skip
            meter = end
        if self.awkward and days >= 10:
            self._awkward_tickets(tickets)
        self.insert("daily_fuel_tickets", tickets)

    def _awkward_tickets(self, tickets):
        tickets[3].update(meter_end=tickets[3]["meter_start"] - 50)  # end below start: refused, skipped
        self.expected.mark("skipped", "daily_fuel_tickets", 4)
        self.expected.mark("flagged", "daily_fuel_tickets", 5)  # its start is not the (skipped) previous end
        if len(tickets) >= 14:  # a reading nobody can read: skipped; the next start is not its predecessor's end
            tickets[11].update(meter_start="n/a")
            self.expected.mark("skipped", "daily_fuel_tickets", 12)
            self.expected.mark("flagged", "daily_fuel_tickets", 13)
        tickets[6].update(service_tank_pair="#13 P/S", consumption_gallons=tickets[6]["consumption_gallons"] + 5)
        self.expected.mark("flagged", "daily_fuel_tickets", 7)  # old consumption differs from end - start
        extra = dict(tickets[8], id=len(tickets) + 1, meter_start=tickets[8]["meter_end"],
                     meter_end=tickets[8]["meter_end"] + 10, consumption_gallons=10)  # fmt: skip
        tickets.append(extra)  # a second ticket on a day
        self.expected.mark("flagged", "daily_fuel_tickets", extra["id"])
        self.expected.mark("flagged", "daily_fuel_tickets", 10)  # its start is not the second ticket's end

    def hitches(self):
        day = self.start + timedelta(days=3)
        common = {"vessel": "Arrowhead", "location": "Fourchon", "charter": None, "draft_forward_feet": 9,
                  "draft_forward_inches": 6, "draft_aft_feet": 11, "draft_aft_inches": 0.0, "fuel_on_log": 20500.0,
                  "correction": -12.5, "lube_oil_15p": 310.0, "gear_oil_15s": 120.0, "lube_oil_16p": 298.9999999,
                  "hyd_oil_16s": 75.0, "oily_bilge_17p_feet": 1, "oily_bilge_17p_inches": 6,
                  "oily_bilge_17p_gallons": 619.0, "dirty_oil_17s_feet": 0, "dirty_oil_17s_inches": 4,
                  "dirty_oil_17s_gallons": 45.0, "engineer_name": "A. Jones", "end_date": None}  # fmt: skip
        self.insert("hitch_records", [
            {**common, "id": 1, "date": day.isoformat(), "total_fuel_gallons": 20487.5, "is_start": 1,
             "created_at": f"{day}T07:00:00"},
            {**common, "id": 2, "date": (day + timedelta(days=14)).isoformat(), "total_fuel_gallons": 15000.0,
             "is_start": 0, "end_date": (day + timedelta(days=14)).isoformat(), "created_at": None},
        ])  # fmt: skip
        self.expected.mark("flagged", "hitch_records", 2)  # its total is not the sum of its soundings
        rows, n = [], 0
        for hitch in (1, 2):
            for tank in ("7", "9", "11", "13", "14"):
                for side in ("port", "stbd"):
                    n += 1
                    rows.append({"id": n, "hitch_id": hitch, "tank_number": tank, "side": side, "is_day_tank": 0,
                                 "sounding_feet": 5, "sounding_inches": 3,
                                 "water_present": "None" if n % 3 else "Trace",
                                 "gallons": 2048.75})  # fmt: skip
        rows[-1]["water_present"] = ""
        self.expected.mark("flagged", "fuel_tank_soundings", rows[-1]["id"])
        rows.append({"id": n + 1, "hitch_id": 99, "tank_number": "18", "side": "port", "is_day_tank": 1,
                     "sounding_feet": 2, "sounding_inches": 0, "water_present": "None", "gallons": 300.0})  # fmt: skip
        self.expected.mark("skipped", "fuel_tank_soundings", n + 1)  # its hitch does not exist
        self.insert("fuel_tank_soundings", rows)
        self.insert("oil_levels", [
            {"id": i, "recorded_at": f"{day}T07:0{i}:00", "tank_15p_lube": 310.0, "tank_15s_gear": 120.0,
             "tank_16p_lube": 299.0, "tank_16s_hyd": 75.0, "source": src, "engineer_name": "A. Jones",
             "created_at": None} for i, src in enumerate(("hitch_start", "fuel_ticket", "manual"), start=1)
        ])  # fmt: skip
        for i in (1, 2, 3):
            self.expected.mark("skipped", "oil_levels", i)
        self.insert("status_events", [
            {"id": 1, "event_type": "sewage_pump", "event_date": f"{day} 10:00:00", "notes": "", "engineer_name": "A"},
            {"id": 2, "event_type": "potable_water_load", "event_date": f"{day}T11:00:00", "notes": None,
             "engineer_name": "B"},
        ])  # fmt: skip
        self.insert("equipment_status", [
            {"id": i, "equipment_id": e, "status": "online", "note": "", "updated_at": f"{day} 09:00:00",
             "updated_by": "A"} for i, e in enumerate(("PME", "SSDG1", "T2"), start=1)
        ])  # fmt: skip
        for table, ids in (("status_events", (1, 2)), ("equipment_status", (1, 2, 3))):
            for i in ids:
                self.expected.mark("skipped", table, i)


def write(path, *, age="latest", weeks=12, days=30, awkward=True, start=date(2022, 1, 3)):
    """Write the old file at ``path``; returns the Expected of what is in it."""
    conn = sqlite3.connect(path)
    try:
        for table in AGES[age]:
            conn.execute(SCHEMA[table])
        conn.execute("INSERT INTO alembic_version VALUES (?)", (REVISIONS[age],))
        writer = Writer(conn, awkward=awkward, start=start)
        writer.soundings_and_entries(weeks)
        if "daily_fuel_tickets" in AGES[age]:
            writer.pairs_and_tickets(days)
        if "hitch_records" in AGES[age]:
            writer.hitches()
        conn.commit()
    finally:
        conn.close()
    return writer.expected


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--age", choices=AGES, default="latest")
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--plain", action="store_true", help="no awkward values")
    args = parser.parse_args()
    expected = write(args.out, age=args.age, weeks=args.weeks, days=args.days, awkward=not args.plain)
    print(json.dumps(expected.rows))


if __name__ == "__main__":
    main()
