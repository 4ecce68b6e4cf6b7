"""Property tests: the fast engine against the naive minute-by-minute reference, plus
invariants. Random starts in 2025–2026 (with seconds and microseconds, outside hours, on
weekends and holidays, in four Russian zones and in UTC), random amounts, lunch breaks,
random weekly schedules and municipal overrides. No database."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deadlines.engine import (
    BusinessCalendar,
    CalendarDataMissing,
    Unit,
    compute_due,
    next_working_moment,
    working_seconds_between,
)
from tests.deadlines.naive_reference import NaiveCalendar

ZONES = ["Asia/Yekaterinburg", "Asia/Novokuznetsk", "Europe/Saratov", "Europe/Moscow"]

SCHEDULES: dict[str, dict[int, list[tuple[time, time]]]] = {
    "default": {wd: [(time(8), time(17))] for wd in range(5)},
    "lunch": {wd: [(time(8), time(12)), (time(13), time(17))] for wd in range(5)},
    # A civil-service week: Mon–Thu 09:00–18:00, Fri 09:00–16:45, lunch 13:00–13:48.
    "civil": {
        **{wd: [(time(9), time(13)), (time(13, 48), time(18))] for wd in range(4)},
        4: [(time(9), time(13)), (time(13, 48), time(16, 45))],
    },
}

# 60 random cases per property in every run of the suite (each run draws new ones);
# DESK_PROPERTY_EXAMPLES=1000 for a deep search after touching the engine.
PROFILE = settings(
    max_examples=int(os.environ.get("DESK_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def fixed_pair(zone: str, schedule: str) -> tuple[BusinessCalendar, NaiveCalendar]:
    weekly = SCHEDULES[schedule]
    return BusinessCalendar(zone, weekly=weekly), NaiveCalendar(zone, weekly=weekly)


def outcome(fn, *args):
    """The result, or the year of a CalendarDataMissing, so both sides can be compared."""
    try:
        return fn(*args)
    except CalendarDataMissing as exc:
        return ("missing", exc.year)


# --- strategies ---------------------------------------------------------------------------

# Boundary-heavy wall-clock times: interval edges, a minute either side, plus anything.
EDGE_TIMES = st.sampled_from(
    [time(h, m) for h, m in [(0, 0), (7, 59), (8, 0), (8, 1), (12, 0), (13, 0), (13, 48)]]
    + [time(h, m) for h, m in [(15, 59), (16, 0), (16, 45), (17, 0), (17, 1), (18, 0)]]
    + [time(23, 59, 59, 999999)]
)
ANY_TIME = st.times()
DAYS_2025_2026 = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31))


@st.composite
def starts(draw, zone: str) -> datetime:
    """An aware start in 2025–2026, given in the calendar's zone or in UTC."""
    local_zone = ZoneInfo(zone)
    d = draw(DAYS_2025_2026)
    t = draw(st.one_of(EDGE_TIMES, ANY_TIME))
    local = datetime.combine(d, t, tzinfo=local_zone)
    if draw(st.booleans()):
        return local.astimezone(UTC)
    return local


def _minute_time(minute: int) -> time:
    return time(0) if minute == 1440 else time(minute // 60, minute % 60)


@st.composite
def day_intervals(draw, max_intervals: int = 3) -> list[tuple[time, time]]:
    """0–3 sorted, non-overlapping whole-minute intervals; an end of 24:00 is time(0)."""
    n = draw(st.integers(0, max_intervals))
    step = draw(st.sampled_from([1, 15, 60]))
    points = draw(
        st.lists(st.integers(0, 1440 // step), min_size=2 * n, max_size=2 * n, unique=True)
    )
    points = sorted(p * step for p in points)
    return [(_minute_time(points[2 * i]), _minute_time(points[2 * i + 1])) for i in range(n)]


@st.composite
def random_setup(draw, zone: str, start: datetime):
    """A random weekly schedule (weekends too), shortening, and overrides near the start."""
    weekly = {wd: draw(day_intervals()) for wd in range(7)}
    if not any(weekly.values()):
        weekly[0] = [(time(9), time(18))]
    shorten = draw(st.sampled_from([0, 60, 60, 90, 300]))
    receipt = start.astimezone(ZoneInfo(zone)).date()
    offsets = draw(st.lists(st.integers(-1, 20), max_size=6, unique=True))
    overrides = {receipt + timedelta(days=k): draw(day_intervals(2)) for k in offsets}
    overrides = {d: iv for d, iv in overrides.items() if d.year in (2025, 2026)}
    engine = BusinessCalendar(zone, weekly=weekly, overrides=overrides, shorten_minutes=shorten)
    naive = NaiveCalendar(zone, weekly=weekly, overrides=overrides, shorten_minutes=shorten)
    weekly_minutes = sum(
        (e.hour * 60 + e.minute or 1440) - (s.hour * 60 + s.minute)
        for intervals in weekly.values()
        for s, e in intervals
    )
    return engine, naive, weekly_minutes


zone_st = st.sampled_from(ZONES)


# --- engine == naive reference --------------------------------------------------------------


@PROFILE
@given(data=st.data(), zone=zone_st, schedule=st.sampled_from(sorted(SCHEDULES)))
def test_working_minutes_match_reference(data, zone, schedule):
    engine, naive = fixed_pair(zone, schedule)
    start = data.draw(starts(zone))
    amount = data.draw(st.integers(0, 3000))
    expected = outcome(naive.due, start, amount, Unit.WORKING_MINUTES)
    assert outcome(compute_due, start, amount, Unit.WORKING_MINUTES, engine) == expected


@PROFILE
@given(data=st.data(), zone=zone_st)
def test_working_minutes_match_reference_with_random_schedules(data, zone):
    start = data.draw(starts(zone))
    engine, naive, weekly_minutes = data.draw(random_setup(zone, start))
    # Keep the walk short for the naive side: at most ~3 weeks of this schedule.
    amount = data.draw(st.integers(0, min(3000, 3 * weekly_minutes)))
    expected = outcome(naive.due, start, amount, Unit.WORKING_MINUTES)
    assert outcome(compute_due, start, amount, Unit.WORKING_MINUTES, engine) == expected


@PROFILE
@given(
    data=st.data(),
    zone=zone_st,
    unit=st.sampled_from([Unit.WORKING_DAYS, Unit.CALENDAR_DAYS]),
    random_schedule=st.booleans(),
)
def test_days_match_reference(data, zone, unit, random_schedule):
    start = data.draw(starts(zone))
    if random_schedule:
        engine, naive, _ = data.draw(random_setup(zone, start))
    else:
        engine, naive = fixed_pair(zone, data.draw(st.sampled_from(sorted(SCHEDULES))))
    amount = data.draw(st.integers(0, 40))
    expected = outcome(naive.due, start, amount, unit)
    assert outcome(compute_due, start, amount, unit, engine) == expected


@PROFILE
@given(data=st.data(), zone=zone_st)
def test_calendar_minutes_match_reference(data, zone):
    engine, naive = fixed_pair(zone, "default")
    start = data.draw(starts(zone))
    amount = data.draw(st.integers(0, 3000))
    result = compute_due(start, amount, Unit.CALENDAR_MINUTES, engine)
    assert result == naive.due(start, amount, Unit.CALENDAR_MINUTES)
    assert result.tzinfo == ZoneInfo(zone)


@PROFILE
@given(data=st.data(), zone=zone_st, schedule=st.sampled_from(sorted(SCHEDULES)))
def test_working_seconds_between_match_reference(data, zone, schedule):
    engine, naive = fixed_pair(zone, schedule)
    a = data.draw(starts(zone))
    b = a + data.draw(st.timedeltas(min_value=timedelta(days=-6), max_value=timedelta(days=6)))
    # A span may reach into 2024 (no data): both sides must then refuse alike.
    expected = outcome(naive.working_seconds_between, a, b)
    assert outcome(working_seconds_between, a, b, engine) == expected
    if isinstance(expected, int):
        assert working_seconds_between(b, a, engine) == -expected


@PROFILE
@given(data=st.data(), zone=zone_st)
def test_next_working_moment_matches_reference(data, zone):
    start = data.draw(starts(zone))
    if data.draw(st.booleans()):
        engine, naive = fixed_pair(zone, data.draw(st.sampled_from(sorted(SCHEDULES))))
    else:
        engine, naive, _ = data.draw(random_setup(zone, start))
    assert outcome(next_working_moment, start, engine) == outcome(naive.next_working_moment, start)


# --- invariants -----------------------------------------------------------------------------


@PROFILE
@given(
    data=st.data(),
    zone=zone_st,
    schedule=st.sampled_from(sorted(SCHEDULES)),
    unit=st.sampled_from(list(Unit)),
)
def test_due_is_monotonic_in_amount_and_never_before_start(data, zone, schedule, unit):
    engine, _ = fixed_pair(zone, schedule)
    start = data.draw(starts(zone))
    top = 3000 if unit in (Unit.WORKING_MINUTES, Unit.CALENDAR_MINUTES) else 40
    small, large = sorted(data.draw(st.lists(st.integers(0, top), min_size=2, max_size=2)))
    due_small = compute_due(start, small, unit, engine)
    due_large = compute_due(start, large, unit, engine)
    assert start <= due_small <= due_large
    assert due_large.tzinfo == ZoneInfo(zone)


@PROFILE
@given(data=st.data(), zone=zone_st, schedule=st.sampled_from(sorted(SCHEDULES)))
def test_working_time_between_start_and_due_is_the_amount(data, zone, schedule):
    engine, _ = fixed_pair(zone, schedule)
    start = data.draw(starts(zone))
    amount = data.draw(st.integers(0, 3000))
    inside = next_working_moment(start, engine)  # a start inside working time
    for s in (inside, start):  # and it holds for any start too
        due = compute_due(s, amount, Unit.WORKING_MINUTES, engine)
        assert working_seconds_between(s, due, engine) == amount * 60


@PROFILE
@given(data=st.data(), zone=zone_st)
def test_due_in_working_minutes_is_inside_or_at_the_end_of_working_time(data, zone):
    engine, _ = fixed_pair(zone, "lunch")
    start = data.draw(starts(zone))
    amount = data.draw(st.integers(1, 3000))
    due = compute_due(start, amount, Unit.WORKING_MINUTES, engine)
    local = due.astimezone(ZoneInfo(zone))
    intervals = engine.intervals_on(local.date())
    assert any(s < local.time() <= e for s, e in intervals)
