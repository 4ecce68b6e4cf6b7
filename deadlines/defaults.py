"""The shipped defaults: policies, rules, the default weekly schedule, the national calendar.

Plain data plus loaders that take the model classes as arguments, so the data migration
(historical models) and the idempotent service ``deadline_defaults_load`` (current models)
run the same code. Loading never overwrites a row that exists: what the head of the centre
edited in the admin stays.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any

from deadlines.production_calendar import (
    DATA_PATH,
    PUBLIC_HOLIDAYS_ART_112,
    YearData,
    parse_calendar,
)

WM, CM, WD, CD, EXPLICIT = (
    "working_minutes",
    "calendar_minutes",
    "working_days",
    "calendar_days",
    "explicit",
)

# (code, name, unit, amount, warn_share, escalation_1_delay, escalation_2_delay, notify,
#  source). Delays are calendar minutes: after the breach, then after the first step.
POLICIES: list[tuple[str, str, str, int, str | None, int | None, int | None, bool, str]] = [
    (
        "incident.first_reply",
        "Первичный ответ на инцидент",
        WM,
        60,
        "0.75",
        30,
        60,
        True,
        "Междуреченск 3.7: «первичный ответ должен быть дан с указанием исполнения сроков "
        "в течение часа»",
    ),
    (
        "incident.answer",
        "Ответ на инцидент",
        WM,
        480,
        "0.75",
        60,
        120,
        True,
        "Междуреченск 3.8: «срок предоставления ответа на вопросы – 8 рабочих часов»",
    ),
    (
        "incident.fast_track",
        "Ответ на инцидент повышенной важности",
        CM,
        240,
        "0.75",
        30,
        60,
        True,
        "Междуреченск 3.8: «на вопросы с повышенной важностью (фаст трек) – 4 часа»",
    ),
    (
        "incident.first_reply_fast",
        "Первичный ответ на инцидент повышенной важности",
        CM,
        60,
        "0.75",
        15,
        30,
        True,
        "Междуреченск 3.7 и 3.8: на фаст-треке все сроки идут в календарном времени, "
        "чтобы первичный ответ не наступал позже ответа",
    ),
    (
        "executor.reassign_window_fast",
        "Окно запроса переназначения (повышенная важность)",
        CM,
        30,
        None,
        None,
        None,
        False,
        "Междуреченск §2 и 3.8: 30 минут, на фаст-треке — календарных",
    ),
    (
        "incident.comment",
        "Ответ на комментарий на официальной странице",
        CM,
        90,
        "0.75",
        30,
        60,
        True,
        "Мещовск, прил. 2: «за работу в рамках отработки комментариев в течение 90 минут» "
        "(календарных); правило этого МО, а не общее",
    ),
    (
        "executor.reassign_window",
        "Окно запроса переназначения",
        WM,
        30,
        None,
        None,
        None,
        False,
        "Междуреченск §2: «оперативно (в течение 30 минут) связаться … для "
        "переназначения исполнителя»",
    ),
    (
        "pos.answer",
        "Ответ на сообщение ПОС",
        CD,
        20,
        "0.75",
        1440,
        1440,
        True,
        "Лабытнанги 3.4.2 в): «направление ответов на сообщения в течение 20 календарных дней»",
    ),
    (
        "pos.priority_answer",
        "Ответ на сообщение ПОС приоритетной категории",
        WD,
        5,
        "0.75",
        240,
        480,
        True,
        "Лабытнанги 3.4.2 в): «по перечню категорий (подкатегорий) сообщений, установленному в "
        "приложении N 2 к постановлению Правительства ЯНАО от 02.06.2021 N 470-П, - в течение "
        "5 рабочих дней»",
    ),
    (
        "appeal.register",
        "Регистрация обращения",
        CD,
        3,
        "0.75",
        1440,
        1440,
        True,
        "59-ФЗ ст. 8 ч. 2: регистрация в течение трёх дней с момента поступления",
    ),
    (
        "appeal.forward",
        "Переадресация обращения по компетенции",
        CD,
        7,
        "0.75",
        1440,
        1440,
        True,
        "59-ФЗ ст. 8 ч. 3: направление в течение семи дней со дня регистрации",
    ),
    (
        "appeal.answer",
        "Ответ на обращение",
        CD,
        30,
        "0.75",
        1440,
        2880,
        True,
        "59-ФЗ ст. 12 ч. 1: тридцать дней со дня регистрации",
    ),
    (
        "resident.reaction",
        "Ожидание реакции заявителя",
        CM,
        2880,
        None,
        None,
        None,
        False,
        "Междуреченск 3.6: «если житель в течении двух дней не напишет комментарий, то ответ "
        "будет считаться готовым»",
    ),
    (
        "hotline.answer",
        "Ответ по телефону доверия",
        WM,
        480,
        "0.75",
        60,
        120,
        True,
        "Лабытнанги 3.4.2 г): «в максимально сжатые сроки»; по умолчанию 8 рабочих часов",
    ),
    (
        "case.promise",
        "Обещанный срок промежуточного ответа",
        EXPLICIT,
        0,
        "0.75",
        60,
        120,
        True,
        "Междуреченск §2: «контроль за своевременным предоставлением информации … сроки "
        "которых были указаны в промежуточных ответах»",
    ),
]

# (stage, kind, channel, fast_track, policy code, priority, is_active, note)
RULES: list[tuple[str, str, str, bool | None, str, int, bool, str]] = [
    ("first_reply", "incident", "", None, "incident.first_reply", 0, True, ""),
    ("answer", "incident", "", None, "incident.answer", 0, True, ""),
    # Fast-track beats the official-comment rule of equal specificity (priority 10).
    ("answer", "incident", "", True, "incident.fast_track", 10, True, ""),
    # Fast-track (Междуреченск 3.8): every clock of the case runs in calendar time.
    ("first_reply", "incident", "", True, "incident.first_reply_fast", 10, True, ""),
    ("reassign_window", "", "", True, "executor.reassign_window_fast", 10, True, ""),
    ("answer", "pos", "", None, "pos.answer", 0, True, ""),
    (
        "answer",
        "pos",
        "",
        None,
        "pos.priority_answer",
        0,
        False,
        "Заполните перечень категорий (приложение N 2 к постановлению Правительства ЯНАО от "
        "02.06.2021 N 470-П) и включите правило: без категорий оно подошло бы ко всем "
        "сообщениям ПОС.",
    ),
    ("register", "appeal", "", None, "appeal.register", 0, True, ""),
    ("forward", "appeal", "", None, "appeal.forward", 0, True, ""),
    ("answer", "appeal", "", None, "appeal.answer", 0, True, ""),
    ("answer", "hotline", "", None, "hotline.answer", 0, True, ""),
    ("reassign_window", "", "", None, "executor.reassign_window", 0, True, ""),
    ("reaction", "", "", None, "resident.reaction", 0, True, ""),
    ("promise", "", "", None, "case.promise", 0, True, ""),
]

#: Policies with a ceiling: the promised date of an interim answer is at most this many
#: calendar days after its publication (editable in the admin).
MAX_DAYS = {"case.promise": 30}

#: Rules of one municipality only, created by whoever sets the municipality up (the demo
#: seed, the head in the admin): Мещовск, прил. 2 — comments within 90 minutes.
MUNICIPAL_RULES = {
    "meshchovsk": [("answer", "incident", "official_comment", None, "incident.comment", 0)],
}

DEFAULT_SCHEDULE_NAME = "По умолчанию: пн–пт 08:00–17:00"
# Междуреченск 3.3: «понедельник-пятница — с 08:00 до 17:00».
DEFAULT_INTERVALS = [(wd, time(8, 0), time(17, 0)) for wd in range(5)]


def calendar_rows(years: list[int] | None = None) -> list[dict[str, Any]]:
    """The shipped production calendar as CalendarDay field dicts (date, year, kind, note)."""
    with DATA_PATH.open(encoding="utf-8") as fh:
        raw = json.load(fh)
    parsed = parse_calendar(raw)
    rows: list[dict[str, Any]] = []
    for year, yd in sorted(parsed.items()):
        if years is not None and year not in years:
            continue
        moved = {
            date.fromisoformat(t["to"]): date.fromisoformat(t["from"])
            for t in raw[str(year)].get("transfers", ())
        }
        rows.extend(year_rows(yd, moved))
    rows.sort(key=lambda r: r["date"])
    return rows


def year_rows(
    yd: YearData, moved: Mapping[date, date], titles: Mapping[date, str] | None = None
) -> list[dict[str, Any]]:
    """CalendarDay field dicts of one year, sorted by date.

    ``moved``: transferred day off → the date it was moved from (ТК РФ ст. 112 ч. 2 and
    the government's decree under ч. 5). ``titles``: the holiday names a file gave
    («Новогодние каникулы»), used in the notes when present. Also used by the importer
    (``deadlines.calendar_import``), so shipped and imported rows read alike.
    """
    titles = titles or {}
    year = yd.year
    rows: list[dict[str, Any]] = []

    def holiday(d: date, text: str) -> str:
        return f"{titles[d]} (ТК РФ ст. 112)" if d in titles else text

    for d in sorted(yd.days_off):
        if (d.month, d.day) in PUBLIC_HOLIDAYS_ART_112 or d in titles:
            note = holiday(d, "Нерабочий праздничный день (ТК РФ ст. 112)")
        elif d in moved:
            note = f"Перенесённый выходной (с {moved[d]:%d.%m.%Y})"
        else:
            note = "Нерабочий день"
        rows.append({"date": d, "year": year, "kind": "day_off", "note": note})
    for d in sorted(yd.weekend_holidays):
        rows.append(
            {
                "date": d,
                "year": year,
                "kind": "day_off",
                "note": holiday(d, "Праздничный день в выходной (ТК РФ ст. 112)"),
            }
        )
    for d in sorted(yd.working_weekends - yd.shortened):
        rows.append(
            {
                "date": d,
                "year": year,
                "kind": "working",
                "note": "Рабочий выходной по постановлению о переносе",
            }
        )
    for d in sorted(yd.shortened):
        rows.append(
            {
                "date": d,
                "year": year,
                "kind": "shortened",
                # A working Saturday that replaced the day before a holiday is both
                # worked and shortened (2025-11-01): one row, kind «shortened».
                "note": "Рабочий выходной, предпраздничный, короче на час (ТК РФ ст. 95)"
                if d in yd.working_weekends
                else "Предпраздничный день, короче на час (ТК РФ ст. 95)",
            }
        )
    rows.sort(key=lambda r: r["date"])
    return rows


def load_calendar(CalendarDay, years: list[int] | None = None) -> int:
    """Insert the shipped calendar rows whose dates are not in the table yet; return count."""
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    new = [CalendarDay(**row) for row in calendar_rows(years) if row["date"] not in existing]
    CalendarDay.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def load_defaults(*, DeadlinePolicy, DeadlineRule, WorkSchedule, WorkInterval) -> int:
    """Create the missing default policies, rules and schedule; return how many rows."""
    created = 0
    policies = {}
    # The data migration 0002 runs with a historical model that has no ``max_days`` yet.
    has_max_days = any(f.name == "max_days" for f in DeadlinePolicy._meta.get_fields())
    for code, name, unit, amount, share, esc1, esc2, notify, source in POLICIES:
        extra = {"max_days": MAX_DAYS.get(code)} if has_max_days else {}
        policy, new = DeadlinePolicy.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "amount": amount,
                "warn_share": Decimal(share) if share else None,
                "escalation_1_delay": esc1,
                "escalation_2_delay": esc2,
                "notify": notify,
                "source": source,
                **extra,
            },
        )
        policies[code] = policy
        created += new
    # A rule is "the same" when stage, conditions and policy are: the head may have
    # changed its priority or switched it off, which we keep.
    for stage, kind, channel, fast_track, code, priority, active, note in RULES:
        _, new = DeadlineRule.objects.get_or_create(
            stage=stage,
            kind=kind,
            channel=channel,
            fast_track=fast_track,
            municipality=None,
            policy=policies[code],
            defaults={"priority": priority, "is_active": active, "note": note},
        )
        created += new
    if not WorkSchedule.objects.filter(municipality__isnull=True).exists():
        schedule = WorkSchedule.objects.create(name=DEFAULT_SCHEDULE_NAME, shorten_minutes=60)
        WorkInterval.objects.bulk_create(
            WorkInterval(schedule=schedule, weekday=wd, start=s, end=e)
            for wd, s, e in DEFAULT_INTERVALS
        )
        created += 1 + len(DEFAULT_INTERVALS)
    return created


def load_municipal_rules(*, DeadlinePolicy, DeadlineRule, municipality) -> int:
    """Create the rules of ``MUNICIPAL_RULES`` for one municipality (by slug); idempotent."""
    created = 0
    for stage, kind, channel, fast_track, code, priority in MUNICIPAL_RULES.get(
        municipality.slug, ()
    ):
        policy = DeadlinePolicy.objects.filter(code=code).first()
        if policy is None:
            continue
        _, new = DeadlineRule.objects.get_or_create(
            stage=stage,
            kind=kind,
            channel=channel,
            fast_track=fast_track,
            municipality=municipality,
            policy=policy,
            defaults={"priority": priority, "is_active": True},
        )
        created += new
    return created
