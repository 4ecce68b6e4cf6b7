"""The analytic note — one engine for the weekly note (Ставрополь п. 11 1): «еженедельной
аналитической записки для представления главе»; Саратов п. 3.6: the weekly report of a
sector), the monthly report (Междуреченск пост. 3.3: «Представлять ежемесячно главе
Междуреченского городского округа отчет по итогам работы системы „Инцидент менеджмент“
за отчетный период») and the quarterly one (Лабытнанги 3.6 в): «формирует ежеквартальные
отчеты по тематике поступивших обращений и сообщений граждан»).

:func:`note_content_build` computes every table from the selectors of
``analytics.indicators`` and returns a JSON-ready snapshot; the ``WeeklyNote`` model
stores it and every format (HTML, PDF, DOCX, XLSX — ``analytics.documents``) is rendered
from the snapshot, never from live data.
"""

from __future__ import annotations

import calendar
import json
import re
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from mcu.models import Municipality

from . import tables
from .exports import xlsx_workbook
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
from .models import NoteKind

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")

#: the command's ``--kind`` words
KIND_WORDS = {"week": NoteKind.WEEKLY, "month": NoteKind.MONTHLY, "quarter": NoteKind.QUARTERLY}

TITLES = {
    NoteKind.WEEKLY: "Еженедельная аналитическая записка",
    NoteKind.MONTHLY: "Ежемесячный отчёт по итогам работы системы «Инцидент менеджмент»",
    NoteKind.QUARTERLY: "Ежеквартальный отчёт по тематике поступивших обращений и сообщений",
}
BASIS = {
    NoteKind.WEEKLY: "Ставрополь, п. 11 1); Саратов, п. 3.6",
    NoteKind.MONTHLY: "Междуреченск, постановление, п. 3.3",
    NoteKind.QUARTERLY: "Лабытнанги, п. 3.6 в); Саратов, п. 3.6",
}


def iso_week(value: str) -> Period:
    """«2026-W47» → Monday … Sunday of that ISO week."""
    match = WEEK_RE.match(value or "")
    if not match:
        raise ValueError(_("Неделя в виде ГГГГ-Wнн, например 2026-W47."))
    monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    return Period(monday, monday + timedelta(days=6))


def note_period(kind: str, value: str) -> Period:
    """The period a label names: «2026-W06» (week), «2026-02» (month), «2026-Q1»."""
    if kind == NoteKind.WEEKLY:
        return iso_week(value)
    if kind == NoteKind.MONTHLY:
        match = MONTH_RE.match(value or "")
        if not match or not 1 <= int(match[2]) <= 12:
            raise ValueError(_("Месяц в виде ГГГГ-ММ, например 2026-02."))
        year, month = int(match[1]), int(match[2])
        return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
    match = QUARTER_RE.match(value or "")
    if not match:
        raise ValueError(_("Квартал в виде ГГГГ-Qн, например 2026-Q1."))
    year, q = int(match[1]), int(match[2])
    last = 3 * q
    return Period(date(year, last - 2, 1), date(year, last, calendar.monthrange(year, last)[1]))


def period_label(kind: str, day: date) -> str:
    """The label of the period of ``kind`` that contains ``day``."""
    if kind == NoteKind.WEEKLY:
        year, week, _d = day.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == NoteKind.MONTHLY:
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _jsonable(value):
    """Lazy strings, dates and Decimals as the snapshot stores them."""
    return json.loads(json.dumps(value, default=str))


def note_content_build(
    *, municipality: Municipality, kind: str, period: Period, now: datetime | None = None
) -> dict:
    """Every table of the note of one municipality for one period, the whole municipality
    in scope, as a JSON-ready snapshot: ``sections`` (title, headers, rows), ``top`` (the
    problems a cause is written for) and ``charts`` (the figures the charts draw)."""
    scope = Scope(user=None, municipalities=[municipality], now=now or timezone.now())
    totals = totals_by_channel_and_kind(scope=scope, period=period)
    rating = rating_rows(scope=scope, period=period)
    problems = top_problems(scope=scope, period=period, with_samples=False)
    tz = municipality.zone
    word = {
        NoteKind.WEEKLY: _("Прошлая неделя"),
        NoteKind.MONTHLY: _("Прошлый период"),
        NoteKind.QUARTERLY: _("Прошлый период"),
    }[kind]
    change = [_("Поступило"), word, _("Изменение")]

    def change_rows(items):
        return [[label, n, before, n - before] for label, n, before in items]

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
    raw_sections = [
        ("channels", _("Итоги по каналам"), [_("Канал"), *change], change_rows(totals.by_channel)),
        ("kinds", _("Итоги по видам"), [_("Вид"), *change], change_rows(totals.by_kind)),
        (
            "overdue",
            _("Просроченные сообщения"),
            case_headers,
            case_rows(overdue_cases(scope=scope, period=period)),
        ),
        ("rating", _("Рейтинг исполнителей"), *tables.rating_table(rating)),
        ("top", _("ТОП-5 проблем"), *tables.top_table(problems)),
        (
            "heatmap",
            _("Тепловая карта: район × категория"),
            *tables.heatmap_table(heatmap_district_category(scope=scope, period=period), "count"),
        ),
        (
            "rising",
            _("Растущие проблемы"),
            *tables.rising_table(rising_problems(scope=scope, date_to=period.date_to)),
        ),
        (
            "repeated",
            _("Повторные сообщения после низкой оценки"),
            case_headers,
            case_rows(repeated_cases(scope=scope, period=period)),
        ),
    ]
    previous = period.previous()
    content = {
        "kind": str(kind),
        "title": TITLES[kind],
        "basis": BASIS[kind],
        "municipality": municipality.name,
        "timezone": municipality.timezone,
        "date_from": period.date_from.isoformat(),
        "date_to": period.date_to.isoformat(),
        "previous_from": previous.date_from.isoformat(),
        "previous_to": previous.date_to.isoformat(),
        "built_at": scope.now.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
        "total": totals.total,
        "total_previous": totals.previous,
        "sections": [
            {"code": code, "title": title, "headers": headers, "rows": rows}
            for code, title, headers, rows in raw_sections
        ],
        "top": [
            {"category": p.category, "name": p.name, "sector": p.sector, "count": p.count}
            for p in problems
        ],
        "charts": {
            "channels": [[label, n, before] for label, n, before in totals.by_channel],
            "top": [[p.name, p.count, p.previous] for p in problems],
            "on_time": [
                [r.name, r.on_time_share] for r in rating.rows if r.on_time_share is not None
            ],
        },
    }
    return _jsonable(content)


def weekly_note_build(
    *, municipality: Municipality, week: str, now: datetime | None = None
) -> dict:
    """The weekly note's content for an ISO week (``2026-W47``)."""
    return note_content_build(
        municipality=municipality, kind=NoteKind.WEEKLY, period=iso_week(week), now=now
    )


def note_sections(content: dict, causes: dict | None = None) -> list[dict]:
    """The sections as rendered: the snapshot's tables, then «Причины и предлагаемые
    решения» for each TOP problem (the head's text, «—» while none is written)."""
    causes = causes or {}
    sections = list(content.get("sections", []))
    if content.get("top"):
        sections.append(
            {
                "code": "causes",
                "title": _("Причины и предлагаемые решения по ТОП-проблемам"),
                "headers": [_("№"), _("Проблема"), _("Поступило"), _("Причина и решение")],
                "rows": [
                    [i, t["name"], t["count"], causes.get(str(t["category"]), "") or "—"]
                    for i, t in enumerate(content["top"], 1)
                ],
            }
        )
    return sections


def weekly_note_xlsx(content: dict, causes: dict | None = None) -> bytes:
    """XLSX with one sheet per table."""
    return xlsx_workbook(
        (f"{i}. {s['title']}", s["headers"], s["rows"])
        for i, s in enumerate(note_sections(content, causes), 1)
    )
