"""The roles as groups of model permissions: what the groups must hold today.

Chief Engineer: every permission on the ORB models, except deleting ORB entries and
weekly soundings (nobody may delete those; the admin refuses even superusers).
Engineer: records fuel tickets, weekly soundings and sludge disposals (soundings 0008);
views everything else.
Viewer: views everything.
Master: views everything the Viewer sees, the ship time offsets, and keeps the vessel
particulars (signing completed book pages is added with the page model).
Inspector (a port State control officer; an account with an expiry date): views the whole
book, the ship time offsets and the vessel particulars; writes nothing.
The Chief Engineer also manages logins: he sees django-axes' login attempts and deletes a
locked-out one to unlock its user; he sets officers' ranks and account expiry (user profiles),
adds ship time offsets (never deletes one) and keeps the vessel particulars.
The Inspector and the Chief Engineer read the record's audit trail, page signatures and entry
reviews (view only: those tables are append-only).

The groups are created and changed by data migrations, each with a frozen copy of what it
grants: fueltickets 0002_roles created them (applied on ships, never edited); every later
change is a migration of the orb app (orb/migrations/0001_chief_engineer_unlocks_logins.py
first). Change this module and add such a migration together: tests/test_roles.py checks
that the migrated groups hold exactly these permissions.
"""

OUR_APPS = ("soundings", "fueltickets")
MODELS = {
    "soundings": ["tank", "calibrationrow", "weeklysounding", "orbentry", "calibrationversion", "sludgedisposal"],
    "fueltickets": ["servicetankpair", "dailyfuelticket", "hitchrecord", "fueltanksounding", "bunkerdelivery"],
}
# Bunker deliveries are part of the fuel record (their Code H entries are in the book): never deleted.
NEVER_DELETED = {"orbentry", "weeklysounding", "bunkerdelivery", "sludgedisposal"}
ENGINEER_RECORDS = {"dailyfuelticket", "weeklysounding", "bunkerdelivery", "sludgedisposal"}

CHIEF_ENGINEER = "Chief Engineer"
ENGINEER = "Engineer"
VIEWER = "Viewer"
MASTER = "Master"
INSPECTOR = "Inspector"
LOGIN_PERMISSIONS = [
    ("axes", c) for c in ("view_accessattempt", "delete_accessattempt", "view_accessfailurelog", "view_accesslog")
]
# The orb app's own tables: the Chief Engineer adds, changes and views them, and deletes none.
CHIEF_ORB_PERMISSIONS = [
    ("orb", f"{action}_{model}")
    for model in ("userprofile", "shiptimeoffset", "vesselparticulars")
    for action in ("add", "change", "view")
]
MASTER_ORB_PERMISSIONS = [
    ("orb", "view_shiptimeoffset"),
    ("orb", "change_vesselparticulars"),
    ("orb", "view_vesselparticulars"),
]
INSPECTOR_ORB_PERMISSIONS = [("orb", "view_shiptimeoffset"), ("orb", "view_vesselparticulars")]
# The record's append-only tables (issue 13; soundings 0006): the Inspector and the Chief
# Engineer read the audit trail, the page signatures and the entry reviews. Not in MODELS: nobody
# adds, changes or deletes them (the record writes them itself).
RECORD_VIEW_PERMISSIONS = [("soundings", f"view_{model}") for model in ("auditevent", "pagesignature", "entryreview")]


def _all_models():
    for app_label, models in MODELS.items():
        for model in models:
            yield app_label, model


def group_permissions():
    """{group name: [(app_label, codename)]}."""
    chief, engineer, viewer = [], [], []
    for app_label, model in _all_models():
        for action in ("add", "change", "delete", "view"):
            if not (action == "delete" and model in NEVER_DELETED):
                chief.append((app_label, f"{action}_{model}"))
        actions = ("add", "change", "view") if model in ENGINEER_RECORDS else ("view",)
        engineer.extend((app_label, f"{action}_{model}") for action in actions)
        viewer.append((app_label, f"view_{model}"))
    chief.extend(LOGIN_PERMISSIONS)
    chief.extend(CHIEF_ORB_PERMISSIONS)
    chief.extend(RECORD_VIEW_PERMISSIONS)
    return {
        CHIEF_ENGINEER: chief,
        ENGINEER: engineer,
        VIEWER: viewer,
        MASTER: viewer + MASTER_ORB_PERMISSIONS,
        INSPECTOR: viewer + INSPECTOR_ORB_PERMISSIONS + RECORD_VIEW_PERMISSIONS,
    }
