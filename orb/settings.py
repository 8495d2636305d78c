"""Settings for the ORB project, read from the environment.

DATABASE_URL        default: the embedded database file <project>/data/orb.db (folder created on first
                    use); a database server's URL for a shore office or fleet (README)
ORB_BACKUP_DIR      where safe_migrate writes backups (default: beside the database file;
                    data/backups/ for a database server)
ORB_STATE_DIR       where safe_migrate keeps the journal and lock of a server database (default data/)
DJANGO_SECRET_KEY   required whenever DEBUG is off (the app refuses to start without it)
DJANGO_DEBUG, DJANGO_ALLOWED_HOSTS   production values
DJANGO_SECURE_SSL_REDIRECT   default on; 0 on a plain-HTTP ship LAN (then cookies are not Secure, no HSTS)
DJANGO_BEHIND_PROXY         1 to trust X-Forwarded-Proto from a TLS-terminating proxy in front
ORB_STATIC_ROOT     where collectstatic puts the static files WhiteNoise serves (default <project>/staticfiles)
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from orb.safemigrate.backends import embedded_database_url, prepare_database_settings

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "data"


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: set it to a long random value in the environment "
            "(or DJANGO_DEBUG=1 for local development only)."
        )
    SECRET_KEY = "django-insecure-orb-development-key-not-for-production"
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "orb",
    "soundings",
    "fueltickets",
    "orb.flask_import",
]
if DEBUG:
    # Development helpers only: reset_db and friends must not be one typo away on a ship.
    INSTALLED_APPS.append("django_extensions")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (WhiteNoise) and /healthz are answered before the two 503 pages below: the
    # maintenance page keeps working CSS links, and the health check reports those states itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "orb.health.HealthCheckMiddleware",
    "orb.maintenance.MaintenanceMiddleware",
    "orb.schema_guard.SchemaGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Keep last (django-axes): it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "orb.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # orb's own templates first: its admin/base_site.html adds the record's status to every admin page.
        "DIRS": [BASE_DIR / "orb" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orb.context_processors.record_status",
            ],
        },
    },
]

WSGI_APPLICATION = "orb.wsgi.application"

DEFAULT_DATABASE_URL = embedded_database_url(DATA_DIR / "orb.db")
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, conn_max_age=0)}
prepare_database_settings(DATABASES["default"])  # e.g. the embedded default's folder is created

ORB_BACKUP_DIR = os.environ.get("ORB_BACKUP_DIR") or None
ORB_STATE_DIR = os.environ.get("ORB_STATE_DIR") or str(DATA_DIR)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("ORB_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("ORB_STATIC_ROOT") or BASE_DIR / "staticfiles"
# Served by WhiteNoise from STATIC_ROOT (`make serve` runs collectstatic first), gzipped there once.
# Plain names, not hashed ones: a hashed-name manifest makes every page fail until collectstatic
# has run, and WhiteNoise already lets browsers cache unhashed files for 60 seconds only.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "dashboard"
# A session ends when the browser closes (a shared engine-room computer).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login throttling (django-axes): 5 failures for one user from one address lock that pair out
# for 15 minutes; a successful login clears the count. Unlock early with
# `manage.py axes_reset_username NAME` (or delete the row in the admin's Access attempts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "orb.auth_backends.ExpiringAccountBackend",  # ModelBackend + the profile's account expiry
]
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True

# Production hardening: on whenever DEBUG is off, so `check --deploy` is clean with HTTPS.
# On a plain-HTTP ship LAN (DJANGO_SECURE_SSL_REDIRECT=0) cookies cannot be Secure (a browser
# drops them on an http:// address that is not localhost, and login fails) and HSTS is off.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = SECURE_SSL_REDIRECT
    CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
    if SECURE_SSL_REDIRECT:
        SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
        SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        SECURE_HSTS_PRELOAD = True
    else:
        SECURE_HSTS_SECONDS = 0
        # Plain HTTP on the engine-room LAN is a decision (docs/DEPLOYMENT.md): no certificate
        # authority or name service on board, and the box is not reachable from outside the ship.
        # `check --deploy` warns about exactly these four HTTPS settings; they are silenced only
        # here, where HTTPS is switched off on purpose, so an HTTPS install still hears them.
        SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]
        # A browser ignores Cross-Origin-Opener-Policy on a plain http:// origin and logs an error
        # on every page saying so; the header protects nothing here.
        SECURE_CROSS_ORIGIN_OPENER_POLICY = None
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # A monitoring agent on the box asks for /healthz over plain HTTP even when HTTPS is on.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# X-Forwarded-Proto is believed only when a TLS-terminating proxy in front sets it; otherwise any
# client could claim HTTPS.
if env_bool("DJANGO_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Smoke checks safe_migrate runs (in a savepoint that is rolled back) before it commits.
ORB_SMOKE_CHECKS = ["orb.smoke.run_smoke_checks"]
# safe_migrate verifies the book with this before the plan and again before COMMIT (issue 13):
# a function of the database alias returning None, or one sentence naming the first broken entry.
ORB_BOOK_CHECK = "soundings.chain.check_for_migration"
# safe_migrate --restore refuses a backup that lacks entries signed since it was taken (without
# --allow-data-loss): a function of the database alias returning {sequence: description}.
ORB_BOOK_SIGNED_ENTRIES = "soundings.chain.signed_entries"
