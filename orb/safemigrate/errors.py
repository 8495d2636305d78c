"""Exceptions of the engine; each carries its exit status and the plain-words state line."""

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3


class SafeMigrateError(Exception):
    """Base class. ``message`` is one sentence: what is wrong and what to do next."""

    exit_code = EXIT_FAILED
    default_state = "Database unchanged."

    def __init__(self, message, *, state=None, details=None):
        super().__init__(message)
        self.message = message
        self.state = state or self.default_state
        self.details = details or {}


class UsageError(SafeMigrateError):
    """Bad command line or input: unknown app, unknown migration, conflicting options."""

    exit_code = EXIT_USAGE


class Refused(SafeMigrateError):
    """A safety check refused the run before anything was changed."""

    exit_code = EXIT_REFUSED


class DataLossRefused(Refused):
    """The plan would drop rows or values and --allow-data-loss was not given."""


class MigrationFailed(SafeMigrateError):
    """The plan or a check failed; the database is unchanged or was restored."""

    exit_code = EXIT_FAILED


class CheckFailed(Exception):
    """A check inside the transaction failed (turned into MigrationFailed by the caller)."""

    def __init__(self, check, message):
        super().__init__(f"{check} check failed: {message}")
        self.check = check
        self.message = message
