"""Connections: libpq parameters from Django's settings, the maintenance database, the
target database, pointing Django's connection elsewhere, and the catalog look-ups by name."""

from contextlib import contextmanager

import psycopg
from psycopg import sql

from ...errors import Refused

ADMIN_DATABASES = ("postgres", "template1")
CONNECT_TIMEOUT_S = 10
APP_NAME = "orb safe_migrate"  # every connection of a run, and its pg_dump/pg_restore (PGAPPNAME)
DJANGO_OPTIONS = {
    "isolation_level",
    "server_side_binding",
    "pool",
    "assume_role",
    "cursor_factory",
    "prepare_threshold",
    "context",
}
NAME_BYTES = 63  # PostgreSQL keeps the first NAMEDATALEN - 1 bytes of an identifier
READ_ONLY_OPTION = "-c default_transaction_read_only=on"
# What ``database_row`` can read of a database in pg_database, by name.
DATABASE_FIELDS = {
    "oid": "oid",
    "comment": "shobj_description(oid, 'pg_database')",
    "size": "pg_database_size(datname)",
    "allows_connections": "datallowconn",
    "locale": "pg_encoding_to_char(encoding), datcollate, datctype",
}


def clip_bytes(text, limit):
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    return text.encode()[:limit].decode("utf-8", errors="ignore")


def server_name(name):
    """The name as the server stores it (identifiers are cut at 63 bytes)."""
    return clip_bytes(name, NAME_BYTES)


def libpq_params(settings_dict):
    params = {k: v for k, v in (settings_dict.get("OPTIONS") or {}).items() if k not in DJANGO_OPTIONS}
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
        if settings_dict.get(key):
            params[name] = str(settings_dict[key])
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    return params


def admin_params(settings_dict, dbname):
    params = libpq_params(settings_dict)
    params.pop("options", None)  # the app's search_path etc. are not for the maintenance database
    params.update(dbname=dbname, autocommit=True, application_name=APP_NAME)
    return params


def first_line(text):
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0] if lines else "no output"


def ident(name):
    return sql.Identifier(name)


def database_row(conn, name, *fields):
    """The ``fields`` (keys of DATABASE_FIELDS) of database ``name`` as one row, or None when
    there is no such database."""
    columns = ", ".join(DATABASE_FIELDS[field] for field in fields)
    return conn.execute(f"SELECT {columns} FROM pg_database WHERE datname = %s", (name,)).fetchone()


def sessions_on(conn, name, *, others_only=False, clients_only=False, named=False):
    """Server pids of the sessions connected to database ``name`` (``others_only``: but this one;
    ``clients_only``: not the server's own autovacuum workers; ``named``: (pid, application_name)
    pairs)."""
    query = "SELECT pid, application_name FROM pg_stat_activity WHERE datname = %s"
    if others_only:
        query += " AND pid <> pg_backend_pid()"
    if clients_only:
        query += " AND backend_type <> 'autovacuum worker'"
    rows = conn.execute(query, (name,)).fetchall()
    return [tuple(row) for row in rows] if named else [pid for pid, _ in rows]


def set_allow_connections(conn, name, allowed):
    conn.execute(
        sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(ident(name), sql.SQL("true" if allowed else "false"))
    )


class ConnectionsMixin:
    """Connections of a backend with ``settings_dict``, ``dbname``, ``label`` and ``connection``."""

    @property
    def server(self):
        host = self.settings_dict.get("HOST") or "local socket"
        port = self.settings_dict.get("PORT")
        return f"{host}:{port}" if port else host

    @property
    def label(self):
        return f"{self.dbname} on {self.server}"

    def admin_connect(self, *, application_name=APP_NAME):
        """An autocommit connection to the maintenance database (never the target)."""
        names = [self._admin_db] if self._admin_db else list(ADMIN_DATABASES)
        problem = None
        for name in names:
            params = admin_params(self.settings_dict, name)
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
        reason = first_line(str(problem))
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
        params = libpq_params(self.settings_dict)
        params.update(dbname=self.dbname, autocommit=True, application_name=APP_NAME)
        if read_only:
            params["options"] = (params.get("options", "") + " -c default_transaction_read_only=on").strip()
        try:
            return psycopg.connect(**params)
        except psycopg.OperationalError as exc:
            raise Refused(
                f"Cannot connect to the database {self.label} ({first_line(str(exc))}); "
                "check DATABASE_URL and run again."
            ) from exc

    def ping(self):
        with self.admin():
            pass

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
            with self._pointed(
                self._admin_db or ADMIN_DATABASES[0],
                extra_options="-c default_transaction_read_only=on -c search_path=orb_safe_migrate_absent",
            ):
                yield

    @contextmanager
    def pointed_at(self, target):
        with self._pointed(target):
            yield
