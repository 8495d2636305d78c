"""The Oil Record Book entries a sounding or a sludge disposal produces, in the form of
MEPC.1/Circ.736/Rev.2.

Code C (sludge tank, IOPP 3.1), item 11: 11.1 the tank as the IOPP Supplement 3.1 names it,
11.2 the capacity the IOPP states, 11.3 the quantity retained, 11.4 only when something was
collected by manual operation ("0.50 m³ collected from <source>"). Written for every sounding of
a sludge tank (scheduled, ad-hoc or re-sounding).
Code C item 12 (a disposal): 12.1 to a reception facility, 12.2 to another tank, 12.3
incinerated, 12.4 another method.
Code I (bilge holding tank, IOPP 3.3): one remark, no item number, written for the scheduled
weekly sounding only (recording the bilge holding tank is voluntary; an ad-hoc sounding or a
re-sounding writes nothing).

Only the texts live here; ``OrbEntry.record_for_sounding`` and ``record_for_disposal``
(soundings.models) write them, so this module never imports the models.
"""

from soundings.units import format_m3, gallons_to_m3

SCHEDULED = "scheduled"


def entry_lines(sounding):
    """[(code, item, text)] for a sounding whose volume is computed."""
    tank = sounding.tank
    capacity = format_m3(tank.stated_capacity_m3)
    retained = format_m3(gallons_to_m3(sounding.gallons))
    if tank.orb_code == "C":
        lines = [
            ("C", "11.1", tank.identity),
            ("C", "11.2", f"{capacity} m³"),
            ("C", "11.3", f"{retained} m³"),
        ]
        if sounding.manual_collection_m3 is not None:
            collected = f"{format_m3(sounding.manual_collection_m3)} m³"
            source = (sounding.manual_collection_source or "").strip()
            lines.append(("C", "11.4", f"{collected} collected from {source}" if source else collected))
        return lines
    if sounding.kind != SCHEDULED:
        return []
    return [
        (
            "I",
            "",
            "Weekly inventory of bilge water holding tank(s) (IOPP 3.3): "
            f"{tank.identity}, capacity {capacity} m³, {retained} m³ retained.",
        )
    ]


def disposal_lines(disposal):
    """[(code, item, text)] for a sludge disposal (Code C item 12)."""
    quantity = f"{format_m3(disposal.quantity_m3)} m³"
    tank = disposal.tank.identity
    method = disposal.method
    if method == "12.1":
        text = (
            f"{quantity} sludge from {tank} discharged to reception facility {disposal.facility}, "
            f"receipt {disposal.receipt_reference}"
        )
    elif method == "12.2":
        text = f"{quantity} sludge transferred from {tank} to {disposal.to_tank.identity}"
    elif method == "12.3":
        text = f"{quantity} sludge from {tank} incinerated, {disposal.hours} hours of operation"
    else:
        text = f"{quantity} sludge from {tank} disposed of by {disposal.other_method}"
    return [("C", method, text)]
