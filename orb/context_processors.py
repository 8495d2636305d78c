"""What every page of the book says about the record's status.

``vessel``: the vessel's particulars (orb.models.VesselParticulars.current()).
``working_copy``: true until the flag has approved this electronic record book; the pages then
say that the paper Oil Record Book remains the official record.
Both are looked up only when a template uses them (one query per page).
"""

from django.utils.functional import SimpleLazyObject

from orb.models import VesselParticulars

WORKING_COPY_NOTICE = "Working copy — the paper Oil Record Book remains the official record"


def record_status(request):
    vessel = SimpleLazyObject(VesselParticulars.current)
    return {
        "vessel": vessel,
        "working_copy": SimpleLazyObject(lambda: not vessel.approved),
        "working_copy_notice": WORKING_COPY_NOTICE,
    }
