"""Hand-worked cases for every rule of the deadline engine (DESIGN §4). No database.

Every expected value was worked out by hand from the production calendar; the comment on
each case says why.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from deadlines.engine import (
    BusinessCalendar,
    CalendarDataMissing,
    Unit,
    compute_due,
    default_calendar,
    next_working_moment,
    working_seconds_between,
)

MSK = ZoneInfo("Europe/Moscow")  # +03, Ставрополь, Мещовск
NK = ZoneInfo("Asia/Novokuznetsk")  # +07, Междуреченск
EKB = ZoneInfo("Asia/Yekaterinburg")  # +05, Лабытнанги
SRT = ZoneInfo("Europe/Saratov")  # +04, Саратов

WM = Unit.WORKING_MINUTES
CM = Unit.CALENDAR_MINUTES
WD = Unit.WORKING_DAYS
CD = Unit.CALENDAR_DAYS

LUNCH_WEEK = {wd: [(time(8), time(12)), (time(13), time(17))] for wd in range(5)}


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


def due(start: datetime, amount: int, unit: str, tz: ZoneInfo = MSK) -> datetime:
    return compute_due(start, amount, unit, default_calendar(tz))


# --- the production calendar as seen by a calendar ------------------------------------------


def test_shortened_day_ends_at_16():
    # ТК РФ ст. 95: Thu 2026-04-30 precedes the 1 May holiday, so it ends an hour early.
    cal = default_calendar(MSK)
    assert cal.intervals_on(date(2026, 4, 30)) == [(time(8), time(16))]
    assert due(msk(2026, 4, 30, 15), 60, WM) == msk(2026, 4, 30, 16)
    # 60 minutes on Apr 30 until 16:00; May 1 holiday; May 2–3 weekend; Mon May 4 08:00+60.
    assert due(msk(2026, 4, 30, 15), 120, WM) == msk(2026, 5, 4, 9)


def test_transferred_day_off_2026_01_09():
    # Decree: Sat 3 Jan moved to Fri 9 Jan, so the New Year break runs to Sun 11 Jan.
    cal = default_calendar(MSK)
    assert cal.intervals_on(date(2026, 1, 9)) == []
    assert not cal.is_working_day(date(2026, 1, 9))
    assert due(msk(2026, 1, 8, 10), 60, WM) == msk(2026, 1, 12, 9)


def test_transferred_day_off_2025_05_02():
    # Wed 2025-04-30 is shortened (ends 16:00), so 16:00 is already after hours; May 1 is
    # a holiday, Fri May 2 a day off moved from Sat 4 Jan, May 3–4 the weekend.
    assert not default_calendar(MSK).is_working_day(date(2025, 5, 2))
    assert due(msk(2025, 4, 30, 16), 60, WM) == msk(2025, 5, 5, 9)


def test_working_saturday_2025_11_01_is_shortened():
    # Sat 1 Nov 2025 is worked instead of Mon 3 Nov, the day before the 4 Nov holiday:
    # a working Saturday with Monday's hours, shortened by one hour (08:00–16:00).
    cal = default_calendar(MSK)
    assert cal.intervals_on(date(2025, 11, 1)) == [(time(8), time(16))]
    # Fri 16:00–17:00 uses 60 minutes, the other 60 run on Saturday from 08:00.
    assert due(msk(2025, 10, 31, 16), 120, WM) == msk(2025, 11, 1, 9)
    # Sat 15:30–16:00 uses 30; Sun 2, Mon 3 and Tue 4 Nov are off; Wed 5 Nov 08:30.
    assert due(msk(2025, 11, 1, 15, 30), 60, WM) == msk(2025, 11, 5, 8, 30)
    # It is a working day for day counts too: 1 working day after Friday is Saturday 16:00.
    assert due(msk(2025, 10, 31, 12), 1, WD) == msk(2025, 11, 1, 16)


def test_2027_working_saturday_and_new_year():
    cal = default_calendar(MSK)
    # 2027 decree: Sat 20 Feb worked instead of Mon 22 Feb (before 23 Feb): shortened.
    assert cal.intervals_on(date(2027, 2, 20)) == [(time(8), time(16))]
    assert cal.intervals_on(date(2027, 2, 22)) == []
    # Thu 31 Dec 2026 is a day off (moved from Sun 4 Jan 2026).
    assert cal.intervals_on(date(2026, 12, 31)) == []


# --- working minutes ----------------------------------------------------------------------


def test_receipt_outside_hours_starts_next_working_morning():
    # Fri 2026-03-13 18:00 is after hours: the clock starts Mon 08:00.
    assert due(msk(2026, 3, 13, 18), 60, WM) == msk(2026, 3, 16, 9)
    # Before hours on a working day: the clock starts at 08:00 the same day.
    assert due(msk(2026, 3, 16, 6, 15), 30, WM) == msk(2026, 3, 16, 8, 30)


def test_landing_exactly_on_the_end_of_the_day_gives_17_00():
    # DESIGN §4: landing on an interval's end gives that end, not the next morning.
    assert due(msk(2026, 3, 16, 16), 60, WM) == msk(2026, 3, 16, 17)
    assert due(msk(2026, 3, 16, 8), 540, WM) == msk(2026, 3, 16, 17)
    # Starting exactly at 17:00 is after hours: one more minute is Tuesday 08:01.
    assert due(msk(2026, 3, 16, 17), 1, WM) == msk(2026, 3, 17, 8, 1)


def test_new_year_holidays():
    # Tue 2025-12-30 is a normal day (31 Dec is a moved day off, not a public holiday, so
    # no art. 95 shortening): 16:30–17:00 uses 30 minutes. 31 Dec–11 Jan are all days off
    # (31 Dec moved, 1–2 Jan holidays, 3–4 weekend, 5–8 holidays, 9 Jan moved, 10–11
    # weekend). The remaining 450 minutes run from Mon 12 Jan 08:00: 15:30.
    assert due(msk(2025, 12, 30, 16, 30), 480, WM) == msk(2026, 1, 12, 15, 30)


def test_utc_instant_that_is_another_day_locally():
    # 2026-03-02T20:00Z is Tue 2026-03-03 03:00 in Novokuznetsk (+07): before hours.
    start = datetime(2026, 3, 2, 20, tzinfo=UTC)
    assert due(start, 60, WM, NK) == datetime(2026, 3, 3, 9, tzinfo=NK)
    # The day of receipt is the *local* date (Tuesday), so 1 working day is Wednesday,
    # not Tuesday as the UTC date (Monday) would give.
    assert due(start, 1, WD, NK) == datetime(2026, 3, 4, 17, tzinfo=NK)
    assert due(start, 1, CD, NK) == datetime(2026, 3, 4, 17, tzinfo=NK)


def test_the_design_example():
    # {"start": "2026-05-08T16:30:00+07:00", "amount": 480, "unit": "working_minutes",
    #  "timezone": "Asia/Novokuznetsk"}. Fri May 8 precedes the 9 May holiday, so it ends
    # at 16:00 and 16:30 is after hours; May 9–10 weekend; Mon May 11 is 9 May moved by
    # art. 112; Tue May 12 08:00 + 480 min = 16:00.
    start = datetime.fromisoformat("2026-05-08T16:30:00+07:00")
    result = compute_due(start, 480, "working_minutes", default_calendar("Asia/Novokuznetsk"))
    assert result.isoformat() == "2026-05-12T16:00:00+07:00"


def test_seconds_and_microseconds_are_kept():
    assert due(msk(2026, 3, 16, 10, 0, 7, 123456), 60, WM) == msk(2026, 3, 16, 11, 0, 7, 123456)
    # 16:30:30.5 leaves 29 min 29.5 s today; the other 30 min 30.5 s run from 08:00 Tuesday.
    assert due(msk(2026, 3, 16, 16, 30, 30, 500000), 60, WM) == msk(2026, 3, 17, 8, 30, 30, 500000)


def test_saratov_shortened_day_before_russia_day():
    # Europe/Saratov (+04). Thu 2026-06-11 ends 16:00 (before 12 June): 30 minutes; Fri 12
    # June holiday, 13–14 weekend; Mon 15 June 08:30.
    start = datetime(2026, 6, 11, 15, 30, tzinfo=SRT)
    assert due(start, 60, WM, SRT) == datetime(2026, 6, 15, 8, 30, tzinfo=SRT)


def test_amount_zero_returns_the_start():
    # A zero term has no duration, even when the start is outside working time.
    start = msk(2026, 3, 14, 23, 59, 59)  # a Saturday night
    for unit in Unit:
        assert due(start, 0, unit) == start


def test_result_is_in_the_calendars_zone():
    start = datetime(2026, 3, 16, 6, tzinfo=UTC)  # 09:00 MSK
    result = due(start, 60, WM)
    assert result == msk(2026, 3, 16, 10)
    assert result.tzinfo == MSK
    assert result.utcoffset() == MSK.utcoffset(result)


# --- calendar minutes ---------------------------------------------------------------------


def test_calendar_minutes_over_a_weekend():
    # Fast-track 4 h = 240 calendar minutes: plain clock time, nights and weekends count.
    assert due(msk(2026, 3, 13, 22), 240, CM) == msk(2026, 3, 14, 2)
    # A UTC start (19:00Z = 22:00 MSK) comes back in the calendar's zone.
    result = due(datetime(2026, 3, 13, 19, tzinfo=UTC), 240, CM)
    assert result == msk(2026, 3, 14, 2)
    assert result.isoformat() == "2026-03-14T02:00:00+03:00"


def test_calendar_minutes_need_no_calendar_data():
    # Absolute arithmetic does not look at the production calendar, so no error in 2028.
    assert due(msk(2028, 6, 1, 10), 240, CM) == msk(2028, 6, 1, 14)


# --- working days ---------------------------------------------------------------------------


def test_five_working_days_received_on_a_holiday():
    # ПОС priority answer: 5 working days. Received Fri 2026-05-01 (holiday, not counted):
    # May 4, 5, 6, 7, 8 are days 1–5; May 8 precedes 9 May, so it ends at 16:00.
    assert due(msk(2026, 5, 1, 12), 5, WD) == msk(2026, 5, 8, 16)


def test_five_working_days_across_may_holidays():
    # Received Wed 2026-04-29 (not counted): Apr 30 (1), May 4 (2), 5 (3), 6 (4), 7 (5).
    assert due(msk(2026, 4, 29, 10), 5, WD) == msk(2026, 5, 7, 17)
    # The hour of receipt does not matter, even after hours.
    assert due(msk(2026, 4, 29, 23, 30), 5, WD) == msk(2026, 5, 7, 17)


# --- calendar days --------------------------------------------------------------------------


def test_twenty_calendar_days_landing_on_a_weekend():
    # ПОС answer, 20 calendar days (Лабытнанги, +05). Received Sun 2026-02-01: last day Sat
    # 21 Feb (ГК ст. 191: counting starts the next day), not a working day; Sun 22 Feb, and
    # Mon 23 Feb is a holiday, so the term ends Tue 24 Feb at 17:00 (ГК ст. 193).
    start = datetime(2026, 2, 1, 10, tzinfo=EKB)
    assert due(start, 20, CD, EKB) == datetime(2026, 2, 24, 17, tzinfo=EKB)
    # Received Mon 2026-03-02: last day Sun 22 Mar; next working day Mon 23 Mar.
    start = datetime(2026, 3, 2, 23, 59, tzinfo=EKB)
    assert due(start, 20, CD, EKB) == datetime(2026, 3, 23, 17, tzinfo=EKB)


def test_thirty_calendar_days_across_new_year():
    # 59-ФЗ answer, 30 days. Received 2026-12-01: last day Thu 31 Dec 2026, a day off;
    # 1–8 Jan 2027 holidays, 9–10 weekend, so the term ends Mon 11 Jan 2027 at 17:00.
    assert due(msk(2026, 12, 1, 11), 30, CD) == msk(2027, 1, 11, 17)
    # Received 2026-12-15: last day Thu 14 Jan 2027, a working day.
    assert due(msk(2026, 12, 15, 11), 30, CD) == msk(2027, 1, 14, 17)


def test_calendar_days_ending_on_a_shortened_day():
    # Received Mon 2026-04-27 + 3 days = Thu 30 Apr, shortened: due 16:00.
    assert due(msk(2026, 4, 27, 9), 3, CD) == msk(2026, 4, 30, 16)


# --- missing data -------------------------------------------------------------------------


@pytest.mark.parametrize("unit", [WM, WD, CD])
def test_a_year_without_data_raises(unit):
    with pytest.raises(CalendarDataMissing) as exc:
        due(msk(2028, 6, 1, 10), 5, unit)
    assert exc.value.year == 2028
    assert str(exc.value) == "Нет данных производственного календаря на 2028 год"


def test_a_term_running_into_a_year_without_data_raises():
    # Thu 2027-12-30 + 2 working days: 31 Dec 2027 is a day off, so the days are in 2028.
    with pytest.raises(CalendarDataMissing, match="2028"):
        due(msk(2027, 12, 30, 10), 2, WD)
    with pytest.raises(CalendarDataMissing, match="2028"):
        due(msk(2027, 12, 30, 16), 120, WM)
    with pytest.raises(CalendarDataMissing, match="2024"):
        due(msk(2024, 12, 31, 10), 60, WM)


def test_a_gap_year_in_the_data_raises():
    # Data for 2025 and 2027 but not 2026: never a silent Mon–Fri guess for 2026.
    from deadlines.production_calendar import load_national_calendar

    national = load_national_calendar()
    del national[2026]
    cal = BusinessCalendar(MSK, national=national)
    assert cal.covered_years == (2025, 2027)
    with pytest.raises(CalendarDataMissing, match="2026"):
        compute_due(msk(2025, 12, 30, 16), 120, WM, cal)
    with pytest.raises(CalendarDataMissing, match="2026"):
        cal.intervals_on(date(2026, 3, 16))
    assert compute_due(msk(2025, 3, 17, 16), 60, WM, cal) == msk(2025, 3, 17, 17)


# --- lunch breaks and municipal overrides ---------------------------------------------------


def test_lunch_break():
    cal = BusinessCalendar(MSK, weekly=LUNCH_WEEK)
    # 11:30–12:00 counts 30, the lunch hour does not, 13:00–13:30 the other 30.
    assert compute_due(msk(2026, 3, 16, 11, 30), 60, WM, cal) == msk(2026, 3, 16, 13, 30)
    # Landing exactly on the start of lunch gives 12:00.
    assert compute_due(msk(2026, 3, 16, 11, 30), 30, WM, cal) == msk(2026, 3, 16, 12)
    # Received during lunch: the clock starts at 13:00.
    assert compute_due(msk(2026, 3, 16, 12, 15), 15, WM, cal) == msk(2026, 3, 16, 13, 15)
    # On a shortened day the last interval ends an hour earlier.
    assert cal.intervals_on(date(2026, 4, 30)) == [(time(8), time(12)), (time(13), time(16))]
    # 5 working days after Apr 30: May 4–8; May 8 is shortened, so its end is 16:00.
    assert compute_due(msk(2026, 4, 30, 12), 5, WD, cal) == msk(2026, 5, 8, 16)


def test_override_day_off():
    # The municipality gives Mon 2026-03-16 off: Fri 16:00–17:00 uses 60, Tue 08:00 + 60.
    cal = BusinessCalendar(MSK, overrides={date(2026, 3, 16): []})
    assert not cal.is_working_day(date(2026, 3, 16))
    assert compute_due(msk(2026, 3, 13, 16), 120, WM, cal) == msk(2026, 3, 17, 9)
    # It is not a working day for day counts either.
    assert compute_due(msk(2026, 3, 13, 16), 1, WD, cal) == msk(2026, 3, 17, 17)


def test_override_shorter_day():
    cal = BusinessCalendar(MSK, overrides={date(2026, 3, 16): [(time(10), time(14))]})
    # Fri 16:00–17:00 uses 60; Monday opens at 10:00 and 240 minutes land exactly on 14:00.
    assert compute_due(msk(2026, 3, 13, 16), 300, WM, cal) == msk(2026, 3, 16, 14)
    assert compute_due(msk(2026, 3, 13, 16), 1, WD, cal) == msk(2026, 3, 16, 14)


def test_override_wins_over_national_data():
    cal = BusinessCalendar(
        MSK,
        overrides={
            date(2026, 3, 14): [(time(9), time(13))],  # a municipal working Saturday
            date(2026, 4, 30): [(time(8), time(17))],  # a full pre-holiday day
            date(2026, 1, 9): [(time(9), time(12))],  # works on a moved day off
        },
    )
    assert compute_due(msk(2026, 3, 13, 16, 30), 60, WM, cal) == msk(2026, 3, 14, 9, 30)
    # Overrides are exact hours: the art. 95 shortening does not apply to them.
    assert cal.intervals_on(date(2026, 4, 30)) == [(time(8), time(17))]
    assert compute_due(msk(2026, 1, 8, 10), 60, WM, cal) == msk(2026, 1, 9, 10)


def test_shortening_may_eat_more_than_the_last_interval():
    # Last interval 16:30–17:00 is shorter than the 60-minute cut: the rest (30 minutes)
    # comes off the interval before it.
    week = {wd: [(time(9), time(16)), (time(16, 30), time(17))] for wd in range(5)}
    cal = BusinessCalendar(MSK, weekly=week)
    assert cal.intervals_on(date(2026, 4, 30)) == [(time(9), time(15, 30))]


def test_a_24_hour_desk():
    # time(0) as an end means 24:00: a round-the-clock duty desk that still keeps the
    # national days off; shift work has no pre-holiday shortening here (shorten_minutes=0).
    week = {wd: [(time(0), time(0))] for wd in range(7)}
    cal = BusinessCalendar(MSK, weekly=week, shorten_minutes=0)
    assert compute_due(msk(2026, 3, 13, 23), 120, WM, cal) == msk(2026, 3, 14, 1)
    # Sat 2026-05-09 is a public holiday (on a weekend) and Mon May 11 its moved day off.
    assert not cal.is_working_day(date(2026, 5, 9))
    assert compute_due(msk(2026, 5, 8, 23), 120, WM, cal) == msk(2026, 5, 10, 1)
    # With the default shortening, Fri May 8 (before 9 May) would end at 23:00.
    shortened = BusinessCalendar(MSK, weekly=week)
    assert shortened.intervals_on(date(2026, 5, 8)) == [(time(0), time(23))]


# --- the other queries --------------------------------------------------------------------


def test_working_seconds_between():
    cal = default_calendar(MSK)
    # «осталось 2 ч 15 мин рабочего времени»
    assert working_seconds_between(msk(2026, 3, 16, 14, 45), msk(2026, 3, 16, 17), cal) == 8100
    assert working_seconds_between(msk(2026, 3, 16, 17), msk(2026, 3, 16, 14, 45), cal) == -8100
    # Fri 16:00 → Mon 09:00: one hour on Friday, one on Monday.
    assert working_seconds_between(msk(2026, 3, 13, 16), msk(2026, 3, 16, 9), cal) == 7200
    # Nights and weekends count nothing.
    assert working_seconds_between(msk(2026, 3, 13, 18), msk(2026, 3, 16, 7), cal) == 0


def test_next_working_moment():
    cal = default_calendar(MSK)
    assert next_working_moment(msk(2026, 3, 13, 18), cal) == msk(2026, 3, 16, 8)
    assert next_working_moment(msk(2026, 3, 16, 10, 5), cal) == msk(2026, 3, 16, 10, 5)
    # Intervals are half-open: 17:00 is no longer working time.
    assert next_working_moment(msk(2026, 3, 16, 17), cal) == msk(2026, 3, 17, 8)


# --- validation -----------------------------------------------------------------------------


def test_naive_datetimes_are_rejected():
    cal = default_calendar(MSK)
    with pytest.raises(ValueError, match="aware"):
        compute_due(datetime(2026, 3, 16, 10), 60, WM, cal)
    with pytest.raises(ValueError, match="aware"):
        working_seconds_between(datetime(2026, 3, 16, 10), msk(2026, 3, 16, 11), cal)
    with pytest.raises(ValueError, match="aware"):
        next_working_moment(datetime(2026, 3, 16, 10), cal)


def test_unknown_unit_and_negative_amount_are_rejected():
    cal = default_calendar(MSK)
    with pytest.raises(ValueError, match="unit"):
        compute_due(msk(2026, 3, 16, 10), 60, "working_hours", cal)
    with pytest.raises(ValueError, match="negative"):
        compute_due(msk(2026, 3, 16, 10), -1, WM, cal)


def test_units_are_plain_strings():
    assert Unit.WORKING_MINUTES == "working_minutes"
    assert {u.value for u in Unit} == {
        "working_minutes",
        "calendar_minutes",
        "working_days",
        "calendar_days",
    }


def test_bad_schedules_are_rejected():
    with pytest.raises(ValueError, match="empty or reversed"):
        BusinessCalendar(MSK, weekly={0: [(time(17), time(8))]})
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar(MSK, weekly={0: [(time(8), time(13)), (time(12), time(17))]})
    with pytest.raises(ValueError, match="weekday"):
        BusinessCalendar(MSK, weekly={7: [(time(8), time(17))]})


def test_default_calendar_is_cached_per_zone():
    assert default_calendar("Europe/Moscow") is default_calendar(ZoneInfo("Europe/Moscow"))
    assert default_calendar("Europe/Moscow") is not default_calendar("Europe/Saratov")
    assert default_calendar("Europe/Moscow").covered_years == (2025, 2026, 2027)


def test_offset_changes_are_counted_in_real_time():
    # Russian zones keep one offset now, but the engine counts real seconds even where the
    # offset moves. Europe/Berlin springs forward on Sun 2026-03-29 at 02:00 → 03:00.
    berlin = ZoneInfo("Europe/Berlin")
    week = {wd: [(time(0), time(0))] for wd in range(7)}
    cal = BusinessCalendar(berlin, weekly=week, shorten_minutes=0)
    sat = datetime(2026, 3, 28, 0, tzinfo=berlin)
    mon = datetime(2026, 3, 30, 0, tzinfo=berlin)
    assert working_seconds_between(sat, mon, cal) == 47 * 3600  # Sunday had 23 hours
    # Sat 23:00 CET (22:00Z) + 4 working hours = 02:00Z = Sun 04:00 CEST.
    due_at = compute_due(datetime(2026, 3, 28, 23, tzinfo=berlin), 240, WM, cal)
    assert due_at == datetime(2026, 3, 29, 2, tzinfo=UTC)
    assert due_at.isoformat() == "2026-03-29T04:00:00+02:00"
    # Calendar minutes are absolute too: 23:00 CET + 4 h = 04:00 CEST, not 03:00.
    start = datetime(2026, 3, 28, 23, tzinfo=berlin)
    assert compute_due(start, 240, CM, cal).isoformat() == "2026-03-29T04:00:00+02:00"
    # An office day is untouched by a night-time change.
    office = BusinessCalendar(berlin)
    friday = datetime(2026, 3, 27, 16, tzinfo=berlin)
    assert compute_due(friday, 120, WM, office) == datetime(2026, 3, 30, 9, tzinfo=berlin)
