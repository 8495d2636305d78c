"""Settings for check_migrations runs: the end-to-end settings (the scenario app, whose
migrations come from ORB_SCENARIO_MODULE) plus the two files the check reads, moved to a test's
temporary folder by ORB_MIGRATIONS_LOCK and ORB_MIGRATION_CHECKS_FILE."""

import os

from tests.e2e.settings import *  # noqa: F403

ORB_MIGRATIONS_LOCK = os.environ.get("ORB_MIGRATIONS_LOCK") or None
ORB_MIGRATION_CHECKS_FILE = os.environ.get("ORB_MIGRATION_CHECKS_FILE") or None
