"""A tiny third-party-like app the e2e tests install beside ours (issue 11).

Tests copy this package into a temporary directory on PYTHONPATH, so it lives outside
the project as an installed package would, and add it with ORB_EXTRA_APPS=outside_app.
It has what real packages have and safe_migrate must agree with plain ``migrate`` on:
an admin changelist that redirects by design (as django CMS's page list does), a
post_migrate handler connected in ``management/__init__.py`` (as django-guardian's
anonymous user), and a data migration that deletes referenced rows followed by an
ALTER TABLE of the same table (pending deferred foreign-key events on PostgreSQL).
"""
