"""``manage.py import_cases FILE --municipality <slug> [--channel …]``: an export (XLSX,
CSV) taken in as on the import page, with a progress bar in the terminal (DESIGN §5).

The run is synchronous (no broker needed) and recorded as an ``ImportJob`` like an upload.
The rows are registered on behalf of ``--user`` (the administrator or head of the
municipality, or its integration account — the default when it has exactly one).
"""

import csv
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.choices import Channel
from mcu.choices import Role
from mcu.exceptions import DeskError
from mcu.models import Municipality, User

from ...import_services import (
    import_job_create,
    import_job_run,
    import_mapping_default,
    import_mappings_for,
    import_report_rows,
)
from ...imports import ImportRefused
from ...models_import import ImportStatus

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Загрузить сообщения из выгрузки XLSX или CSV (идемпотентно по внешнему ID)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="XLSX или CSV с заголовками в первой строке")
        parser.add_argument("--municipality", required=True, help="код МО (slug)")
        parser.add_argument(
            "--channel",
            choices=Channel.values,
            default="",
            help="канал для строк без колонки «Источник»",
        )
        parser.add_argument("--mapping", default="", help="название сопоставления колонок")
        parser.add_argument("--user", default="", help="от чьего имени (логин)")
        parser.add_argument("--report", default="", help="куда записать отклонённые строки (CSV)")
        parser.add_argument("--no-progress", action="store_true", help="без строки хода загрузки")

    def handle(self, *args, **options):
        municipality = Municipality.objects.filter(slug=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"Нет МО с кодом «{options['municipality']}».")
        actor = self._actor(municipality, options["user"])
        mapping = self._mapping(municipality, options["mapping"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Нет файла {path}.")
        self._bar_on = not options["no_progress"]
        with path.open("rb") as fh:
            upload = File(fh, name=path.name)
            try:
                with transaction.atomic():
                    job = import_job_create(
                        actor=actor,
                        municipality=municipality,
                        upload=upload,
                        mapping=mapping,
                        channel=options["channel"],
                        from_command=True,
                    )
            except ImportRefused as exc:
                raise CommandError(f"Файл не принят: {exc.message}") from None
            except DeskError as exc:
                raise CommandError(str(exc.message)) from None
        job = import_job_run(job.pk, progress=self._progress)
        if self._bar_on:
            self.stderr.write("")
        if job.status != ImportStatus.DONE:
            raise CommandError(f"Файл не принят: {job.error}")
        self.stdout.write(
            f"Импорт №{job.pk}: строк {job.total_rows}; создано {job.created_count}, "
            f"уже были {job.duplicate_count}, отклонено {job.rejected_count}."
        )
        if job.rejected_count:
            self._report(job, options["report"])

    def _actor(self, municipality, username: str):
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"Нет активного пользователя «{username}».")
            return user
        accounts = list(
            User.objects.filter(municipality=municipality, role=Role.INTEGRATION, is_active=True)[
                :2
            ]
        )
        if len(accounts) != 1:
            raise CommandError(
                "Укажите --user: администратора или руководителя МЦУ этого МО "
                "(учётная запись интеграции не одна или её нет)."
            )
        return accounts[0]

    def _mapping(self, municipality, name: str):
        if name:
            mapping = import_mappings_for(municipality).filter(name=name).first()
            if mapping is None:
                names = ", ".join(f"«{m.name}»" for m in import_mappings_for(municipality))
                raise CommandError(f"Нет сопоставления «{name}». Есть: {names}.")
            return mapping
        mapping = import_mapping_default(municipality)
        if mapping is None:
            raise CommandError("Нет ни одного сопоставления колонок: добавьте его в админке.")
        return mapping

    def _progress(self, job) -> None:
        if not self._bar_on:
            return
        total = max(job.total_rows, 1)
        done = min(job.processed_rows, total)
        filled = BAR_WIDTH * done // total
        bar = "█" * filled + "░" * (BAR_WIDTH - filled)
        self.stderr.write(
            f"\r{bar} {done * 100 // total:3d} % {job.processed_rows}/{job.total_rows} строк",
            ending="",
        )
        self.stderr.flush()

    def _report(self, job, path: str) -> None:
        headers, rows = import_report_rows(job)
        if path:
            with open(path, "w", newline="", encoding="utf-8-sig") as out:
                writer = csv.writer(out, delimiter=";")
                writer.writerow(headers)
                writer.writerows(rows)
            self.stdout.write(f"Отклонённые строки с причинами: {path}")
            return
        for entry in job.rejected_rows[:10]:
            self.stdout.write(f"  строка {entry['row']}: {entry['reason']}")
        if job.rejected_count > 10:
            self.stdout.write(f"  … и ещё {job.rejected_count - 10}; все — с --report FILE.csv")
