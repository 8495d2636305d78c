"""Forms of the fuel records beyond what the models check on their own.

The hitch form checks its total fuel on board against the tank soundings typed on the same page
(the inline rows are not saved yet when the form is validated, so it reads them from the
submitted data with the same formset the admin uses) and says so next to the total.
"""

from decimal import Decimal

from django import forms
from django.forms.models import inlineformset_factory

from fueltickets.models import FuelTankSounding, HitchRecord

SOUNDINGS_PREFIX = "tank_soundings"  # the admin inline's prefix (the related name)
SoundingsFormSet = inlineformset_factory(
    HitchRecord, FuelTankSounding, fields=["tank_number", "side", "gallons"], extra=0, can_delete=True
)


def submitted_soundings_total(*, data, instance):
    """The sum of the gallons of the soundings submitted with a hitch form, None when there are
    none or they cannot be read (their own errors are shown next to them)."""
    formset = SoundingsFormSet(data=data, instance=instance, prefix=SOUNDINGS_PREFIX)
    if not formset.is_valid():
        return None
    rows = [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
    if not rows:
        return None
    return sum((row["gallons"] for row in rows if row.get("gallons") is not None), Decimal("0"))


class HitchRecordForm(forms.ModelForm):
    class Meta:
        model = HitchRecord
        fields = [  # every field the form's fieldsets show; the admin passes its own list too
            "vessel",
            "date",
            "is_start",
            "end_date",
            "location",
            "charter",
            "engineer_name",
            "draft_forward_feet",
            "draft_forward_inches",
            "draft_aft_feet",
            "draft_aft_inches",
            "fuel_on_log",
            "correction",
            "total_fuel_gallons",
            "lube_oil_15p",
            "gear_oil_15s",
            "lube_oil_16p",
            "hyd_oil_16s",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.is_bound and "total_fuel_gallons" not in self.errors:
            total = submitted_soundings_total(data=self.data, instance=self.instance)
            if total is not None:
                problem = HitchRecord(total_fuel_gallons=cleaned.get("total_fuel_gallons")).soundings_problem(total)
                if problem:
                    self.add_error("total_fuel_gallons", problem)
        return cleaned
