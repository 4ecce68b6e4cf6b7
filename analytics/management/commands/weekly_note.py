"""``manage.py weekly_note --municipality mzh --week 2026-W47 --format html --output note.html``"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analytics.notes import weekly_note_build, weekly_note_html, weekly_note_xlsx
from mcu.db_routers import replica_reads
from mcu.models import Municipality


class Command(BaseCommand):
    help = "Еженедельная аналитическая записка МО (HTML или XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", required=True, help="код (slug) МО")
        parser.add_argument("--week", required=True, help="ISO-неделя, например 2026-W47")
        parser.add_argument("--format", choices=["html", "xlsx"], default="html")
        parser.add_argument("--output", required=True, help="файл, куда записать записку")

    def handle(self, *args, **options):
        municipality = Municipality.objects.filter(slug=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"Нет МО с кодом «{options['municipality']}».")
        try:
            with replica_reads():  # a report: from the replica when there is one
                note = weekly_note_build(municipality=municipality, week=options["week"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        out = Path(options["output"])
        if options["format"] == "xlsx":
            out.write_bytes(weekly_note_xlsx(note))
        else:
            out.write_text(weekly_note_html(note), encoding="utf-8")
        self.stdout.write(f"{out} ({options['format']})")
