"""Test settings: the project's settings, with plain-HTTP test client behaviour."""

import os

# DEBUG is off here, as on board, so the project's settings need a key; set before importing them.
os.environ.setdefault("DJANGO_SECRET_KEY", "orb-test-only-secret-key-not-for-production-0123456789")

from orb.settings import *  # noqa: E402,F401,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The test database is a real SQLite file (WAL, busy timeout, file locking as on board),
# one per test process so concurrent runs never share it.
import os as _os  # noqa: E402
import tempfile as _tempfile  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": _os.path.join(_tempfile.gettempdir(), f"orb-test-{_os.getpid()}.sqlite3")
    }
