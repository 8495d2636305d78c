"""The Oil Record Book entries a weekly sounding produces.

Code C (sludge tank, IOPP 3.1): items 11.1 identity, 11.2 capacity, 11.3 retained,
11.4 only when something was collected by manual operation.
Code I (bilge holding tank, IOPP 3.3): one remark. The predecessor's "34.x" item numbers
have no IMO basis; a vessel that wants them sets ORB_CODE_I_ITEM_NUMBERS = True.

Only the texts live here; ``OrbEntry.record_for_sounding`` (soundings.models) writes them,
so this module never imports the models.
"""

from django.conf import settings

from soundings.units import format_m3, gallons_to_m3


def entry_lines(sounding):
    """[(code, item, text)] for a sounding whose volume is computed."""
    tank = sounding.tank
    identity = f"{tank.designation} {tank.name}"
    capacity = format_m3(gallons_to_m3(tank.capacity_gallons))
    retained = format_m3(gallons_to_m3(sounding.gallons))
    if tank.orb_code == "C":
        lines = [
            ("C", "11.1", identity),
            ("C", "11.2", f"{capacity} m³"),
            ("C", "11.3", f"{retained} m³"),
        ]
        if sounding.manual_collection_m3 is not None:
            lines.append(("C", "11.4", f"{format_m3(sounding.manual_collection_m3)} m³"))
        return lines
    if getattr(settings, "ORB_CODE_I_ITEM_NUMBERS", False):
        return [
            ("I", "34.1", identity),
            ("I", "34.2", f"{capacity} m³"),
            ("I", "34.3", f"{retained} m³"),
        ]
    return [
        (
            "I",
            "",
            "Weekly inventory of bilge water holding tank(s) (IOPP 3.3): "
            f"{identity}, capacity {capacity} m³, {retained} m³ retained.",
        )
    ]
