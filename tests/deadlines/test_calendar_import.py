"""Importing an official production calendar: parsing and validation (no database), the
``import_calendar`` command and its service, and the heads' warning before the loaded
calendar ends.

The XML files in ``tests/deadlines/data/`` are in the open format of Russian production
calendars. 2025 and 2026 were written from the official facts (the decrees of 04.10.2024
№ 1335 and of 24.09.2025, ТК РФ ст. 95, 112; the same facts as the shipped JSON); 2028 is a
plausible year made up for the tests: Sat 1 Jan → Mon 8 May, Sun 2 Jan → Fri 29 Dec, Sat
4 Nov → Mon 6 Nov (ст. 112 ч. 2), shortened 22 Feb, 7 Mar, 3 Nov.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from deadlines import services
from deadlines.calendar_import import (
    MAX_FILE_BYTES,
    CalendarImportError,
    ImportedDay,
    parse_calendar_bytes,
    parse_calendar_file,
)
from deadlines.calendars import calendar_for
from deadlines.defaults import calendar_rows
from deadlines.engine import CalendarDataMissing, Unit, compute_due
from deadlines.models import CalendarDay
from deadlines.production_calendar import DATA_PATH, load_national_calendar
from deadlines.tasks import warn_calendar_expiry
from mcu.choices import Role
from mcu.models import Notification, User
from tests.deadlines.conftest import nsk
from tests.factories import UserFactory

DATA = Path(__file__).resolve().parent / "data"
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture(autouse=True)
def _shipped_calendar_only(request):
    """These tests read the calendar as shipped: the suite's stand-in rows for the years
    around a shifted "today" (tests/reference.py) are taken out for the test."""
    if not {"db", "world", "heads", "make_case"} & set(request.fixturenames):
        return
    request.getfixturevalue("db")
    from deadlines.calendars import calendars_invalidate
    from deadlines.models import CalendarDay
    from tests.reference import TEST_CALENDAR_NOTE

    CalendarDay.objects.filter(note=TEST_CALENDAR_NOTE).delete()
    calendars_invalidate()


def _xml(year: int) -> str:
    return (DATA / f"calendar_{year}.xml").read_text(encoding="utf-8")


def _parse(text: str):
    (year,) = parse_calendar_bytes(text.encode("utf-8"))
    return year


def _refusal(text: str | bytes) -> list[str]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(CalendarImportError) as exc:
        parse_calendar_bytes(data)
    return exc.value.errors


def _add_day(text: str, day: str) -> str:
    return text.replace("  </days>", f"    {day}\n  </days>")


def _drop_day(text: str, md: str) -> str:
    lines = [line for line in text.splitlines() if f'd="{md}"' not in line]
    assert len(lines) == len(text.splitlines()) - 1, md
    return "\n".join(lines)


def _run(*args) -> str:
    out = io.StringIO()
    call_command("import_calendar", *args, stdout=out)
    return out.getvalue()


def _rows(year: int) -> list[tuple]:
    return list(
        CalendarDay.objects.filter(year=year)
        .order_by("date")
        .values_list("date", "kind", "note", "updated_at")
    )


# ---------------------------------------------------------------------------------------
# Parsing against the official facts
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026])
def test_official_xml_gives_exactly_the_shipped_calendar(year):
    imported = parse_calendar_file(DATA / f"calendar_{year}.xml")
    assert len(imported) == 1
    result = imported[0]
    assert result.year == year and result.format == "xml"
    shipped = load_national_calendar()[year]
    assert result.data == shipped
    assert {(d.date, d.kind) for d in result.days} == {
        (r["date"], r["kind"]) for r in calendar_rows([year])
    }
    assert result.data.working_days_count() == 247
    assert result.data.hours_40h_week() == 1972
    assert result.warnings == []


def test_2025_working_saturday_given_as_t2_with_the_monday_it_freed():
    # The published 2025 file: <day d="11.01" t="2"/> and <day d="11.03" t="1" f="11.01"/>.
    result = _parse(_xml(2025))
    kinds = {d.date: d for d in result.days}
    assert kinds[date(2025, 11, 1)].kind == "shortened"
    assert date(2025, 11, 1) in result.data.working_weekends
    assert kinds[date(2025, 11, 3)].note == "Перенесённый выходной (с 01.11.2025)"
    assert kinds[date(2025, 1, 7)].note == "Рождество Христово (ТК РФ ст. 112)"


def test_working_weekend_as_t3_naming_the_weekday_it_frees():
    # The other spelling: <day d="11.01" t="3" f="11.03"/> — a working Saturday, not shortened.
    text = _xml(2025).replace('<day d="11.01" t="2"/>', '<day d="11.01" t="3" f="11.03"/>')
    text = text.replace('<day d="11.03" t="1" f="11.01"/>', '<day d="11.03" t="1"/>')
    result = _parse(text)
    assert date(2025, 11, 1) in result.data.working_weekends
    assert date(2025, 11, 1) not in result.data.shortened
    assert date(2025, 11, 3) in result.data.days_off
    # ТК РФ ст. 95 says 1 Nov (it stands for 3 Nov, the day before 4 Nov) should be shorter.
    assert result.warnings == [
        "01.11.2025 сб: рабочий день перед праздником не сокращён (ТК РФ ст. 95)"
    ]


def test_project_json_gives_the_shipped_calendar():
    imported = parse_calendar_file(DATA_PATH)
    assert [y.year for y in imported] == [2025, 2026, 2027]
    shipped = load_national_calendar()
    for result in imported:
        assert result.format == "json"
        assert result.data == shipped[result.year]
        assert [(d.date, d.kind, d.note) for d in result.days] == [
            (r["date"], r["kind"], r["note"]) for r in calendar_rows([result.year])
        ]


def test_plausible_2028():
    result = _parse(_xml(2028))
    assert result.data.working_days_count() == 247
    assert result.data.hours_40h_week() == 247 * 8 - 3
    assert result.published == "2027.09.20"
    assert result.warnings == []


# ---------------------------------------------------------------------------------------
# Refusals (each with a clear Russian message)
# ---------------------------------------------------------------------------------------

REFUSALS = [
    ("no such date", lambda t: _add_day(t, '<day d="02.30" t="1"/>'), "такой даты нет в 2026"),
    (
        "date of another year",
        lambda t: _add_day(t, '<day d="2027.05.04" t="1"/>'),
        "не относится к 2026 году",
    ),
    ("bad date", lambda t: _add_day(t, '<day d="4 мая" t="1"/>'), "ожидается дата в виде ММ.ДД"),
    ("unknown type", lambda t: _add_day(t, '<day d="08.04" t="4"/>'), "t=«4»"),
    ("twice", lambda t: _add_day(t, '<day d="05.01" t="2"/>'), "01.05.2026 пт указан дважды"),
    ("unknown holiday", lambda t: _add_day(t, '<day d="08.04" t="1" h="9"/>'), "h=«9»"),
    (
        "t=3 on a weekday",
        lambda t: _add_day(t, '<day d="08.04" t="3"/>'),
        "04.08.2026 вт: рабочий выходной (t=3) приходится на будний день",
    ),
    (
        "t=2 on a plain weekend",
        lambda t: _add_day(t, '<day d="03.07" t="2"/>'),
        "07.03.2026 сб: сокращённый день (t=2) в выходной, который не объявлен рабочим",
    ),
    (
        "transfer from a plain weekday",
        lambda t: _add_day(t, '<day d="08.04" t="1" f="08.03"/>'),
        "выходной перенесён с 03.08.2026 пн, а это будний день, не праздник",
    ),
    (
        "transfer from a weekend that stays off",
        lambda t: _add_day(t, '<day d="08.04" t="1" f="08.01"/>'),
        "выходной перенесён с 01.08.2026 сб, но тот остался выходным",
    ),
    (
        "transfer onto a weekend",
        lambda t: _add_day(t, '<day d="08.01" t="1" f="05.09"/>').replace(
            '<day d="05.11" t="1" f="05.09"/>', '<day d="05.11" t="1"/>'
        ),
        "01.08.2026 сб: выходной перенесён на выходной",
    ),
    (
        "one source moved twice",
        lambda t: _add_day(t, '<day d="08.04" t="1" f="03.08"/>'),
        "08.03.2026 вс перенесён 2 раза",
    ),
    (
        "t=3 freeing a working day",
        lambda t: _add_day(t, '<day d="08.01" t="3" f="08.03"/>'),
        "03.08.2026 пн: на него перенесён выходной с 01.08.2026 сб, но сам день рабочий",
    ),
    (
        "no New Year holidays",
        lambda t: "\n".join(line for line in t.splitlines() if 'd="01.0' not in line),
        "В 2026 году нет новогодних каникул",
    ),
    (
        "a public holiday worked",
        lambda t: _drop_day(t, "05.01"),
        "01.05.2026 пт — нерабочий праздничный день (ТК РФ ст. 112), а в файле рабочий",
    ),
    (
        "too few working days",
        lambda t: _add_day(
            t, "".join(f'<day d="08.{d:02d}" t="1"/>' for d in range(3, 32) if d % 7 not in (1, 2))
        ),
        "выходит 226 рабочих дней, ожидается от 240 до 255",
    ),
    (
        "DTD with entities",
        lambda t: t.replace(
            '<calendar year="2026"',
            '<!DOCTYPE calendar [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
            '<calendar year="2026"',
        ),
        "XML с DTD или сущностями",
    ),
    ("broken XML", lambda t: t[: len(t) // 2], "Файл не является корректным XML"),
    ("another country", lambda t: t.replace('country="ru"', 'country="by"'), 'country="ru"'),
    (
        "wrong root",
        lambda t: t.replace("<calendar ", "<kalendar ").replace("</calendar>", "</kalendar>"),
        "<calendar>",
    ),
    ("no year", lambda t: t.replace('year="2026"', 'year="двадцать"'), "ожидается год"),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusals(mutate, message):
    errors = _refusal(mutate(_xml(2026)))
    assert any(message in e for e in errors), errors


def test_all_problems_are_reported_together():
    text = _add_day(_xml(2026), '<day d="08.04" t="3"/>')
    text = _add_day(text, '<day d="08.05" t="1" f="08.03"/>')
    assert len(_refusal(text)) == 2


def test_refuses_a_huge_file():
    assert "Файл больше" in _refusal(b"<" + b" " * MAX_FILE_BYTES)[0]


def test_refuses_an_unknown_format():
    assert "Неизвестный формат" in _refusal("2026;01.01;1")[0]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda y: y.update(totals={"working_days": 250}), "totals.working_days = 250"),
        (lambda y: y["non_working_holidays"].append("2027-08-03"), "не относится к 2026 году"),
        (lambda y: y["working_weekends"].append("2026-08-03"), "приходится на будний день"),
        (lambda y: y["shortened_days"].append("2026-05-01"), "и нерабочий, и рабочий"),
    ],
)
def test_json_refusals(mutate, message):
    import json

    raw = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    year = raw["2026"]
    mutate(year)
    errors = _refusal(json.dumps({"2026": year}))
    assert any(message in e for e in errors), errors


# ---------------------------------------------------------------------------------------
# The command and the service (database)
# ---------------------------------------------------------------------------------------


def test_dry_run_of_the_official_2026_shows_no_difference(db):
    before = _rows(2026)
    out = _run(str(DATA / "calendar_2026.xml"))
    assert "Производственный календарь на 2026 год" in out
    assert "Разница с базой: нет, дни совпадают." in out
    assert "рабочих дней 247, часов при 40-часовой неделе 1972; в базе сейчас: 247 и 1972" in out
    assert "Пробный запуск: в базу ничего не записано" in out
    assert _rows(2026) == before


def test_dry_run_shows_added_removed_and_changed_days(db):
    CalendarDay.objects.filter(date=date(2026, 11, 3)).update(kind="day_off")
    CalendarDay.objects.filter(date=date(2026, 12, 31)).delete()
    CalendarDay.objects.create(date=date(2026, 8, 3), kind="day_off", note="проба")
    before = _rows(2026)
    out = _run(str(DATA / "calendar_2026.xml"))
    assert "добавлено 1, удалено 1, изменено 1" in out
    assert "+ 31.12.2026 чт  нерабочий — Перенесённый выходной (с 04.01.2026)" in out
    assert "- 03.08.2026 пн  нерабочий (станет обычным днём пятидневки)" in out
    assert "~ 03.11.2026 вт  нерабочий → сокращённый (ТК РФ ст. 95)" in out
    assert "в базе сейчас: 246 и 1965" in out
    assert _rows(2026) == before


def test_2028_imported_then_terms_are_computed_in_2028(world):
    start = nsk(2028, 5, 5, 16, 30)  # Friday; Mon 8 May (moved) and Tue 9 May are off
    with pytest.raises(CalendarDataMissing):
        compute_due(start, 480, Unit.WORKING_MINUTES, calendar_for(world.mun))
    out = _run(str(DATA / "calendar_2028.xml"))
    assert "В базе календаря на 2028 год нет." in out
    assert "добавлено 20, удалено 0, изменено 0" in out
    assert not CalendarDay.objects.filter(year=2028).exists()  # a dry run

    out = _run(str(DATA / "calendar_2028.xml"), "--apply")
    assert "Записано в базу: 2028." in out
    assert CalendarDay.objects.filter(year=2028).count() == 20
    cal = calendar_for(world.mun)  # the service dropped the cached calendars
    # 30 minutes on Friday, then Wednesday 10 May 08:00 + 7.5 h.
    assert compute_due(start, 480, Unit.WORKING_MINUTES, cal) == nsk(2028, 5, 10, 15, 30)
    # Fri 3 Nov is shortened (ст. 95: ends 16:00), Mon 6 Nov is off (ст. 112 ч. 2).
    assert compute_due(nsk(2028, 11, 2, 10), 1, Unit.WORKING_DAYS, cal) == nsk(2028, 11, 3, 16)
    assert compute_due(nsk(2028, 11, 2, 10), 2, Unit.WORKING_DAYS, cal) == nsk(2028, 11, 7, 17)


@pytest.mark.parametrize("apply", [False, True])
def test_command_refuses_and_writes_nothing(db, tmp_path, apply):
    before = _rows(2026)
    bad = tmp_path / "calendar.xml"
    bad.write_text(_drop_day(_xml(2026), "05.01"), encoding="utf-8")
    args = [str(bad)] + (["--apply"] if apply else [])
    with pytest.raises(CommandError) as exc:
        _run(*args)
    assert str(exc.value).startswith("Календарь не загружен, в базу ничего не записано:")
    assert "01.05.2026 пт — нерабочий праздничный день" in str(exc.value)
    assert _rows(2026) == before


def test_command_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Не удалось прочитать файл"):
        _run(str(tmp_path / "nope.xml"))


def test_command_year_option_picks_years_of_a_json(db):
    out = _run(str(DATA_PATH), "--year", "2027")
    assert "на 2027 год" in out and "на 2025 год" not in out
    with pytest.raises(CommandError, match="В файле нет 2030 года"):
        _run(str(DATA_PATH), "--year", "2030")


def test_apply_is_atomic(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("recompute failed")

    monkeypatch.setattr(services, "calendar_changed", broken)
    with pytest.raises(RuntimeError):
        _run(str(DATA / "calendar_2028.xml"), "--apply")
    assert not CalendarDay.objects.filter(year=2028).exists()


def test_apply_recomputes_open_clocks(make_case):
    # Fri 15 May 2026 12:00 + 8 working hours: 5 h on Friday, 3 h on Monday → Mon 11:00.
    clock = services.deadline_start(
        case=make_case(), stage="answer", started_at=nsk(2026, 5, 15, 12)
    )
    assert clock.due_at == nsk(2026, 5, 18, 11)
    # A corrected 2026 calendar: Monday 18 May becomes a day off.
    text = _add_day(_xml(2026), '<day d="05.18" t="1"/>')
    (imported,) = parse_calendar_bytes(text.encode())
    diff = services.production_calendar_import(year=2026, days=imported.days)
    assert diff.added == [(date(2026, 5, 18), "day_off", "Нерабочий день")]
    assert diff.after.working_days == 246
    assert diff.recomputed == 1
    clock.refresh_from_db()
    assert clock.due_at == nsk(2026, 5, 19, 11)
    assert CalendarDay.objects.get(date=date(2026, 5, 18)).kind == "day_off"


def test_apply_replaces_the_year_only(db):
    CalendarDay.objects.create(date=date(2026, 8, 3), kind="day_off", note="проба")
    before_2025 = _rows(2025)
    out = _run(str(DATA / "calendar_2026.xml"), "--apply")
    assert "удалено 1" in out
    assert not CalendarDay.objects.filter(date=date(2026, 8, 3)).exists()
    assert CalendarDay.objects.filter(year=2026).count() == 22
    assert _rows(2025) == before_2025


def test_service_refuses_days_of_another_year(db):
    with pytest.raises(ValueError):
        services.production_calendar_import(
            year=2026, days=[ImportedDay(date=date(2027, 1, 1), kind="day_off")]
        )


# ---------------------------------------------------------------------------------------
# The heads are warned 90 days before the loaded calendar ends
# ---------------------------------------------------------------------------------------

TITLE_2027 = (
    "Производственный календарь загружен только до 31.12.2027: загрузите календарь на 2028 год"
)


@pytest.fixture
def heads(world):
    inactive = UserFactory(role=Role.HEAD, municipality=world.mun_other, is_active=False)
    other = UserFactory(role=Role.HEAD, municipality=world.mun_other)
    assert not inactive.is_active
    return set(User.objects.filter(role=Role.HEAD, is_active=True)) | {other}


def _expiry_notices():
    return Notification.objects.filter(event="calendar.expiring")


def test_no_warning_before_90_days(heads):
    # 31.12.2027 − 90 days = 2 Oct 2027.
    assert services.production_calendar_expiry_warn(now=datetime(2027, 10, 1, 23, tzinfo=MSK)) == 0
    assert not _expiry_notices().exists()


def test_heads_warned_once_from_90_days_before_the_end(heads):
    now = datetime(2027, 10, 2, 9, tzinfo=MSK)
    assert services.production_calendar_expiry_warn(now=now) == len(heads)
    notices = _expiry_notices()
    assert {n.recipient for n in notices} == heads
    assert {n.title for n in notices} == {TITLE_2027}
    assert {n.url for n in notices} == {reverse("admin:deadlines_calendarday_changelist")}
    assert all(n.recipient.role == Role.HEAD and n.recipient.is_active for n in notices)
    # Daily runs after that send nothing again.
    for days in (1, 30, 89):
        assert services.production_calendar_expiry_warn(now=now + timedelta(days=days)) == 0
    assert _expiry_notices().count() == len(heads)


def test_next_year_loaded_moves_the_warning(heads):
    call_command(
        "import_calendar", str(DATA / "calendar_2028.xml"), "--apply", stdout=io.StringIO()
    )
    assert services.production_calendar_expiry_warn(now=datetime(2027, 12, 1, tzinfo=MSK)) == 0
    assert services.production_calendar_expiry_warn(now=datetime(2028, 10, 2, tzinfo=MSK)) == len(
        heads
    )
    assert set(_expiry_notices().values_list("title", flat=True)) == {
        "Производственный календарь загружен только до 31.12.2028: загрузите календарь на 2029 год"
    }


def test_a_year_already_without_calendar_still_warns(heads):
    # Nothing loaded for the current year at all (2028 in a desk that has 2025–2027).
    assert services.production_calendar_expiry_warn(now=datetime(2028, 1, 10, tzinfo=MSK)) == len(
        heads
    )
    assert set(_expiry_notices().values_list("title", flat=True)) == {TITLE_2027}


def test_the_daily_task_warns_on_a_frozen_clock(heads, django_capture_on_commit_callbacks):
    time_machine = pytest.importorskip("time_machine")
    with time_machine.travel(datetime(2027, 11, 15, 9, tzinfo=MSK), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert warn_calendar_expiry.delay().get() == len(heads)
        assert warn_calendar_expiry.delay().get() == 0
    assert {n.recipient for n in _expiry_notices()} == heads


def test_the_daily_task_is_in_the_beat_schedule():
    from mcu.celery import app

    entry = app.conf.beat_schedule["deadlines-calendar-expiry"]
    assert entry["task"] == "deadlines.calendar_expiry_warn"
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {0}
