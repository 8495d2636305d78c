"""PostgreSQL: fleet and shore deployments.

- Backups are ``pg_dump -Fc`` files ``<dbname>.backup-YYYYMMDD_HHMMSS.dump`` (verified by
  ``pg_restore --list`` and their sha256); a ``pg_dump`` older than the server is refused.
- The plan runs on the live database in one transaction (transactional DDL).
- A rehearsal restores a fresh dump into a scratch database ``<dbname>_orb_rehearsal_<pid>``
  (``pg_dump | pg_restore``, so other sessions may stay connected) and drops it afterwards.
- A restore goes into a new database ``<dbname>_orb_restore_<pid>``; only when
  ``pg_restore`` succeeded are the names swapped, in one transaction, with other sessions
  terminated and kept out (``ALLOW_CONNECTIONS false``).  A failure leaves the old database.
- Scratch names are budgeted in bytes: PostgreSQL keeps the first 63 bytes of a name, so a
  name cut in characters could come out as the live database's own name.  When
  ``<dbname>_orb_<kind>_<pid>`` does not fit, ``<dbname cut at a character>_<hash>`` is the
  stem.  A database name over 63 bytes is refused.  Every scratch database carries a
  ``COMMENT ON DATABASE`` mark (``orb safe_migrate scratch: {json}``) naming the live database,
  the kind and the run's pid; only marked databases are ever dropped, never by name alone,
  and never the live database (checked before every DROP and RENAME).
- pg_dump and pg_restore get the database as a conninfo (``--dbname=dbname=...``, quoted as
  libpq wants), so a name like ``a=b`` or ``-x`` is a name, not a connection string or an option.
- The run lock is a session-level advisory lock held by a dedicated connection to the
  ``postgres`` maintenance database, so the server frees it when the run dies, even by
  SIGKILL.  A second advisory key is held while maintenance is on; the web app asks
  ``advisory_lock_held`` (one query on ``pg_locks``) on every request.  The lock file in the
  state directory only says who holds the lock.
"""
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import zlib
from contextlib import contextmanager

import psycopg
from django.conf import settings
from psycopg import sql
from psycopg.conninfo import make_conninfo

from ..errors import MigrationFailed, Refused
from ..journal import now_iso
from ..lock import Holder, read_holder
from .base import Backend
from .sqlite import pid_alive

RUN_NAMESPACE = 0x4F524201  # "ORB" 1: one safe_migrate run at a time
MAINTENANCE_NAMESPACE = 0x4F524202  # "ORB" 2: held while the web app must answer 503
ADMIN_DATABASES = ("postgres", "template1")
CONNECT_TIMEOUT_S = 10
DISCONNECT_WAIT_S = 10
LOCK_WAIT_MS = 60000  # pg_dump waits this long for a table lock, then fails instead of hanging
DJANGO_OPTIONS = {"isolation_level", "server_side_binding", "pool", "assume_role", "cursor_factory",
                  "prepare_threshold", "context"}
APP_NAME_RE = re.compile(r"safe_migrate (?P<mode>\S+) pid=(?P<pid>\d+) host=(?P<host>\S*)")
NAME_BYTES = 63  # PostgreSQL keeps the first NAMEDATALEN - 1 bytes of an identifier
SCRATCH_KINDS = {"rehearsal": "a rehearsal database", "restore": "a half-restored database",
                 "old": "a database replaced by a restore"}
SCRATCH_MARK = "orb safe_migrate scratch: "  # + JSON; the COMMENT ON DATABASE of every scratch database


def _clip_bytes(text, limit):
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    return text.encode()[:limit].decode("utf-8", errors="ignore")


def _server_name(name):
    """The name as the server stores it (identifiers are cut at 63 bytes)."""
    return _clip_bytes(name, NAME_BYTES)


def _conninfo(dbname):
    """``--dbname=...`` for pg_dump/pg_restore: the name as a quoted conninfo value, so a name
    holding ``=`` or starting with ``-`` is never read as a connection string or an option."""
    return f"--dbname={make_conninfo(dbname=dbname)}"


def lock_key(dbname):
    """The second half of the advisory keys of ``dbname`` (a positive int4)."""
    return zlib.crc32(str(dbname).encode()) & 0x7FFFFFFF


def _held_sql(namespace, dbname):
    return (
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
        f"AND classid = {int(namespace)}::oid AND objid = {lock_key(dbname)}::oid AND objsubid = 2)"
    )


def advisory_lock_held(connection):
    """True while a safe_migrate run holds the maintenance flag of ``connection``'s database.

    One query on ``pg_locks`` (the web app asks it per request).  While a restore swaps the
    database, connecting to it can fail; the question is then asked through the maintenance
    database, and when the server cannot answer at all the request proceeds (and fails as
    it would without maintenance).
    """
    dbname = connection.settings_dict["NAME"]
    query = _held_sql(MAINTENANCE_NAMESPACE, dbname)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return bool(cursor.fetchone()[0])
    except Exception:
        connection.close()
    try:
        with psycopg.connect(**_admin_params(connection.settings_dict, ADMIN_DATABASES[0])) as conn:
            return bool(conn.execute(query).fetchone()[0])
    except Exception:
        return False


def _libpq_params(settings_dict):
    params = {k: v for k, v in (settings_dict.get("OPTIONS") or {}).items() if k not in DJANGO_OPTIONS}
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
        if settings_dict.get(key):
            params[name] = str(settings_dict[key])
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    return params


def _admin_params(settings_dict, dbname):
    params = _libpq_params(settings_dict)
    params.pop("options", None)  # the app's search_path etc. are not for the maintenance database
    params.update(dbname=dbname, autocommit=True, application_name="orb safe_migrate")
    return params


def _first_line(text):
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0] if lines else "no output"


def _ident(name):
    return sql.Identifier(name)


# --- what a foreign dump may hold (see PostgreSQLBackend.foreign_backup_problems) -------------
FOREIGN_ALLOWED_ENTRIES = {
    "TABLE", "TABLE DATA", "SEQUENCE", "SEQUENCE SET", "SEQUENCE OWNED BY", "INDEX", "CONSTRAINT",
    "CHECK CONSTRAINT", "FK CONSTRAINT", "COMMENT", "DEFAULT",
    "ENCODING", "STDSTRINGS", "SEARCHPATH", "DATABASE",  # header entries: settings, not objects
}
# Every entry type pg_dump writes (so "TABLE ATTACH public x" is not read as a TABLE named ATTACH).
KNOWN_ENTRIES = FOREIGN_ALLOWED_ENTRIES | {
    "ACCESS METHOD", "ACL", "AGGREGATE", "BLOB", "BLOB METADATA", "BLOBS", "CAST", "COLLATION", "CONVERSION",
    "DATABASE PROPERTIES", "DEFAULT ACL", "DOMAIN", "EVENT TRIGGER", "EXTENSION", "FOREIGN DATA WRAPPER",
    "FOREIGN SERVER", "FOREIGN TABLE", "FUNCTION", "INDEX ATTACH", "LARGE OBJECT", "MATERIALIZED VIEW",
    "MATERIALIZED VIEW DATA", "OPERATOR", "OPERATOR CLASS", "OPERATOR FAMILY", "POLICY", "PROCEDURE",
    "PROCEDURAL LANGUAGE", "LANGUAGE", "PUBLICATION", "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA",
    "ROW SECURITY", "RULE", "SCHEMA", "SECURITY LABEL", "SERVER", "SHELL TYPE", "STATISTICS",
    "STATISTICS DATA", "SUBSCRIPTION", "SUBSCRIPTION TABLE", "TABLE ATTACH", "TEXT SEARCH CONFIGURATION",
    "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER", "TEXT SEARCH TEMPLATE", "TRANSFORM", "TRIGGER", "TYPE",
    "USER MAPPING", "VIEW",
}
_TOC_RE = re.compile(r"(?P<id>\d+); (?P<catalog>\d+) (?P<oid>\d+) (?P<rest>.*)")
# pg_catalog functions that read nothing outside the row and change nothing: the only ones a
# foreign dump's defaults, CHECKs, generated columns and index expressions may call.
HARMLESS_FUNCTIONS = {
    "nextval", "currval", "now", "statement_timestamp", "transaction_timestamp", "clock_timestamp",
    "gen_random_uuid", "lower", "upper", "initcap", "length", "char_length", "character_length",
    "octet_length", "bit_length", "coalesce", "nullif", "greatest", "least", "abs", "round", "trunc", "floor",
    "ceil", "ceiling", "sign", "mod", "btrim", "ltrim", "rtrim", "trim", "substring", "substr", "left", "right",
    "strpos", "position", "replace", "translate", "lpad", "rpad", "md5", "concat", "concat_ws", "starts_with",
    "split_part", "date_trunc", "date_part", "extract", "timezone", "to_char", "to_date", "to_timestamp",
    "to_number", "make_date", "make_time", "make_timestamp", "make_timestamptz", "make_interval", "age",
    "isfinite", "array_length", "array_lower", "array_upper", "cardinality", "array_position", "jsonb_typeof",
    "json_typeof", "jsonb_array_length", "num_nulls", "num_nonnulls", "cast", "regexp_replace", "regexp_match",
}
# Words followed by "(" that are syntax or type modifiers, not function calls.
SYNTAX_BEFORE_PAREN = {
    "check", "key", "unique", "identity", "as", "exclude", "include", "using", "where", "and", "or", "not",
    "in", "any", "all", "some", "array", "values", "with", "when", "then", "else", "default", "by", "is",
    "between", "like", "ilike", "similar", "distinct", "on", "nulls", "btree", "hash", "gist", "gin", "brin",
    "spgist", "varying", "character", "char", "varchar", "numeric", "decimal", "timestamp", "time", "interval",
    "bit", "float", "row",
}
# Statements pg_dump writes for the allowed entries (literals already reduced to '').
_N = r'(?:[^\W\d]\w*|"\w*")'
_Q = rf"{_N}(?:\.{_N})*"
_STATEMENT_SHAPES = [re.compile(pattern, re.I | re.S) for pattern in (
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
)]
_HEADER_SETTINGS = {"statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout",
                    "transaction_timeout", "client_encoding", "check_function_bodies", "xmloption",
                    "client_min_messages", "row_security", "default_tablespace", "default_table_access_method",
                    "search_path", "default_with_oids"}
_SET_RE = re.compile(rf"SET (?P<name>\w+) = (?P<value>''|'[\w-]*'|\w+|{_N})", re.I)
_SET_CONFIG_RE = re.compile(r"SELECT pg_catalog\.set_config\('search_path', '[\w, \"]*', false\)")
_SETVAL_RE = re.compile(r"SELECT pg_catalog\.setval\('(?:[^']|'')*', \d+, (?:true|false)\);")
_COPY_RE = re.compile(rf"COPY {_Q} \((?:{_N}(?:, {_N})*)?\) FROM stdin;")
_PSQL_GUARD_RE = re.compile(r"\\(?:un)?restrict \w+")  # psql-only lines pg_restore -f writes around the SQL
_TOKEN_RE = re.compile(r"""
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
""", re.X | re.S)
_CALL_RE = re.compile(rf"(?P<name>{_Q})\s*\(")


def _excerpt(text, limit=80):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _toc_problems(listing):
    problems = []
    for line in listing.splitlines():
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        found = _TOC_RE.fullmatch(line)
        if not found:
            problems.append(f"pg_restore --list shows a line safe_migrate cannot read: {_excerpt(line)!r}.")
            continue
        rest = found.group("rest")
        desc = next((d for d in sorted(KNOWN_ENTRIES, key=len, reverse=True)
                     if rest == d or rest.startswith(d + " ")), None)
        what = rest.rsplit(" ", 1)[0] if " " in rest else rest  # without the owner
        words = rest[len(desc):].split() if desc else []
        schema_public = words[:2] == ["-", "public"] or words[1:3] == ["SCHEMA", "public"]
        if desc in FOREIGN_ALLOWED_ENTRIES or (desc in ("SCHEMA", "ACL") and schema_public):
            continue
        problems.append(f"The dump holds {what} (TOC entry {found.group('id')}), and a foreign dump may hold "
                        "only tables, sequences, indexes, constraints, comments, column defaults and their data.")
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
            problems.append("The dump's SQL holds a /* block comment */, which pg_dump does not write for "
                            "tables, sequences, indexes or constraints.")
            code.append(" ")
        elif kind == "dollar":
            problems.append("The dump's SQL holds dollar-quoted text ($$...$$), which only function bodies "
                            "and other refused objects use.")
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


def _header_ok(raw):
    found = _SET_RE.fullmatch(raw)
    if found:
        name, value = found.group("name").lower(), found.group("value").lower()
        if name == "standard_conforming_strings":
            return value == "on"
        return name in _HEADER_SETTINGS
    return bool(_SET_CONFIG_RE.fullmatch(raw))


def _sql_problems(text):
    """Problems of the schema SQL pg_restore would run (see foreign_backup_problems)."""
    statements, problems = _statements(text)
    for code, raw in statements:
        if _header_ok(raw):
            continue
        bare = re.sub(r'"\w*"', '""', code)  # words outside quoted names
        if re.search(r"\bPROGRAM\b", bare, re.I):
            problems.append(f"The dump's SQL mentions PROGRAM (a shell command): {_excerpt(raw)!r}.")
            continue
        if re.search(r"\b(?:SELECT|VALUES)\b", bare, re.I):
            problems.append(f"The dump's SQL runs a query inside a definition, which pg_dump does not write for "
                            f"tables, sequences, indexes, constraints or comments: {_excerpt(raw)!r}.")
            continue
        if not any(shape.fullmatch(code) for shape in _STATEMENT_SHAPES):
            problems.append(f"The dump's SQL holds a statement pg_dump does not write for tables, sequences, "
                            f"indexes, constraints or comments: {_excerpt(raw)!r}.")
            continue
        for call in _CALL_RE.finditer(code):
            name = call.group("name")
            parts = [part.strip('"').lower() for part in name.split(".")]
            before = code[:call.start()].split()
            previous = before[-1].upper() if before else ""
            if previous in ("TABLE", "REFERENCES", "ONLY", "ON", "INDEX", "SEQUENCE"):
                continue  # a table or index name followed by its column list
            if len(parts) == 1 and parts[0] in SYNTAX_BEFORE_PAREN:
                continue
            schema_ok = len(parts) == 1 or (len(parts) == 2 and parts[0] == "pg_catalog")
            if schema_ok and parts[-1] in HARMLESS_FUNCTIONS and '"' not in name:
                continue
            problems.append(f"The dump's SQL calls the function {name}(), which is not one of the harmless "
                            f"built-in functions a foreign dump may use: {_excerpt(raw)!r}.")
    return problems


class PgRunLock:
    """The run lock: a session-level advisory lock on a dedicated connection."""

    def __init__(self, backend):
        self.backend = backend
        self.conn = None
        self.maintenance = False
        self.info = None

    def acquire(self, *, mode, maintenance, run_id):
        backend = self.backend
        key = lock_key(backend.dbname)
        stale = read_holder(backend.lock_path)
        app_name = f"safe_migrate {mode} pid={os.getpid()} host={socket.gethostname()}"[:63]
        conn = backend.admin_connect(application_name=app_name)
        # A run killed a moment ago may still hold the lock until the server notices its
        # socket closed: when the state file names a dead process on this host, wait a little.
        waits = 10 if stale and stale.host == socket.gethostname() and not pid_alive(stale.pid) else 0
        for attempt in range(waits + 1):
            if conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (RUN_NAMESPACE, key)).fetchone()[0]:
                break
            if attempt < waits:
                time.sleep(0.3)
        else:
            holder = backend.lock_holder()
            conn.close()
            who = holder.describe() if holder else "another session"
            raise Refused(
                f"Another safe_migrate run holds the lock on {backend.label} ({who}); wait for it to "
                f"finish and run again (advisory lock {RUN_NAMESPACE},{key}; see {backend.lock_path})."
            )
        self.conn = conn
        if maintenance:
            self._set(True)
        self.info = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": now_iso(),
                     "mode": mode, "maintenance": maintenance, "run_id": run_id,
                     "database": backend.label, "server_pid": conn.info.backend_pid}
        self._write()
        if stale is not None and stale.pid == os.getpid():
            stale = None
        return stale

    def _set(self, on):
        key = lock_key(self.backend.dbname)
        if on and not self.maintenance:
            self.conn.execute("SELECT pg_advisory_lock(%s, %s)", (MAINTENANCE_NAMESPACE, key))
        elif not on and self.maintenance:
            self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", (MAINTENANCE_NAMESPACE, key))
        self.maintenance = on

    def _write(self):
        """Write the informational lock file: created 0600 under an unpredictable temporary
        name (``mkstemp``, which opens with ``O_EXCL``, so a planted link is never followed),
        then renamed over the lock file (a link there is replaced, not written through)."""
        path = self.backend.lock_path
        directory = os.path.dirname(path) or "."
        tmp = None
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
            with os.fdopen(fd, "w") as handle:
                json.dump(self.info, handle)
            os.replace(tmp, path)
            tmp = None
        except OSError:
            pass  # informational only: the advisory lock is the lock
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

    def release(self):
        if self.conn is None:
            return
        try:
            os.unlink(self.backend.lock_path)
        except OSError:
            pass
        try:
            self.conn.execute("SELECT pg_advisory_unlock_all()")
        except psycopg.Error:
            pass
        finally:
            self.conn.close()
            self.conn = None
            self.maintenance = False


class PostgreSQLBackend(Backend):
    engine = "postgresql"
    backup_suffix = ".dump"
    state_dir_words = ("the state directory (ORB_STATE_DIR)", "state folder (ORB_STATE_DIR)")
    folder_options = "--backup-dir / ORB_STATE_DIR"

    def __init__(self, connection, *, backup_dir=None):
        super().__init__(connection, backup_dir=backup_dir)
        self.dbname = str(connection.settings_dict["NAME"] or "")
        self.settings_dict = dict(connection.settings_dict)
        self._admin_db = None

    # --- where things live -------------------------------------------------------
    @property
    def server(self):
        host = self.settings_dict.get("HOST") or "local socket"
        port = self.settings_dict.get("PORT")
        return f"{host}:{port}" if port else host

    @property
    def label(self):
        return f"{self.dbname} on {self.server}"

    @property
    def default_backup_dir(self):
        return os.path.join(settings.BASE_DIR, "data", "backups")

    @property
    def state_prefix(self):
        state_dir = getattr(settings, "ORB_STATE_DIR", None) or os.path.join(settings.BASE_DIR, "data")
        return os.path.join(str(state_dir), self.dbname)

    def backup_basename(self, stamp):
        return f"{self.dbname}.backup-{stamp}"

    def name_problem(self):
        """A sentence saying why this database name cannot be worked on safely, or None."""
        size = len(self.dbname.encode())
        if not self.dbname:
            return "No PostgreSQL database name is set; put one in DATABASE_URL and run again."
        if "/" in self.dbname or "\x00" in self.dbname:
            return (f"The database name {self.dbname!r} holds a '/' or a NUL character, which cannot be part of "
                    "the backup and journal file names; rename the database and set DATABASE_URL to it.")
        if size > NAME_BYTES:
            return (f"The database name {self.dbname!r} is {size} bytes long in UTF-8, but PostgreSQL keeps only "
                    f"the first {NAME_BYTES} bytes of a name, so a run could act on another database; rename it "
                    f"to at most {NAME_BYTES} bytes (ALTER DATABASE ... RENAME TO ...) and set DATABASE_URL to "
                    "the new name.")
        return None

    def check_name(self):
        problem = self.name_problem()
        if problem:
            raise Refused(problem)

    def scratch_name(self, kind, pid=None):
        """``<dbname>_orb_<kind>_<pid>``, or ``<dbname cut>_<hash>_orb_<kind>_<pid>`` when that is
        over 63 bytes: never longer than the server keeps, never the live database's name."""
        self.check_name()
        suffix = f"_orb_{kind}_{os.getpid() if pid is None else pid}"
        name = self.dbname + suffix
        if len(name.encode()) > NAME_BYTES:
            tail = f"_{hashlib.sha256(self.dbname.encode()).hexdigest()[:8]}{suffix}"
            name = _clip_bytes(self.dbname, NAME_BYTES - len(tail.encode())) + tail
        self._assert_not_live(name, action="use as a scratch database")
        return name

    def _assert_not_live(self, name, *, action):
        if _server_name(name) == _server_name(self.dbname):
            raise Refused(
                f"safe_migrate refused to {action} the database {name}, because that is the live "
                f"database {self.label}; nothing was changed. Report this as a bug and rename the database."
            )

    def _mark(self, kind):
        return SCRATCH_MARK + json.dumps({"database": self.dbname, "kind": kind, "pid": os.getpid(),
                                          "host": socket.gethostname(), "created_at": now_iso()},
                                         sort_keys=True)

    def _scratch_mark(self, conn, name):
        """(oid, mark) of database ``name``: mark is the parsed scratch mark of this live database,
        or None when the database is not marked as one of ours; None when there is no such database."""
        row = conn.execute("SELECT oid, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           (name,)).fetchone()
        if row is None:
            return None
        return row[0], self._parse_mark(row[1])

    def _parse_mark(self, comment):
        if not comment or not comment.startswith(SCRATCH_MARK):
            return None
        try:
            mark = json.loads(comment[len(SCRATCH_MARK):])
        except ValueError:
            return None
        if not isinstance(mark, dict) or mark.get("database") != self.dbname or mark.get("kind") not in SCRATCH_KINDS:
            return None
        return mark

    def _live_oid(self, conn):
        row = conn.execute("SELECT oid FROM pg_database WHERE datname = %s", (self.dbname,)).fetchone()
        return row[0] if row else None

    # --- connections ------------------------------------------------------------------
    def admin_connect(self, *, application_name="orb safe_migrate"):
        """An autocommit connection to the maintenance database (never the target)."""
        names = [self._admin_db] if self._admin_db else list(ADMIN_DATABASES)
        problem = None
        for name in names:
            params = _admin_params(self.settings_dict, name)
            params["application_name"] = application_name
            try:
                conn = psycopg.connect(**params)
            except psycopg.OperationalError as exc:
                problem = exc
                if "does not exist" in str(exc) or "permission denied" in str(exc):
                    continue
                break
            self._admin_db = name
            return conn
        reason = _first_line(str(problem))
        if problem is not None and ("does not exist" in reason or "permission denied" in reason):
            raise Refused(
                f"Cannot connect to the maintenance database (postgres or template1) on {self.server} "
                f"({reason}); grant this user CONNECT on the postgres database and run again."
            )
        raise Refused(
            f"The PostgreSQL server {self.server} is not reachable ({reason}); start it or fix "
            "DATABASE_URL and run again."
        )

    @contextmanager
    def admin(self):
        conn = self.admin_connect()
        try:
            yield conn
        finally:
            conn.close()

    def _target_connect(self, *, read_only=True):
        params = _libpq_params(self.settings_dict)
        params.update(dbname=self.dbname, autocommit=True, application_name="orb safe_migrate")
        if read_only:
            params["options"] = (params.get("options", "") + " -c default_transaction_read_only=on").strip()
        try:
            return psycopg.connect(**params)
        except psycopg.OperationalError as exc:
            raise Refused(f"Cannot connect to the database {self.label} ({_first_line(str(exc))}); "
                          "check DATABASE_URL and run again.") from exc

    def ping(self):
        with self.admin():
            pass

    def _tool_env(self):
        env = dict(os.environ)
        mapping = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
        for key, var in mapping.items():
            if self.settings_dict.get(key):
                env[var] = str(self.settings_dict[key])
        options = self.settings_dict.get("OPTIONS") or {}
        for key, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"),
                         ("sslcert", "PGSSLCERT"), ("sslkey", "PGSSLKEY"), ("service", "PGSERVICE")):
            if options.get(key):
                env[var] = str(options[key])
        env.setdefault("PGCONNECT_TIMEOUT", str(CONNECT_TIMEOUT_S))
        env["PGAPPNAME"] = "orb safe_migrate"
        return env

    def tool(self, name):
        """Path of pg_dump/pg_restore (ORB_PG_BIN, else PATH); refused when missing."""
        directory = getattr(settings, "ORB_PG_BIN", None) or os.environ.get("ORB_PG_BIN")
        path = os.path.join(directory, name) if directory else shutil.which(name)
        if not path or not os.access(path, os.X_OK):
            raise Refused(
                f"{name} was not found{' in ' + directory if directory else ' on PATH'}; install the "
                "PostgreSQL client tools (e.g. postgresql-client-15) or set ORB_PG_BIN to their folder."
            )
        return path

    def _run_tool(self, args, **kwargs):
        return subprocess.run(args, env=self._tool_env(), capture_output=True, text=True, **kwargs)

    # --- facts ---------------------------------------------------------------------
    def server_version(self):
        with self.admin() as conn:
            return conn.info.server_version  # e.g. 150020

    @staticmethod
    def _version_words(num):
        return f"{num // 10000}.{num % 10000}" if num >= 100000 else f"{num // 10000}.{num // 100 % 100}"

    def check_tools(self):
        """Refuse when pg_dump is missing or older than the server."""
        path = self.tool("pg_dump")
        self.tool("pg_restore")
        out = self._run_tool([path, "--version"]).stdout
        found = re.search(r"(\d+)(?:\.(\d+))?", out or "")
        if not found:
            raise Refused(f"Cannot tell the version of {path} ({_first_line(out)}); install the "
                          "PostgreSQL client tools matching the server and run again.")
        dump_major = int(found.group(1))
        server = self.server_version()
        if dump_major < server // 10000:
            raise Refused(
                f"pg_dump {found.group(0)} ({path}) is older than the PostgreSQL server "
                f"{self._version_words(server)}, and cannot back it up; install pg_dump "
                f"{server // 10000} or newer (or point ORB_PG_BIN at it) and run again."
            )

    def exists(self):
        with self.admin() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.dbname,)).fetchone() is not None

    def size(self):
        with self.admin() as conn:
            row = conn.execute("SELECT pg_database_size(datname) FROM pg_database WHERE datname = %s",
                               (self.dbname,)).fetchone()
        return row[0] if row else 0

    def describe(self):
        with self.admin() as conn:
            row = conn.execute(
                "SELECT pg_database_size(datname) FROM pg_database WHERE datname = %s", (self.dbname,)
            ).fetchone()
            others = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.dbname,),
            ).fetchone()[0]
            version = conn.execute("SHOW server_version").fetchone()[0]
        return {"engine": self.engine, "database": self.label, "size": row[0] if row else 0,
                "server_version": version, "other_connections": others}

    def other_users(self):
        own = set()
        if self.connection.connection is not None:
            try:
                own.add(self.connection.connection.info.backend_pid)
            except Exception:
                pass
        with self.admin() as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.dbname,),
            ).fetchall()
        return sorted(pid for (pid,) in rows if pid not in own)

    # --- connection modes ------------------------------------------------------------
    @contextmanager
    def _pointed(self, name, *, extra_options=""):
        conn = self.connection
        original_name = conn.settings_dict["NAME"]
        original_options = conn.settings_dict.get("OPTIONS")
        conn.close()
        conn.settings_dict["NAME"] = name
        if extra_options:
            options = dict(original_options or {})
            options["options"] = (options.get("options", "") + " " + extra_options).strip()
            conn.settings_dict["OPTIONS"] = options
        try:
            yield
        finally:
            conn.close()
            conn.settings_dict["NAME"] = original_name
            conn.settings_dict["OPTIONS"] = original_options

    @contextmanager
    def read_only(self):
        if self.exists():
            with self._pointed(self.dbname, extra_options="-c default_transaction_read_only=on"):
                yield
        else:
            # No database yet: read the maintenance database through an empty search_path, so
            # the migration state reads as empty and nothing is created anywhere.
            with self._pointed(self._admin_db or ADMIN_DATABASES[0],
                               extra_options="-c default_transaction_read_only=on "
                                             "-c search_path=orb_safe_migrate_absent"):
                yield

    @contextmanager
    def pointed_at(self, target):
        with self._pointed(target):
            yield

    # --- preflight ---------------------------------------------------------------------
    def check_reachable(self):
        self.check_name()
        self.ping()

    def can_create_databases(self):
        with self.admin() as conn:
            return conn.execute(
                "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user"
            ).fetchone()[0]

    def require_createdb(self, why):
        if not self.can_create_databases():
            raise Refused(
                f"The PostgreSQL user {self.settings_dict.get('USER') or '(default)'} may not create "
                f"databases, which {why} needs; grant it with `ALTER ROLE ... CREATEDB` and run again."
            )

    def create_if_missing(self, *, report):
        if self.exists():
            return
        with self.admin() as conn:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(_ident(self.dbname)))
            except psycopg.errors.DuplicateDatabase:
                return
            except psycopg.Error as exc:
                raise Refused(f"The database {self.label} does not exist and cannot be created "
                              f"({_first_line(str(exc))}); create it (createdb {self.dbname}) and run again.") from exc
        report.note(f"Created the empty database {self.label}.")

    def space_needed(self, *, rewritten_tables, rehearse, backup=True):
        # The rehearsal's scratch database lives on the server's disk, which this host cannot see.
        return [(self.backup_dir, self.size(), "the backup")] if backup else []

    def check_space_prerequisites(self, *, rehearse):
        if rehearse:
            self.require_createdb("the rehearsal on a scratch database")

    # --- work ------------------------------------------------------------------------
    def quick_check(self):
        return []

    def foreign_key_problems_in_transaction(self):
        # The server enforces foreign keys itself; deferred ones are checked now (a violation
        # raises the server's error).
        with self.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return []

    def fire_deferred_constraints(self):
        # Pending trigger events would also make a later ALTER TABLE of the same table fail.
        if self.connection.in_atomic_block:
            self.foreign_key_problems_in_transaction()

    def write_backup(self, dest, *, report):
        self.check_tools()
        report.percent(0, 1, label="Backing up")
        result = self._run_tool([self.tool("pg_dump"), "-Fc", "--no-password", f"--lock-wait-timeout={LOCK_WAIT_MS}",
                                 "-f", dest, _conninfo(self.dbname)])
        if result.returncode != 0:
            raise MigrationFailed(
                f"pg_dump of {self.label} failed ({_first_line(result.stderr)}); nothing was changed. "
                "Fix the cause and run again."
            )
        with open(dest, "rb") as handle:
            os.fsync(handle.fileno())
        report.percent(1, 1, label="Backing up")

    def verify_backup_file(self, path):
        result = self._run_tool([self.tool("pg_restore"), "--list", os.path.abspath(path)])
        if result.returncode != 0:
            return [f"pg_restore --list failed: {_first_line(result.stderr)}"]
        if "Format: CUSTOM" not in result.stdout:
            return ["pg_restore --list does not show a custom-format pg_dump archive"]
        return []

    def foreign_backup_problems(self, path):
        """Sentences saying why the pg_dump archive ``path`` (not written by safe_migrate) must not be
        restored; [] when it holds only tables, sequences, indexes, constraints, comments, column
        defaults and their data.

        Three passes, strict by design (anything not recognised is refused):

        1. ``pg_restore --list``: every TOC entry must be TABLE, TABLE DATA, SEQUENCE, SEQUENCE SET,
           SEQUENCE OWNED BY, INDEX, CONSTRAINT, CHECK CONSTRAINT, FK CONSTRAINT, COMMENT, DEFAULT
           (or a header entry; SCHEMA public and its ACL/COMMENT).  FUNCTION, PROCEDURE, TRIGGER,
           EXTENSION, VIEW, RULE, POLICY, SERVER, FOREIGN TABLE, CAST, ... are refused.
        2. ``pg_restore -f - --schema-only``: the SQL pg_restore would send (a crafted archive can put
           any SQL under an innocent entry type), cut into statements the way the server does;
           every statement must have one of the shapes pg_dump writes for those entries, none may
           mention PROGRAM, use dollar quoting or block comments, and every function it calls
           (defaults, CHECK constraints, generated columns, index expressions) must be on a short
           list of harmless pg_catalog functions.
        3. ``pg_restore -f - --data-only``, streamed: outside the rows, only ``COPY <table> (<columns>)
           FROM stdin`` and ``SELECT pg_catalog.setval(...)`` (a dump made with ``--inserts`` is refused).
        """
        path = os.path.abspath(path)
        pg_restore = self.tool("pg_restore")
        listing = self._run_tool([pg_restore, "--list", path])
        if listing.returncode != 0 or "Format: CUSTOM" not in listing.stdout:
            why = _first_line(listing.stderr) if listing.returncode != 0 else "not a custom-format archive"
            return [f"pg_restore --list cannot read {path} as a pg_dump custom-format archive ({why}), so "
                    "it cannot be checked; make the backup with `pg_dump -Fc`."]
        problems = _toc_problems(listing.stdout)
        schema = self._run_tool([pg_restore, "-f", "-", "--schema-only", path])
        if schema.returncode != 0:
            problems.append(f"pg_restore --schema-only failed on {path} ({_first_line(schema.stderr)}).")
        else:
            problems += _sql_problems(schema.stdout)
        problems += self._data_problems(pg_restore, path)
        seen = set()
        return [p for p in problems if not (p in seen or seen.add(p))]

    def _data_problems(self, pg_restore, path):
        process = subprocess.Popen([pg_restore, "-f", "-", "--data-only", path], env=self._tool_env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        problem = None
        in_copy = False
        try:
            for raw in process.stdout:
                if in_copy:
                    in_copy = raw.rstrip(b"\r\n") != b"\\."
                    continue
                line = raw.decode("utf-8", errors="replace").strip()
                if not line or line.startswith("--") or _PSQL_GUARD_RE.fullmatch(line):
                    continue
                if _COPY_RE.fullmatch(line):
                    in_copy = True
                    continue
                if problem is None and not (_SETVAL_RE.fullmatch(line) or _header_ok(line.rstrip(";"))):
                    problem = (f"The dump's data section holds {_excerpt(line)!r} where only COPY ... FROM "
                               "stdin and setval belong (a dump made with --inserts, or a crafted one); make "
                               "the backup with `pg_dump -Fc` without --inserts.")
        finally:
            process.stdout.close()
            error = process.stderr.read().decode(errors="replace")
            process.stderr.close()
            process.wait()
        if process.returncode != 0:
            return [f"pg_restore --data-only failed on {path} ({_first_line(error)})."]
        return [problem] if problem else []

    def _create_scratch(self, conn, name, *, kind):
        """Create the empty scratch database ``name`` and mark it as this run's own.  A database
        already there is dropped only when a safe_migrate run marked it (a leftover whose pid
        came round again); otherwise the run is refused."""
        self._assert_not_live(name, action="create")
        found = self._scratch_mark(conn, name)
        if found is not None:
            if found[1] is None:
                raise Refused(
                    f"A database named {name} already exists and is not marked as a safe_migrate scratch "
                    "database, so it was left alone; rename or drop it if it is not needed, and run again."
                )
            self._drop(conn, name)
        row = conn.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = %s",
            (self.dbname,),
        ).fetchone()
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(_ident(name))
        if row:
            statement = sql.SQL("{} ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(
                statement, sql.Literal(row[0]), sql.Literal(row[1]), sql.Literal(row[2]))
        conn.execute(statement)
        try:
            conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(_ident(name), sql.Literal(self._mark(kind))))
        except BaseException:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(_ident(name)))
            raise

    def _drop(self, conn, name):
        """Drop the scratch database ``name``: never the live database, never one that no
        safe_migrate run marked as its own (those raise; a missing one is fine)."""
        self._assert_not_live(name, action="drop")
        found = self._scratch_mark(conn, name)
        if found is None:
            return
        oid, mark = found
        if mark is None:
            raise MigrationFailed(
                f"The database {name} is not marked as a safe_migrate scratch database, so it was not "
                "dropped; drop it by hand if it is a leftover."
            )
        if oid == self._live_oid(conn):
            self._assert_not_live(self.dbname, action="drop")
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(_ident(name)))

    def _restore_into(self, name, *, source, report, label):
        """pg_restore the dump file ``source`` (or a live pg_dump when None) into database ``name``."""
        restore = [self.tool("pg_restore"), "--no-password", "--exit-on-error", "--single-transaction",
                   _conninfo(name)]
        report.percent(0, 1, label=label)
        if source is not None:
            result = self._run_tool(restore + [os.path.abspath(source)])
            failed = result.returncode != 0
            error = result.stderr
        else:
            env = self._tool_env()
            dump = subprocess.Popen([self.tool("pg_dump"), "-Fc", "--no-password",
                                     f"--lock-wait-timeout={LOCK_WAIT_MS}", _conninfo(self.dbname)],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                result = subprocess.run(restore, env=env, stdin=dump.stdout, capture_output=True, text=True)
            finally:
                dump.stdout.close()
                dump_err = dump.stderr.read().decode(errors="replace")
                dump.stderr.close()
                dump.wait()
            failed = result.returncode != 0 or dump.returncode != 0
            error = dump_err if dump.returncode != 0 else result.stderr
        if failed:
            raise MigrationFailed(f"Restoring into the database {name} failed ({_first_line(error)}).")
        report.percent(1, 1, label=label)

    def restore_from(self, path, *, report):
        """Restore ``path`` into a new database, then swap names in one transaction."""
        self.require_createdb("a restore (into a new database, then swapped in)")
        self.connection.close()
        new = self.scratch_name("restore")
        old = self.scratch_name("old")
        with self.admin() as conn:
            found = self._scratch_mark(conn, old)
            if found is not None and found[1] is None:
                raise Refused(
                    f"A database named {old} already exists and is not marked as a safe_migrate scratch "
                    "database, so the restore cannot park the current database under that name; rename or "
                    "drop it, and run again."
                )
            if found is not None:
                self._drop(conn, old)
            self._create_scratch(conn, new, kind="restore")
            try:
                self._restore_into(new, source=path, report=report, label="Restoring")
                self._copy_database_settings(conn, new)
                self._swap_in(conn, new=new, old=old)
            except BaseException:
                try:
                    self._drop(conn, new)
                except psycopg.Error:
                    pass
                raise
            try:
                self._drop(conn, old)
            except (psycopg.Error, MigrationFailed, Refused) as exc:
                report.warning(f"Could not drop the replaced database {old} ({_first_line(str(exc))}); "
                               "drop it by hand.")

    def _copy_database_settings(self, conn, new):
        rows = conn.execute(
            "SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
            "WHERE d.datname = %s AND s.setrole = 0", (self.dbname,)
        ).fetchall()
        for (setting,) in rows:
            name, _, value = setting.partition("=")
            conn.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                _ident(new), _ident(name), sql.Literal(value)))

    def _swap_in(self, conn, *, new, old):
        """Rename the live database to ``old`` (marked as ours, to be dropped) and ``new`` to the
        live name (its scratch mark replaced by the live database's own comment), in one transaction."""
        self._assert_not_live(new, action="rename")
        self._assert_not_live(old, action="rename the live database to")
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           (self.dbname,)).fetchone()
        if not row:
            with conn.transaction():
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(_ident(new), _ident(self.dbname)))
                conn.execute(sql.SQL("COMMENT ON DATABASE {} IS NULL").format(_ident(self.dbname)))
            return
        live_comment = row[0]
        target = _ident(self.dbname)
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(target))
        try:
            deadline = time.monotonic() + DISCONNECT_WAIT_S
            while True:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = %s AND pid <> pg_backend_pid()", (self.dbname,))
                left = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                    (self.dbname,)).fetchone()[0]
                if not left:
                    break
                if time.monotonic() > deadline:
                    raise MigrationFailed(
                        f"{left} session(s) on {self.label} would not disconnect, so the restored "
                        "database was not swapped in; stop the other clients and run again."
                    )
                time.sleep(0.1)
            with conn.transaction():
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(target, _ident(old)))
                conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    _ident(old), sql.Literal(self._mark("old"))))
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(_ident(new), target))
                conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(target, sql.Literal(live_comment)))
        except BaseException:
            conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(target))
            raise

    def make_rehearsal_copy(self, *, report):
        self.require_createdb("the rehearsal on a scratch database")
        target = self.scratch_name("rehearsal")
        with self.admin() as conn:
            self._create_scratch(conn, target, kind="rehearsal")
        if self.exists():
            try:
                self._restore_into(target, source=None, report=report, label="Copying for the rehearsal")
            except BaseException:
                self.drop_rehearsal_copy(target)
                raise
        return target

    def drop_rehearsal_copy(self, target):
        self.connection.close()
        with self.admin() as conn:
            self._drop(conn, target)

    def cleanup_leftovers(self, *, report):
        """Drop the scratch databases that killed runs on this database left: found by their
        mark (``COMMENT ON DATABASE``), never by name.  One that merely looks like a scratch
        name is left alone, with a warning."""
        here = socket.gethostname()
        with self.admin() as conn:
            rows = conn.execute(
                "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname <> %s ORDER BY datname", (self.dbname,)
            ).fetchall()
            digest = hashlib.sha256(self.dbname.encode()).hexdigest()[:8]
            stems = [stem for kind in SCRATCH_KINDS
                     for stem in (f"{self.dbname}_orb_{kind}_", f"_{digest}_orb_{kind}_")]
            for name, comment in rows:
                mark = self._parse_mark(comment)
                if mark is None:
                    if any(stem in name and name.rpartition(stem)[2].isdigit() and
                           self.dbname.startswith(name.rpartition(stem)[0]) for stem in stems):
                        report.warning(f"Left alone a database that is named like a safe_migrate scratch "
                                       f"database but is not marked as a safe_migrate scratch database: {name} "
                                       "(drop it by hand if it is a leftover).")
                    continue
                pid = mark.get("pid") if isinstance(mark.get("pid"), int) else 0
                if pid == os.getpid() and mark.get("host") == here:
                    continue
                # We hold the run lock, so no other run is using it: its process is gone
                # (or its pid was reused, or it ran on another host, and nobody is connected).
                in_use = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                      (name,)).fetchone()[0]
                if in_use and (mark.get("host") != here or pid_alive(pid)):
                    continue
                self._drop(conn, name)
                report.note(f"Dropped {SCRATCH_KINDS[mark['kind']]} left by an interrupted run: {name}")
            row = conn.execute("SELECT datallowconn FROM pg_database WHERE datname = %s",
                               (self.dbname,)).fetchone()
            if row is not None and not row[0]:
                conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(_ident(self.dbname)))
                report.note(f"Allowed connections to {self.label} again (an interrupted restore had closed it).")

    def table_rows(self, path=None):
        """{table: rows} of the live database; a dump's row counts are unknown without restoring it."""
        if path is not None:
            raise LookupError("row counts inside a pg_dump archive are not known without restoring it")
        with self._target_connect() as conn:
            tables = conn.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(relname), relname "
                "FROM pg_stat_user_tables"
            ).fetchall()
            return {name: conn.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0]
                    for qualified, name in tables}

    # --- lock ------------------------------------------------------------------------
    def run_lock(self):
        return PgRunLock(self)

    def lock_holder(self):
        """The live run holding the advisory lock of this database, or None."""
        key = lock_key(self.dbname)
        with self.admin() as conn:
            row = conn.execute(
                "SELECT a.pid, a.application_name, a.backend_start, host(a.client_addr) FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                f"AND l.classid = {RUN_NAMESPACE}::oid AND l.objid = {key}::oid AND l.objsubid = 2"
            ).fetchone()
            if row is None:
                return None
            maintenance = conn.execute(_held_sql(MAINTENANCE_NAMESPACE, self.dbname)).fetchone()[0]
        server_pid, app_name, started, client = row
        found = APP_NAME_RE.match(app_name or "")
        noted = read_holder(self.lock_path)
        holder = Holder(
            pid=int(found.group("pid")) if found else 0,
            host=(found.group("host") if found else None) or client or "?",
            started_at=started.isoformat(timespec="seconds") if started else "?",
            mode=found.group("mode") if found else "?",
            maintenance=bool(maintenance),
        )
        if noted and noted.pid == holder.pid and noted.host == holder.host:
            holder.run_id = noted.run_id
            holder.started_at = noted.started_at
        if not found:
            holder.host = f"{client or 'local'} (server pid {server_pid})"
        return holder

    def maintenance_active(self):
        return advisory_lock_held(self.connection)

    def begin_apply(self):
        conn = self.connection
        conn.ensure_connection()
        with conn.cursor() as cursor:
            # Wait at most this long for another session's lock on a table the plan alters,
            # instead of hanging (the plan then fails and is rolled back).
            cursor.execute("SET lock_timeout = '60s'")

        def cleanup():
            if conn.connection is not None and not conn.in_atomic_block:
                try:
                    with conn.cursor() as cursor:
                        cursor.execute("RESET lock_timeout")
                except Exception:
                    conn.close()

        return cleanup
