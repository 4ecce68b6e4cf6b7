"""``manage.py weekly_note --municipality mzh --week 2026-W47 --format pdf --output note.pdf``

Builds (or reuses) the note of the period through ``analytics.services.note_create`` —
the same engine as beat — and writes it in one format. ``--kind month --period 2026-02``
(Междуреченск пост. 3.3) and ``--kind quarter --period 2026-Q1`` (Лабытнанги 3.6 в)).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analytics.documents import FORMATS, note_render
from analytics.notes import KIND_WORDS
from analytics.services import note_create
from mcu.exceptions import DeskError
from mcu.models import Municipality


class Command(BaseCommand):
    help = "Аналитическая записка МО (неделя, месяц, квартал) в HTML, PDF, DOCX или XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", required=True, help="код (slug) МО")
        parser.add_argument("--kind", choices=sorted(KIND_WORDS), default="week")
        parser.add_argument(
            "--week", "--period", dest="period", required=True,
            help="2026-W47 (неделя), 2026-02 (месяц), 2026-Q1 (квартал)",
        )  # fmt: skip
        parser.add_argument("--format", choices=sorted(FORMATS), default="html")
        parser.add_argument("--output", required=True, help="файл, куда записать записку")

    def handle(self, *args, **options):
        municipality = Municipality.objects.filter(slug=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"Нет МО с кодом «{options['municipality']}».")
        try:
            note, created = note_create(
                municipality=municipality,
                kind=KIND_WORDS[options["kind"]],
                period=options["period"],
            )
        except DeskError as exc:
            raise CommandError(str(exc.message)) from None
        _type, body = note_render(note, options["format"])
        out = Path(options["output"])
        out.write_bytes(body)
        state = "собрана" if created else f"из сохранённой редакции {note.revision}"
        self.stdout.write(f"{out} ({options['format']}, {state})")
