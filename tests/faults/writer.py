"""A concurrent writer for the fault tests: inserts tickets in a loop until told to stop.

    python tests/faults/writer.py DB STOP_FILE

Each insert is its own ``BEGIN IMMEDIATE ... COMMIT`` on a connection with a busy timeout;
every few inserts the connection is closed and a new one opened.  The marker of an insert
is printed (and flushed) only after its COMMIT returned, with the time the COMMIT returned
(``MARKER EPOCH_SECONDS``), so the printed markers are exactly the writes the database
promised to keep, and when.  An insert that fails (locked, busy) is retried
under a new marker and never printed.
"""

import contextlib
import os
import sqlite3
import sys
import time


def main(db, stop_file):
    number = 0
    failures = 0
    while not os.path.exists(stop_file):
        conn = sqlite3.connect(db, timeout=120, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 120000")
            for _ in range(5):
                number += 1
                marker = f"writer-{os.getpid()}-{number}"
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute(
                        "INSERT INTO scenario_ticket (ticket_date, consumption_gallons, engineer_name, notes) "
                        "VALUES ('2025-01-01', '1.5', ?, 'written during a migration')",
                        (marker,),
                    )
                    conn.execute(
                        "INSERT INTO scenario_reading (name, value, note) VALUES (?, ?, NULL)", (marker, number)
                    )
                    conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    failures += 1
                    print(f"failed {marker}: {exc}", file=sys.stderr, flush=True)
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                    time.sleep(0.05)
                    continue
                print(marker, f"{time.time():.6f}", flush=True)
                time.sleep(0.005)
        finally:
            conn.close()
    print(f"stopped after {number} attempts, {failures} failed", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
