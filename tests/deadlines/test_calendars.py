"""Calendars from the database: schedules, exceptions, national days, edits, missing years."""

from datetime import date, time

import pytest

from deadlines import services
from deadlines.calendars import calendar_for
from deadlines.engine import CalendarDataMissing
from deadlines.models import (
    CalendarDay,
    MunicipalCalendarException,
    WorkInterval,
    WorkSchedule,
)
from tests.deadlines.conftest import nsk
from tests.reference import TEST_CALENDAR_NOTE

MONDAY_9 = nsk(2026, 5, 18, 9, 0)


def test_default_schedule_and_zone_of_the_municipality(world, defaults):
    # Only the shipped calendar: not the years the tests add around a shifted today.
    CalendarDay.objects.filter(note=TEST_CALENDAR_NOTE).delete()
    cal = calendar_for(world.mun)
    assert str(cal.tz) == "Asia/Novokuznetsk"
    assert cal.intervals_on(date(2026, 5, 18)) == [(time(8), time(17))]
    # ТК РФ ст. 95: the day before a holiday is an hour shorter.
    assert cal.intervals_on(date(2026, 5, 8)) == [(time(8), time(16))]
    assert cal.intervals_on(date(2026, 5, 11)) == []  # moved day off (9 May)
    assert cal.covered_years == (2025, 2026, 2027)


def test_own_schedule_with_a_lunch_break(make_case, world):
    schedule = WorkSchedule.objects.create(municipality=world.mun, name="С обедом")
    for wd in range(5):
        WorkInterval.objects.create(schedule=schedule, weekday=wd, start=time(8), end=time(12))
        WorkInterval.objects.create(schedule=schedule, weekday=wd, start=time(13), end=time(17))
    clock = services.deadline_start(case=make_case(), stage="answer", started_at=MONDAY_9)
    # 09–12 and 13–17 give 420 minutes; the last 60 are Tuesday 08:00–09:00.
    assert clock.due_at == nsk(2026, 5, 19, 9, 0)
    # Other municipalities keep the default schedule.
    assert calendar_for(world.mun_other).intervals_on(date(2026, 5, 18)) == [(time(8), time(17))]


def test_municipal_exception_overrides_the_national_calendar(make_case, world):
    # «В праздничные дни график работы определяет ЦУР»: Monday 11 May 2026 (a national day
    # off) is worked 09:00–13:00 in Междуреченск.
    MunicipalCalendarException.objects.create(
        municipality=world.mun,
        date=date(2026, 5, 11),
        is_day_off=False,
        intervals="09:00–13:00",
    )
    clock = services.deadline_start(
        case=make_case(), stage="answer", started_at=nsk(2026, 5, 8, 16, 30)
    )
    # 240 minutes on Monday 11 May, 240 more on Tuesday from 08:00.
    assert clock.due_at == nsk(2026, 5, 12, 12, 0)


def test_municipal_day_off(make_case, world):
    MunicipalCalendarException.objects.create(municipality=world.mun, date=date(2026, 5, 18))
    clock = services.deadline_start(case=make_case(), stage="answer", started_at=MONDAY_9)
    assert clock.due_at == nsk(2026, 5, 19, 16, 0)


def test_calendar_edit_recomputes_only_open_clocks(make_case, world):
    case = make_case()
    answer = services.deadline_start(case=case, stage="answer", started_at=MONDAY_9)
    first_reply = services.deadline_start(case=case, stage="first_reply", started_at=MONDAY_9)
    services.deadline_meet(case=case, stage="first_reply", at=nsk(2026, 5, 18, 9, 30))
    other = make_case(municipality=world.mun_other, organisation=world.org_other)
    other_clock = services.deadline_start(
        case=other, stage="answer", started_at=nsk(2026, 5, 18, 9, 0)
    )
    other_due = other_clock.due_at

    # Monday 18 May becomes a short day in Междуреченск only.
    MunicipalCalendarException.objects.create(
        municipality=world.mun,
        date=date(2026, 5, 18),
        is_day_off=False,
        intervals="08:00-12:00",
    )
    assert services.calendar_changed(municipality=world.mun, now=MONDAY_9) == 1

    answer.refresh_from_db()
    first_reply.refresh_from_db()
    other_clock.refresh_from_db()
    assert answer.due_at == nsk(2026, 5, 19, 13, 0)  # 180 min Monday + 300 Tuesday
    assert answer.started_at == MONDAY_9
    assert first_reply.due_at == nsk(2026, 5, 18, 10, 0)  # met: history kept
    assert other_clock.due_at == other_due


def test_national_calendar_edit_recomputes_everywhere(make_case, world):
    case = make_case()
    clock = services.deadline_start(case=case, stage="answer", started_at=nsk(2026, 5, 18, 16, 0))
    assert clock.due_at == nsk(2026, 5, 19, 15, 0)  # 60 min Monday, 420 Tuesday
    CalendarDay.objects.create(date=date(2026, 5, 19), kind="day_off", note="Решение ЦУР")
    assert services.calendar_changed(now=MONDAY_9) == 1
    clock.refresh_from_db()
    assert clock.due_at == nsk(2026, 5, 20, 15, 0)


def test_a_year_without_data_is_a_clear_error(make_case):
    from django.db.models import Max

    case = make_case(kind="appeal")
    # The first year after every row: never covered, whatever today's date is.
    year = CalendarDay.objects.aggregate(last=Max("year"))["last"] + 1
    with pytest.raises(CalendarDataMissing, match=str(year)):
        services.deadline_start(case=case, stage="answer", started_at=nsk(year, 3, 1, 9, 0))


def test_a_term_running_into_a_deleted_year_is_an_error(make_case):
    CalendarDay.objects.filter(year=2027).delete()
    services.calendar_changed()
    case = make_case(kind="appeal")
    # 59-ФЗ ст. 12: 30 days from 20 December 2026 end in January 2027.
    with pytest.raises(CalendarDataMissing, match="2027"):
        services.deadline_start(case=case, stage="answer", started_at=nsk(2026, 12, 20, 9, 0))
    # A term inside 2026 still works.
    assert (
        services.deadline_start(case=case, stage="register", started_at=nsk(2026, 12, 1, 9, 0))
        is not None
    )


def test_an_edit_outside_the_services_is_seen_through_the_version(world, defaults, settings):
    settings.DEADLINES = {**settings.DEADLINES, "CALENDAR_VERSION_TTL": 0}
    assert calendar_for(world.mun).is_working_day(date(2026, 5, 18))
    MunicipalCalendarException.objects.create(municipality=world.mun, date=date(2026, 5, 18))
    assert not calendar_for(world.mun).is_working_day(date(2026, 5, 18))


def test_exception_validation(world):
    from django.core.exceptions import ValidationError

    bad = MunicipalCalendarException(
        municipality=world.mun, date=date(2026, 5, 18), is_day_off=False, intervals="13:00-12:00"
    )
    with pytest.raises(ValidationError):
        bad.full_clean()
    both = MunicipalCalendarException(
        municipality=world.mun, date=date(2026, 5, 18), is_day_off=True, intervals="09:00-12:00"
    )
    with pytest.raises(ValidationError):
        both.full_clean()
    ok = MunicipalCalendarException(
        municipality=world.mun,
        date=date(2026, 5, 18),
        is_day_off=False,
        intervals="09:00–12:00, 13:00-24:00",
    )
    ok.full_clean()
    assert ok.day_intervals() == [(time(9), time(12)), (time(13), time(0))]


def test_an_empty_calendar_table_falls_back_to_the_shipped_data(make_case):
    # A flushed test database or a seed that never ran: the shipped calendar, the same data
    # the seed loads, still knows 11 May 2026 is a day off.
    CalendarDay.objects.all().delete()
    services.calendar_changed()
    clock = services.deadline_start(
        case=make_case(), stage="answer", started_at=nsk(2026, 5, 8, 16, 30)
    )
    assert clock.due_at == nsk(2026, 5, 12, 16, 0)


@pytest.mark.django_db
def test_shortened_working_saturday_keeps_both_facts_from_the_database():
    """2025-11-01 was a working Saturday and a pre-holiday day: 08:00–16:00 (ТК РФ ст. 95)."""
    from datetime import date, time

    from deadlines.calendars import national_calendar

    y2025 = national_calendar()[2025]
    assert date(2025, 11, 1) in y2025.working_weekends
    assert date(2025, 11, 1) in y2025.shortened
    y2027 = national_calendar()[2027]
    assert date(2027, 2, 20) in y2027.working_weekends
    assert date(2027, 2, 20) in y2027.shortened
    from deadlines.engine import BusinessCalendar

    cal = BusinessCalendar(tz="Asia/Novokuznetsk", national=national_calendar())
    assert cal.intervals_on(date(2025, 11, 1)) == [(time(8, 0), time(16, 0))]
