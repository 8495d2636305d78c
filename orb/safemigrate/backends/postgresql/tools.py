"""Client tools: finding pg_dump and pg_restore, their versions against the server's, dumping,
restoring and listing archives, and inspecting a foreign dump (rules in ``foreign_dump``)."""

import os
import re
import shutil
import subprocess

from django.conf import settings
from psycopg.conninfo import make_conninfo

from ...errors import MigrationFailed, Refused
from .connections import APP_NAME, CONNECT_TIMEOUT_S, first_line
from .foreign_dump import _COPY_RE, _PSQL_GUARD_RE, data_line_problem, sql_problems, toc_problems

LOCK_WAIT_MS = 60000  # pg_dump waits this long for a table lock, then fails instead of hanging


def conninfo(dbname):
    """``--dbname=...`` for pg_dump/pg_restore: the name as a quoted conninfo value, so a name
    holding ``=`` or starting with ``-`` is never read as a connection string or an option."""
    return f"--dbname={make_conninfo(dbname=dbname)}"


class ClientToolsMixin:
    """pg_dump/pg_restore for a backend with ``settings_dict``, ``dbname``, ``label`` and ``admin``."""

    def _tool_env(self):
        env = dict(os.environ)
        mapping = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
        for key, var in mapping.items():
            if self.settings_dict.get(key):
                env[var] = str(self.settings_dict[key])
        options = self.settings_dict.get("OPTIONS") or {}
        for key, var in (
            ("sslmode", "PGSSLMODE"),
            ("sslrootcert", "PGSSLROOTCERT"),
            ("sslcert", "PGSSLCERT"),
            ("sslkey", "PGSSLKEY"),
            ("service", "PGSERVICE"),
        ):
            if options.get(key):
                env[var] = str(options[key])
        env.setdefault("PGCONNECT_TIMEOUT", str(CONNECT_TIMEOUT_S))
        env["PGAPPNAME"] = APP_NAME
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
            raise Refused(
                f"Cannot tell the version of {path} ({first_line(out)}); install the "
                "PostgreSQL client tools matching the server and run again."
            )
        dump_major = int(found.group(1))
        server = self.server_version()
        if dump_major < server // 10000:
            raise Refused(
                f"pg_dump {found.group(0)} ({path}) is older than the PostgreSQL server "
                f"{self._version_words(server)}, and cannot back it up; install pg_dump "
                f"{server // 10000} or newer (or point ORB_PG_BIN at it) and run again."
            )

    def dump(self, dest):
        """``pg_dump -Fc`` of the live database into ``dest``; raises MigrationFailed."""
        result = self._run_tool(
            [
                self.tool("pg_dump"),
                "-Fc",
                "--no-password",
                f"--lock-wait-timeout={LOCK_WAIT_MS}",
                "-f",
                dest,
                conninfo(self.dbname),
            ]
        )
        if result.returncode != 0:
            raise MigrationFailed(
                f"pg_dump of {self.label} failed ({first_line(result.stderr)}); nothing was changed. "
                "Fix the cause and run again."
            )

    def verify_backup_file(self, path):
        result = self._run_tool([self.tool("pg_restore"), "--list", os.path.abspath(path)])
        if result.returncode != 0:
            return [f"pg_restore --list failed: {first_line(result.stderr)}"]
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
            why = first_line(listing.stderr) if listing.returncode != 0 else "not a custom-format archive"
            return [
                f"pg_restore --list cannot read {path} as a pg_dump custom-format archive ({why}), so "
                "it cannot be checked; make the backup with `pg_dump -Fc`."
            ]
        problems = toc_problems(listing.stdout)
        schema = self._run_tool([pg_restore, "-f", "-", "--schema-only", path])
        if schema.returncode != 0:
            problems.append(f"pg_restore --schema-only failed on {path} ({first_line(schema.stderr)}).")
        else:
            problems += sql_problems(schema.stdout)
        problems += self._data_problems(pg_restore, path)
        seen = set()
        return [p for p in problems if not (p in seen or seen.add(p))]

    def _data_problems(self, pg_restore, path):
        process = subprocess.Popen(
            [pg_restore, "-f", "-", "--data-only", path],
            env=self._tool_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
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
                if problem is None:
                    problem = data_line_problem(line)
        finally:
            process.stdout.close()
            error = process.stderr.read().decode(errors="replace")
            process.stderr.close()
            process.wait()
        if process.returncode != 0:
            return [f"pg_restore --data-only failed on {path} ({first_line(error)})."]
        return [problem] if problem else []

    def _restore_into(self, name, *, source, report, label):
        """pg_restore the dump file ``source`` (or a live pg_dump when None) into database ``name``."""
        restore = [self.tool("pg_restore"), "--no-password", "--exit-on-error", "--single-transaction", conninfo(name)]
        report.percent(0, 1, label=label)
        if source is not None:
            result = self._run_tool(restore + [os.path.abspath(source)])
            failed = result.returncode != 0
            error = result.stderr
        else:
            env = self._tool_env()
            dump = subprocess.Popen(
                [
                    self.tool("pg_dump"),
                    "-Fc",
                    "--no-password",
                    f"--lock-wait-timeout={LOCK_WAIT_MS}",
                    conninfo(self.dbname),
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
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
            raise MigrationFailed(f"Restoring into the database {name} failed ({first_line(error)}).")
        report.percent(1, 1, label=label)
