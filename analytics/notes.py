"""The weekly analytic note (Ставрополь п. 11 1): «еженедельной аналитической записки для
представления главе»; Саратов п. 3.6: the weekly report of a sector), built from the same
selectors as the pages: totals by channel and kind, overdue cases with location, executor
and problem, the rating, TOP-5, the heat map, rising problems and repeated cases."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from mcu.models import Municipality

from . import tables
from .exports import openpyxl, xlsx_workbook
from .indicators import (
    Period,
    Scope,
    heatmap_district_category,
    overdue_cases,
    rating_rows,
    repeated_cases,
    rising_problems,
    top_problems,
    totals_by_channel_and_kind,
)

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def iso_week(value: str) -> Period:
    """«2026-W47» → Monday … Sunday of that ISO week."""
    match = WEEK_RE.match(value or "")
    if not match:
        raise ValueError(_("Неделя в виде ГГГГ-Wнн, например 2026-W47."))
    monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    return Period(monday, monday + timedelta(days=6))


@dataclass
class WeeklyNote:
    municipality: Municipality
    period: Period
    built_at: datetime
    sections: list[tuple[str, list[str], list[list]]]  # (title, headers, rows)


def weekly_note_build(
    *, municipality: Municipality, week: str, now: datetime | None = None
) -> WeeklyNote:
    """The note of one municipality for one ISO week, the whole municipality in scope."""
    period = iso_week(week)
    scope = Scope(user=None, municipalities=[municipality], now=now or timezone.now())
    totals = totals_by_channel_and_kind(scope=scope, period=period)

    def change_rows(items):
        return [[label, n, before, n - before] for label, n, before in items]

    change = [_("Поступило"), _("Прошлая неделя"), _("Изменение")]
    tz = municipality.zone

    def case_rows(cases):
        return [
            [
                c.registration_number,
                c.received_at.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
                ", ".join(p for p in (str(c.district or ""), c.address) if p) or "—",
                str(c.organisation or "—"),
                str(c.category or "—"),
            ]
            for c in cases
        ]

    case_headers = [_("№"), _("Поступило"), _("Местоположение"), _("Исполнитель"), _("Проблема")]
    sections = [
        (_("Итоги по каналам"), [_("Канал"), *change], change_rows(totals.by_channel)),
        (_("Итоги по видам"), [_("Вид"), *change], change_rows(totals.by_kind)),
        (
            _("Просроченные сообщения"),
            case_headers,
            case_rows(overdue_cases(scope=scope, period=period)),
        ),
        (_("Рейтинг исполнителей"), *tables.rating_table(rating_rows(scope=scope, period=period))),
        (_("ТОП-5 проблем"), *tables.top_table(top_problems(scope=scope, period=period))),
        (
            _("Тепловая карта: район × категория"),
            *tables.heatmap_table(heatmap_district_category(scope=scope, period=period), "count"),
        ),
        (
            _("Растущие проблемы"),
            *tables.rising_table(rising_problems(scope=scope, date_to=period.date_to)),
        ),
        (
            _("Повторные сообщения"),
            case_headers,
            case_rows(repeated_cases(scope=scope, period=period)),
        ),
    ]
    return WeeklyNote(municipality, period, scope.now, sections)


def weekly_note_html(note: WeeklyNote) -> str:
    return render_to_string("analytics/weekly_note.html", {"note": note})


def weekly_note_xlsx(note: WeeklyNote) -> bytes:
    if openpyxl is None:  # pragma: no cover
        raise RuntimeError("openpyxl is not installed")
    return xlsx_workbook(
        (f"{i}. {title}", headers, rows)
        for i, (title, headers, rows) in enumerate(note.sections, 1)
    )
