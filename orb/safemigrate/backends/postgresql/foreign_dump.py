"""What a pg_dump archive that safe_migrate did not write may hold before ``--restore PATH
--foreign`` restores it (see ``ClientToolsMixin.foreign_backup_problems``): its table of
contents, the schema SQL pg_restore would send, and the lines of its data section."""

import re

# --- what a foreign dump may hold (see ClientToolsMixin.foreign_backup_problems) -------------
FOREIGN_ALLOWED_ENTRIES = {
    "TABLE",
    "TABLE DATA",
    "SEQUENCE",
    "SEQUENCE SET",
    "SEQUENCE OWNED BY",
    "INDEX",
    "CONSTRAINT",
    "CHECK CONSTRAINT",
    "FK CONSTRAINT",
    "COMMENT",
    "DEFAULT",
    "ENCODING",
    "STDSTRINGS",
    "SEARCHPATH",
    "DATABASE",  # header entries: settings, not objects
}
# Every entry type pg_dump writes (so "TABLE ATTACH public x" is not read as a TABLE named ATTACH).
KNOWN_ENTRIES = FOREIGN_ALLOWED_ENTRIES | {
    "ACCESS METHOD",
    "ACL",
    "AGGREGATE",
    "BLOB",
    "BLOB METADATA",
    "BLOBS",
    "CAST",
    "COLLATION",
    "CONVERSION",
    "DATABASE PROPERTIES",
    "DEFAULT ACL",
    "DOMAIN",
    "EVENT TRIGGER",
    "EXTENSION",
    "FOREIGN DATA WRAPPER",
    "FOREIGN SERVER",
    "FOREIGN TABLE",
    "FUNCTION",
    "INDEX ATTACH",
    "LARGE OBJECT",
    "MATERIALIZED VIEW",
    "MATERIALIZED VIEW DATA",
    "OPERATOR",
    "OPERATOR CLASS",
    "OPERATOR FAMILY",
    "POLICY",
    "PROCEDURE",
    "PROCEDURAL LANGUAGE",
    "LANGUAGE",
    "PUBLICATION",
    "PUBLICATION TABLE",
    "PUBLICATION TABLES IN SCHEMA",
    "ROW SECURITY",
    "RULE",
    "SCHEMA",
    "SECURITY LABEL",
    "SERVER",
    "SHELL TYPE",
    "STATISTICS",
    "STATISTICS DATA",
    "SUBSCRIPTION",
    "SUBSCRIPTION TABLE",
    "TABLE ATTACH",
    "TEXT SEARCH CONFIGURATION",
    "TEXT SEARCH DICTIONARY",
    "TEXT SEARCH PARSER",
    "TEXT SEARCH TEMPLATE",
    "TRANSFORM",
    "TRIGGER",
    "TYPE",
    "USER MAPPING",
    "VIEW",
}
_TOC_RE = re.compile(r"(?P<id>\d+); (?P<catalog>\d+) (?P<oid>\d+) (?P<rest>.*)")
# pg_catalog functions that read nothing outside the row and change nothing: the only ones a
# foreign dump's defaults, CHECKs, generated columns and index expressions may call.
HARMLESS_FUNCTIONS = {
    "nextval",
    "currval",
    "now",
    "statement_timestamp",
    "transaction_timestamp",
    "clock_timestamp",
    "gen_random_uuid",
    "lower",
    "upper",
    "initcap",
    "length",
    "char_length",
    "character_length",
    "octet_length",
    "bit_length",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "abs",
    "round",
    "trunc",
    "floor",
    "ceil",
    "ceiling",
    "sign",
    "mod",
    "btrim",
    "ltrim",
    "rtrim",
    "trim",
    "substring",
    "substr",
    "left",
    "right",
    "strpos",
    "position",
    "replace",
    "translate",
    "lpad",
    "rpad",
    "md5",
    "concat",
    "concat_ws",
    "starts_with",
    "split_part",
    "date_trunc",
    "date_part",
    "extract",
    "timezone",
    "to_char",
    "to_date",
    "to_timestamp",
    "to_number",
    "make_date",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "make_interval",
    "age",
    "isfinite",
    "array_length",
    "array_lower",
    "array_upper",
    "cardinality",
    "array_position",
    "jsonb_typeof",
    "json_typeof",
    "jsonb_array_length",
    "num_nulls",
    "num_nonnulls",
    "cast",
    "regexp_replace",
    "regexp_match",
}
# Words followed by "(" that are syntax or type modifiers, not function calls.
SYNTAX_BEFORE_PAREN = {
    "check",
    "key",
    "unique",
    "identity",
    "as",
    "exclude",
    "include",
    "using",
    "where",
    "and",
    "or",
    "not",
    "in",
    "any",
    "all",
    "some",
    "array",
    "values",
    "with",
    "when",
    "then",
    "else",
    "default",
    "by",
    "is",
    "between",
    "like",
    "ilike",
    "similar",
    "distinct",
    "on",
    "nulls",
    "btree",
    "hash",
    "gist",
    "gin",
    "brin",
    "spgist",
    "varying",
    "character",
    "char",
    "varchar",
    "numeric",
    "decimal",
    "timestamp",
    "time",
    "interval",
    "bit",
    "float",
    "row",
}
# Statements pg_dump writes for the allowed entries (literals already reduced to '').
_N = r'(?:[^\W\d]\w*|"\w*")'
_Q = rf"{_N}(?:\.{_N})*"
_STATEMENT_SHAPES = [
    re.compile(pattern, re.I | re.S)
    for pattern in (
        rf"CREATE TABLE {_Q} \(.*\)",
        rf"ALTER TABLE (?:ONLY )?{_Q} OWNER TO {_N}",
        rf"ALTER TABLE (?:ONLY )?{_Q} ALTER COLUMN {_N} ADD GENERATED (?:ALWAYS|BY DEFAULT) AS IDENTITY \(.*\)",
        rf"ALTER TABLE (?:ONLY )?{_Q} ALTER COLUMN {_N} SET DEFAULT .+",
        rf"ALTER TABLE (?:ONLY )?{_Q} ADD CONSTRAINT {_N} (?:PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY|EXCLUDE)\b.*",
        rf"CREATE SEQUENCE {_Q}(?: .*)?",
        rf"ALTER SEQUENCE {_Q} OWNED BY {_Q}",
        rf"CREATE (?:UNIQUE )?INDEX {_N} ON (?:ONLY )?{_Q} USING {_N} \(.*",
        rf"COMMENT ON (?:TABLE|COLUMN|INDEX|SEQUENCE|CONSTRAINT {_N} ON|SCHEMA) {_Q} IS (?:''|NULL)",
        r"CREATE SCHEMA public",
        rf"ALTER SCHEMA public OWNER TO {_N}",
        rf"(?:GRANT|REVOKE) [\w, ]+ ON SCHEMA public (?:TO|FROM) {_N}(?:, {_N})*",
    )
]
_HEADER_SETTINGS = {
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "transaction_timeout",
    "client_encoding",
    "check_function_bodies",
    "xmloption",
    "client_min_messages",
    "row_security",
    "default_tablespace",
    "default_table_access_method",
    "search_path",
    "default_with_oids",
}
_SET_RE = re.compile(rf"SET (?P<name>\w+) = (?P<value>''|'[\w-]*'|\w+|{_N})", re.I)
_SET_CONFIG_RE = re.compile(r"SELECT pg_catalog\.set_config\('search_path', '[\w, \"]*', false\)")
_SETVAL_RE = re.compile(r"SELECT pg_catalog\.setval\('(?:[^']|'')*', \d+, (?:true|false)\);")
_COPY_RE = re.compile(rf"COPY {_Q} \((?:{_N}(?:, {_N})*)?\) FROM stdin;")
_PSQL_GUARD_RE = re.compile(r"\\(?:un)?restrict \w+")  # psql-only lines pg_restore -f writes around the SQL
_TOKEN_RE = re.compile(
    r"""
    (?P<estring>(?<![\w$])[Ee]'(?:[^'\\]|\\.|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<comment>--[^\n]*)
  | (?P<block>/\*)
  | (?P<dollar>(?<![\w$])\$(?:[^\W\d]\w*)?\$)
  | (?P<semi>;)
  | (?P<word>[^\W\d][\w$]*)
  | (?P<space>\s+)
  | (?P<other>.)
""",
    re.X | re.S,
)
_CALL_RE = re.compile(rf"(?P<name>{_Q})\s*\(")


def excerpt(text, limit=80):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def toc_problems(listing):
    problems = []
    for line in listing.splitlines():
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        found = _TOC_RE.fullmatch(line)
        if not found:
            problems.append(f"pg_restore --list shows a line safe_migrate cannot read: {excerpt(line)!r}.")
            continue
        rest = found.group("rest")
        desc = next(
            (d for d in sorted(KNOWN_ENTRIES, key=len, reverse=True) if rest == d or rest.startswith(d + " ")), None
        )
        what = rest.rsplit(" ", 1)[0] if " " in rest else rest  # without the owner
        words = rest[len(desc) :].split() if desc else []
        schema_public = words[:2] == ["-", "public"] or words[1:3] == ["SCHEMA", "public"]
        if desc in FOREIGN_ALLOWED_ENTRIES or (desc in ("SCHEMA", "ACL") and schema_public):
            continue
        problems.append(
            f"The dump holds {what} (TOC entry {found.group('id')}), and a foreign dump may hold "
            "only tables, sequences, indexes, constraints, comments, column defaults and their data."
        )
    return problems


def _statements(text):
    """(code, raw, problems): each statement with literals reduced to '' and quoted names to "x"-ish
    tokens (code) and as written (raw), cut at the semicolons the server would cut at."""
    text = "\n".join(line for line in text.splitlines() if not _PSQL_GUARD_RE.fullmatch(line.strip()))
    statements, problems = [], []
    code, raw = [], []
    for token in _TOKEN_RE.finditer(text):
        kind, value = token.lastgroup, token.group()
        if kind in ("string", "estring"):
            code.append("''")
        elif kind == "quoted":
            code.append('"' + re.sub(r"\W", "_", value[1:-1]) + '"')
        elif kind in ("comment", "space"):
            code.append(" ")
            value = " " if kind == "comment" else value
        elif kind == "block":
            problems.append(
                "The dump's SQL holds a /* block comment */, which pg_dump does not write for "
                "tables, sequences, indexes or constraints."
            )
            code.append(" ")
        elif kind == "dollar":
            problems.append(
                "The dump's SQL holds dollar-quoted text ($$...$$), which only function bodies "
                "and other refused objects use."
            )
            code.append(" ")
        elif kind == "semi":
            statements.append((" ".join("".join(code).split()), "".join(raw).strip()))
            code, raw = [], []
            continue
        else:
            code.append(value)
        raw.append(value)
    if "".join(code).strip():
        statements.append((" ".join("".join(code).split()), "".join(raw).strip()))
    return statements, problems


def header_ok(raw):
    found = _SET_RE.fullmatch(raw)
    if found:
        name, value = found.group("name").lower(), found.group("value").lower()
        if name == "standard_conforming_strings":
            return value == "on"
        return name in _HEADER_SETTINGS
    return bool(_SET_CONFIG_RE.fullmatch(raw))


def sql_problems(text):
    """Problems of the schema SQL pg_restore would run (see foreign_backup_problems)."""
    statements, problems = _statements(text)
    for code, raw in statements:
        if header_ok(raw):
            continue
        bare = re.sub(r'"\w*"', '""', code)  # words outside quoted names
        if re.search(r"\bPROGRAM\b", bare, re.I):
            problems.append(f"The dump's SQL mentions PROGRAM (a shell command): {excerpt(raw)!r}.")
            continue
        if re.search(r"\b(?:SELECT|VALUES)\b", bare, re.I):
            problems.append(
                f"The dump's SQL runs a query inside a definition, which pg_dump does not write for "
                f"tables, sequences, indexes, constraints or comments: {excerpt(raw)!r}."
            )
            continue
        if not any(shape.fullmatch(code) for shape in _STATEMENT_SHAPES):
            problems.append(
                f"The dump's SQL holds a statement pg_dump does not write for tables, sequences, "
                f"indexes, constraints or comments: {excerpt(raw)!r}."
            )
            continue
        for call in _CALL_RE.finditer(code):
            name = call.group("name")
            parts = [part.strip('"').lower() for part in name.split(".")]
            before = code[: call.start()].split()
            previous = before[-1].upper() if before else ""
            if previous in ("TABLE", "REFERENCES", "ONLY", "ON", "INDEX", "SEQUENCE"):
                continue  # a table or index name followed by its column list
            if len(parts) == 1 and parts[0] in SYNTAX_BEFORE_PAREN:
                continue
            schema_ok = len(parts) == 1 or (len(parts) == 2 and parts[0] == "pg_catalog")
            if schema_ok and parts[-1] in HARMLESS_FUNCTIONS and '"' not in name:
                continue
            problems.append(
                f"The dump's SQL calls the function {name}(), which is not one of the harmless "
                f"built-in functions a foreign dump may use: {excerpt(raw)!r}."
            )
    return problems


def data_line_problem(line):
    """A sentence when ``line`` (outside the rows of a COPY) is not one pg_dump writes in a data
    section: only ``COPY ... FROM stdin`` and ``setval``; None when it is fine."""
    if _SETVAL_RE.fullmatch(line) or header_ok(line.rstrip(";")):
        return None
    return (
        f"The dump's data section holds {excerpt(line)!r} where only COPY ... FROM "
        "stdin and setval belong (a dump made with --inserts, or a crafted one); make "
        "the backup with `pg_dump -Fc` without --inserts."
    )
