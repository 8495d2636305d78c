"""manage.py handover HITCH --output DIR: the hitch handover package (fueltickets.handover)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fueltickets.handover import package
from orb.shiptime import ship_date


class Command(BaseCommand):
    help = (
        "Write the handover package of a hitch (a PDF of its sounding forms and Oil Record Book pages, "
        "and an .xlsx of its tickets, soundings, bunkers, ORB entries and fuel reconciliation) into a folder. "
        "HITCH is the number of the hitch record that opens the hitch (the admin's Hitch records list shows it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("hitch", help="the id of the hitch record that opens the hitch")
        parser.add_argument("--output", required=True, help="the folder to write the two files into (it must exist)")

    def handle(self, *args, hitch, output, **options):
        from django.utils import timezone

        from fueltickets.models import HitchRecord

        opening = self._hitch(HitchRecord, hitch)
        folder = Path(output)
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder; create it first or name an existing one with --output.")
        built = package.build(opening, today=ship_date(timezone.now()))
        try:
            paths = package.write(built, folder)
        except OSError as error:
            raise CommandError(
                f"Could not write the package into {folder} ({error.strerror or error}); "
                "free some space or choose another folder. Nothing was left half-written."
            ) from error
        for path in paths:
            self.stdout.write(str(path))
        self.stdout.write(self.style.SUCCESS(f"Handover package of the {built.period.describe()} written."))

    @staticmethod
    def _hitch(model, text):
        try:
            return model.objects.get(pk=int(text))
        except (ValueError, model.DoesNotExist):
            known = ", ".join(str(pk) for pk in model.objects.order_by("-date").values_list("pk", flat=True)[:5])
            hint = f" The latest hitch records are {known}." if known else " There are no hitch records yet."
            raise CommandError(f"There is no hitch record {text!r}.{hint}") from None
