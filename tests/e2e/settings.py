"""Settings for end-to-end runs of manage.py: the project plus a scenario app.

The scenario app (label ``scenario``) has no models of its own; its migrations come
from the package named by ORB_SCENARIO (``tests.e2e.scenarios.<name>``) or, for a
package written by a test into a temporary directory, ORB_SCENARIO_MODULE.  This is
how Django's own tests/migrations swaps migration sets: MIGRATION_MODULES.
"""

import os

# DEBUG is off here, as on board, so the project's settings need a key; set before importing them.
os.environ.setdefault("DJANGO_SECRET_KEY", "orb-test-only-secret-key-not-for-production-0123456789")

from orb.settings import *  # noqa: E402,F401,F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.e2e.scenario"]  # noqa: F405
if os.environ.get("ORB_THIRD_PARTY") and "axes" not in INSTALLED_APPS:
    # A real third-party app with many migrations (the project installs it for login throttling).
    INSTALLED_APPS.append("axes")
INSTALLED_APPS += [a for a in os.environ.get("ORB_EXTRA_APPS", "").split(",") if a and a not in INSTALLED_APPS]  # noqa: F405
MIGRATION_MODULES = {
    "scenario": os.environ.get("ORB_SCENARIO_MODULE")
    or f"tests.e2e.scenarios.{os.environ.get('ORB_SCENARIO', 'base')}",
}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
