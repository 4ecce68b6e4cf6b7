"""A deliberately naive reference for the deadline engine, for property tests and the benchmark.

Written independently from ``deadlines.engine``: no bisect, no cumulative arrays, no UTC
instants. Each day is a set of working *minute indices* (0 = 00:00–00:01 … 1439), built
straight from the same inputs (``YearData``, weekly schedule, overrides); time walks forward
one local wall-clock minute at a time. Obviously correct, and slow on purpose.

Limitation (fine for tests): schedule and override times must be whole minutes, and the zone
must not change its UTC offset inside the period walked (true for Russian zones since 2016).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from deadlines.engine import DEFAULT_WEEKLY, CalendarDataMissing
from deadlines.production_calendar import YearData, load_national_calendar

ONE_MINUTE = timedelta(minutes=1)
ONE_DAY = timedelta(days=1)


def _minute_of_day(t: time, is_end: bool) -> int:
    if t.second or t.microsecond:
        raise ValueError("the naive reference only supports whole-minute schedules")
    if is_end and t == time(0):
        return 1440  # 24:00
    return t.hour * 60 + t.minute


def _minutes_of(intervals: Iterable[tuple[time, time]]) -> set[int]:
    minutes: set[int] = set()
    for start, end in intervals:
        minutes.update(range(_minute_of_day(start, False), _minute_of_day(end, True)))
    return minutes


class NaiveCalendar:
    """Same inputs as ``BusinessCalendar``; answers by walking minute by minute."""

    def __init__(
        self,
        tz: str,
        weekly: Mapping[int, Iterable[tuple[time, time]]] | None = None,
        national: Mapping[int, YearData] | None = None,
        overrides: Mapping[date, Iterable[tuple[time, time]]] | None = None,
        shorten_minutes: int = 60,
    ) -> None:
        self.tz = ZoneInfo(tz)
        self.weekly = {wd: list(iv) for wd, iv in (weekly or DEFAULT_WEEKLY).items()}
        self.national = dict(load_national_calendar() if national is None else national)
        self.overrides = {d: list(iv) for d, iv in (overrides or {}).items()}
        self.shorten_minutes = shorten_minutes
        self._cache: dict[date, frozenset[int]] = {}

    # -- one day ---------------------------------------------------------------------------

    def working_minutes_of_day(self, d: date) -> frozenset[int]:
        """The set of working minute indices of local date ``d``."""
        if d not in self._cache:
            self._cache[d] = frozenset(self._compute_day(d))
        return self._cache[d]

    def _compute_day(self, d: date) -> set[int]:
        if d.year not in self.national:
            raise CalendarDataMissing(d.year)
        if d in self.overrides:
            return _minutes_of(self.overrides[d])
        year = self.national[d.year]
        is_weekend = d.weekday() in (5, 6)
        if not is_weekend and d in year.days_off:
            return set()
        if is_weekend and d in year.weekend_holidays:
            return set()
        if is_weekend and d in year.working_weekends:
            minutes = _minutes_of(self.weekly.get(0, []))  # works like a Monday
        else:
            minutes = _minutes_of(self.weekly.get(d.weekday(), []))
        if d in year.shortened:
            # Drop the latest working minutes, one at a time.
            for _ in range(self.shorten_minutes):
                if minutes:
                    minutes.remove(max(minutes))
        return minutes

    def is_working_day(self, d: date) -> bool:
        return bool(self.working_minutes_of_day(d))

    def end_of_work(self, d: date) -> datetime:
        """Local wall-clock end of the last working minute of ``d`` (naive)."""
        last_minute = max(self.working_minutes_of_day(d))
        return datetime.combine(d, time()) + (last_minute + 1) * ONE_MINUTE

    def is_working_minute(self, wall_minute: datetime) -> bool:
        index = wall_minute.hour * 60 + wall_minute.minute
        return index in self.working_minutes_of_day(wall_minute.date())

    # -- conversions -------------------------------------------------------------------------

    def local_wall(self, dt: datetime) -> datetime:
        if dt.tzinfo is None:
            raise ValueError("naive datetime")
        return dt.astimezone(self.tz).replace(tzinfo=None)

    def aware(self, wall: datetime) -> datetime:
        return wall.replace(tzinfo=self.tz)

    # -- the four units ----------------------------------------------------------------------

    def due(self, start: datetime, amount: int, unit: str) -> datetime:
        if amount < 0:
            raise ValueError("negative amount")
        if amount == 0:
            return start.astimezone(self.tz)
        return getattr(self, f"due_{unit}")(start, amount)

    def due_working_minutes(self, start: datetime, amount: int) -> datetime:
        t = self.local_wall(start)
        remaining = amount * ONE_MINUTE
        minute = t.replace(second=0, microsecond=0)
        if t != minute:
            # The start is inside a minute: only the rest of that minute can count.
            if self.is_working_minute(minute):
                available = minute + ONE_MINUTE - t
                if remaining <= available:
                    return self.aware(t + remaining)
                remaining -= available
            minute += ONE_MINUTE
        while True:
            if self.is_working_minute(minute):
                if remaining <= ONE_MINUTE:
                    return self.aware(minute + remaining)
                remaining -= ONE_MINUTE
            minute += ONE_MINUTE

    def due_calendar_minutes(self, start: datetime, amount: int) -> datetime:
        t = start.astimezone(UTC)  # absolute minutes, not wall-clock ones
        for _ in range(amount):
            t += ONE_MINUTE
        return t.astimezone(self.tz)

    def due_working_days(self, start: datetime, amount: int) -> datetime:
        day = self.local_wall(start).date()
        self.working_minutes_of_day(day)  # the receipt day must be covered too
        counted = 0
        while counted < amount:
            day += ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return self.aware(self.end_of_work(day))

    def due_calendar_days(self, start: datetime, amount: int) -> datetime:
        receipt = self.local_wall(start).date()
        self.working_minutes_of_day(receipt)
        day = receipt
        for _ in range(amount):
            day += ONE_DAY
        while not self.is_working_day(day):
            day += ONE_DAY
        return self.aware(self.end_of_work(day))

    # -- other queries -----------------------------------------------------------------------

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        if b < a:
            return -self.working_seconds_between(b, a)
        lo, hi = self.local_wall(a), self.local_wall(b)
        total = timedelta(0)
        minute = lo.replace(second=0, microsecond=0)
        while minute < hi:
            if self.is_working_minute(minute):
                total += min(hi, minute + ONE_MINUTE) - max(lo, minute)
            minute += ONE_MINUTE
        return total.days * 86400 + total.seconds  # truncated toward zero, like the engine

    def next_working_moment(self, dt: datetime) -> datetime:
        t = self.local_wall(dt)
        minute = t.replace(second=0, microsecond=0)
        if self.is_working_minute(minute):
            return dt.astimezone(self.tz)
        minute += ONE_MINUTE
        while not self.is_working_minute(minute):
            minute += ONE_MINUTE
        return self.aware(minute)
