"""PostgreSQL: fleet and shore deployments.

- Backups are ``pg_dump -Fc`` files ``<dbname>.backup-YYYYMMDD_HHMMSS.dump`` (verified by
  ``pg_restore --list`` and their sha256); a ``pg_dump`` older than the server is refused.
- The plan runs on the live database in one transaction (transactional DDL).
- A rehearsal copies the live database into a scratch database ``<dbname>_orb_rehearsal_<pid>``
  and drops it afterwards.  When no other session is connected to the live database, the copy
  is a file copy, ``CREATE DATABASE … TEMPLATE <live> STRATEGY FILE_COPY`` (the run closes its
  own connection first; the server holds new connections to the live database until the copy is
  done); it is created closed to connections and opened once marked, so a run killed while
  copying leaves an unmarked, closed database with exactly that name, which the next run drops
  as an unfinished copy.  Otherwise (other sessions connected, one connecting as the copy
  begins, or a user who does not own the database) it restores a fresh dump (``pg_dump |
  pg_restore``, which other sessions do not disturb).  The progress says which copy was made.
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

Modules: ``connections`` (libpq parameters, the maintenance database, catalog look-ups),
``tools`` (pg_dump/pg_restore: discovery, versions, dump, restore, listing), ``foreign_dump``
(what a foreign archive may hold), ``scratch`` (scratch databases: names, marks, create, drop,
swap, clean-up), ``locks`` (advisory locks, maintenance flag, holder) and ``backend`` (the
class tying them).
"""

from .backend import PostgreSQLBackend
from .locks import PgRunLock, advisory_lock_held, lock_key

__all__ = ["PgRunLock", "PostgreSQLBackend", "advisory_lock_held", "lock_key"]
