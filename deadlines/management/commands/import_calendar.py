"""``manage.py import_calendar FILE [--apply] [--year YEAR]``: load an official production
calendar (the open XML format, or the project's JSON) into ``CalendarDay``.

Without ``--apply`` a dry run: the file is checked and the difference against the database
is printed, nothing is written. With ``--apply`` each year of the file replaces that year's
rows in one transaction and the open clocks are recomputed (``production_calendar_import``).
A file that fails a check is refused with the reasons and a non-zero exit; nothing is
written then, also with ``--apply``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from deadlines import services
from deadlines.calendar_import import (
    CalendarDiff,
    CalendarImportError,
    ImportedYear,
    calendar_diff,
    day_label,
    kind_label,
    parse_calendar_file,
)

FORMATS = {"xml": "открытый XML-формат", "json": "JSON проекта"}


class Command(BaseCommand):
    help = (
        "Загрузить производственный календарь из файла (открытый XML-формат "
        "<calendar year=…> или JSON проекта). Без --apply — пробный запуск: только разница "
        "с базой."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="XML- или JSON-файл календаря")
        parser.add_argument(
            "--apply",
            action="store_true",
            help="записать календарь в базу и пересчитать сроки (без него — пробный запуск)",
        )
        parser.add_argument(
            "--year",
            type=int,
            action="append",
            help="загрузить только этот год файла (можно повторить)",
        )

    def handle(self, *args, file: str, apply: bool, year: list[int] | None, **options) -> None:
        try:
            years = parse_calendar_file(file)
        except CalendarImportError as exc:
            raise CommandError(self._refusal(exc.errors)) from exc
        if year:
            missing = sorted(set(year) - {y.year for y in years})
            if missing:
                raise CommandError(
                    self._refusal(
                        [
                            _("В файле нет %(years)s года.")
                            % {"years": ", ".join(str(y) for y in missing)}
                        ]
                    )
                )
            years = [y for y in years if y.year in year]

        if apply:
            with transaction.atomic():
                diffs = [
                    services.production_calendar_import(year=y.year, days=y.days) for y in years
                ]
        else:
            diffs = [calendar_diff(year=y.year, days=y.days) for y in years]

        for imported, diff in zip(years, diffs, strict=True):
            self._report(file, imported, diff)
        if apply:
            recomputed = diffs[-1].recomputed if diffs else 0
            self.stdout.write(
                self.style.SUCCESS(
                    _("Записано в базу: %(years)s. Пересчитано открытых сроков: %(count)s.")
                    % {"years": ", ".join(str(y.year) for y in years), "count": recomputed}
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "Пробный запуск: в базу ничего не записано. Чтобы загрузить "
                        "календарь, повторите команду с --apply."
                    )
                )
            )

    def _refusal(self, errors: list[str]) -> str:
        lines = [_("Календарь не загружен, в базу ничего не записано:")]
        lines += [f"  - {error}" for error in errors]
        return "\n".join(lines)

    def _report(self, file: str, imported: ImportedYear, diff: CalendarDiff) -> None:
        write = self.stdout.write
        published = _(", от %(date)s") % {"date": imported.published} if imported.published else ""
        write(
            _("Производственный календарь на %(year)s год: %(file)s (%(format)s%(published)s).")
            % {
                "year": imported.year,
                "file": file,
                "format": FORMATS.get(imported.format, imported.format),
                "published": published,
            }
        )
        if diff.before is None:
            write(_("  В базе календаря на %(year)s год нет.") % {"year": diff.year})
        if diff.is_empty:
            write(_("  Разница с базой: нет, дни совпадают."))
        else:
            write(
                _("  Разница с базой: добавлено %(a)s, удалено %(r)s, изменено %(c)s.")
                % {"a": len(diff.added), "r": len(diff.removed), "c": len(diff.changed)}
            )
            for d, kind, note in diff.added:
                write(f"    + {day_label(d)}  {kind_label(kind)}" + (f" — {note}" if note else ""))
            for d, kind in diff.removed:
                write(
                    f"    - {day_label(d)}  {kind_label(kind)}"
                    + _(" (станет обычным днём пятидневки)")
                )
            for d, old, new in diff.changed:
                write(f"    ~ {day_label(d)}  {kind_label(old)} → {kind_label(new)}")
        after = diff.after
        line = _(
            "  Итого по файлу: рабочих дней %(days)s, часов при 40-часовой неделе %(hours)s"
        ) % {"days": after.working_days, "hours": after.hours_40h_week}
        if diff.before is not None:
            line += _("; в базе сейчас: %(days)s и %(hours)s") % {
                "days": diff.before.working_days,
                "hours": diff.before.hours_40h_week,
            }
        write(line + ".")
        for warning in imported.warnings:
            write(self.style.WARNING(_("  Внимание: %(text)s") % {"text": warning}))
