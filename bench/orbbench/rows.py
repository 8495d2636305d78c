"""The generated rows: the same on both engines, written in SQLite's and PostgreSQL's SQL.

Row n of N is dated (n * days / N) days after the first day; its meter readings, engineer and
note follow from n, so both engines (and every re-run) hold the same rows.
"""

NAME = (
    "CASE {n} % 4 WHEN 0 THEN 'A. Engineer' WHEN 1 THEN 'B. Oiler, 3rd Engineer' "
    "WHEN 2 THEN 'C. Watchkeeper' ELSE 'D. Chief Engineer' END"
)
NOTE = "CASE WHEN {n} % 10 = 0 THEN 'Purifier cleaned; meter reading checked against the day tank.' ELSE '' END"
COLUMNS = (
    "ticket_date, meter_start, meter_end, consumption_gallons, engineer_name, notes, created_at, "
    "service_tank_pair_id, created_by_id"
)

DIALECTS = {
    "sqlite": {
        "wide": "({n})",
        "day": "date('{first}', '+' || ({wide} * {days} / {total} % {days}) || ' days')",
        "created": "{day} || ' 18:00:00'",
        "numbers": "WITH RECURSIVE seq(n) AS (SELECT {start} UNION ALL SELECT n + 1 FROM seq WHERE n < {last}) ",
        "source": "seq",
        "false": "0",
    },
    "postgresql": {
        "wide": "({n})::bigint",
        "day": "(DATE '{first}' + ({wide} * {days} / {total} % {days})::int)",
        "created": "({day} + TIME '18:00')::timestamptz",
        "numbers": "",
        "source": "generate_series({start}, {last}) AS n",
        "false": "false",
    },
}


def select(dialect, n, *, total, days, first, pair, user):
    """The SELECT list of row ``n`` (an SQL expression) of ``total`` rows, in ``dialect``."""
    sql = DIALECTS[dialect]
    wide = sql["wide"].format(n=n)
    day = sql["day"].format(wide=wide, first=first, days=days, total=total)
    start = f"(({wide} * 7919 % 9000000) / 10.0)"
    use = f"(300 + ({n}) % 50 + (({n}) % 10) / 10.0)"
    return (
        f"{day}, {start}, {start} + {use}, {use}, {NAME.format(n=n)}, {NOTE.format(n=n)}, "
        f"{sql['created'].format(day=day)}, {pair}, {user}"
    )


# Columns the fuel-ticket table gained after the scenario table was shaped on it (fueltickets 0004):
# NOT NULL without a database default, so the generated rows name them (no meter was reset).
TICKET_EXTRA = ("meter_reset, meter_reset_reason", "{false}, ''")


def insert(dialect, table, start, stop, *, ticket_extra=False, **fill):
    """``INSERT … SELECT`` of rows ``start`` to ``stop - 1`` into ``table``, in ``dialect``
    (``ticket_extra``: also the fuel-ticket table's later columns, see TICKET_EXTRA)."""
    sql = DIALECTS[dialect]
    numbers = sql["numbers"].format(start=start, last=stop - 1)
    source = sql["source"].format(start=start, last=stop - 1)
    columns, values = COLUMNS, select(dialect, "n", **fill)
    if ticket_extra:
        columns += ", " + TICKET_EXTRA[0]
        values += ", " + TICKET_EXTRA[1].format(false=sql["false"])
    return f"{numbers}INSERT INTO {table} ({columns}) SELECT {values} FROM {source}"
