"""Pure working-time engine: when is a term due, how much working time is left.

Pure stdlib (datetime, zoneinfo, bisect): no Django, no database. Rules are DESIGN.md §4
("Units and conventions", ГК РФ ст. 191–194) plus the Russian production calendar
(ТК РФ ст. 95 and 112, government decrees on moved days off).

How it is fast. A :class:`BusinessCalendar` precomputes, once, for every day of the years it
has national data for, the working intervals as flat sorted arrays of instants (integer
microseconds since the Unix epoch, UTC) together with the cumulative working time at the end
of each interval. A term in working minutes is then "map the start to its cumulative
position with ``bisect``, add the amount, ``bisect`` back": O(log n), no stepping. Day-based
terms use a sorted array of working-day ordinals and their precomputed end-of-work instants.

Why UTC instants and not local wall-clock seconds: the intervals are *defined* in local time
(each local wall time is converted once, at precompute, with ``zoneinfo``), but stored as
absolute instants, so a duration inside an interval is always counted in real seconds, even
in a zone whose UTC offset changes (Russian zones have had no DST since 2014; Europe/Saratov
last changed its offset in 2016). It also means the hot path converts aware → local only
once, for the result (``astimezone``). Times are exact to the microsecond.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from deadlines.production_calendar import YearData, load_national_calendar

__all__ = [
    "DEFAULT_WEEKLY",
    "BusinessCalendar",
    "CalendarDataMissing",
    "Interval",
    "Unit",
    "compute_due",
    "default_calendar",
    "next_working_moment",
    "working_seconds_between",
]

Interval = tuple[time, time]
"""A working interval ``(start, end)`` in local wall time; ``end == time(0)`` means 24:00."""

_US = 1_000_000  # microseconds in a second
_MINUTE_US = 60 * _US
_DAY_US = 86_400 * _US
_ONE_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()

DEFAULT_WEEKLY: dict[int, list[Interval]] = {wd: [(time(8, 0), time(17, 0))] for wd in range(5)}
"""Monday–Friday 08:00–17:00, no lunch break (DESIGN §4 default schedule)."""


class Unit(StrEnum):
    """Units of a deadline policy (DESIGN §4)."""

    WORKING_MINUTES = "working_minutes"
    CALENDAR_MINUTES = "calendar_minutes"
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


class CalendarDataMissing(Exception):
    """A computation needs a year for which there is no production calendar.

    The engine never guesses a Monday–Friday week for such a year: a wrong due date is
    worse than an error that tells the head of the centre to load next year's calendar.
    """

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(f"Нет данных производственного календаря на {year} год")


# ---------------------------------------------------------------------------------------
# Helpers (precompute only, not on the hot path)
# ---------------------------------------------------------------------------------------

_UsInterval = tuple[int, int]  # (start, end) in microseconds since local midnight


def _time_us(t: time) -> int:
    if t.tzinfo is not None:
        raise ValueError(f"interval times must be naive local times, got {t!r}")
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond


def _us_time(us: int) -> time:
    if us >= _DAY_US:
        return time(0)  # 24:00
    seconds, micro = divmod(us, _US)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro)


def _validate_intervals(intervals: Iterable[Interval], where: str) -> tuple[_UsInterval, ...]:
    """Check and convert one day's intervals: each start < end, sorted, not overlapping."""
    out: list[_UsInterval] = []
    for pair in intervals:
        start, end = pair
        s = _time_us(start)
        # An end of 00:00 means midnight at the end of the day (24:00), e.g. a 24-hour desk.
        e = _DAY_US if end == time(0) else _time_us(end)
        if s >= e:
            raise ValueError(f"{where}: interval {start}–{end} is empty or reversed")
        if out and s < out[-1][1]:
            raise ValueError(f"{where}: intervals must be sorted and must not overlap")
        out.append((s, e))
    return tuple(out)


def _shorten(intervals: tuple[_UsInterval, ...], cut_us: int) -> tuple[_UsInterval, ...]:
    """Remove ``cut_us`` of working time from the end of the day.

    Normally this just moves the last interval's end earlier; if the last interval is
    shorter than the cut, the rest is taken from the interval before it.
    """
    out = list(intervals)
    while cut_us > 0 and out:
        s, e = out[-1]
        if e - s > cut_us:
            out[-1] = (s, e - cut_us)
            cut_us = 0
        else:
            out.pop()
            cut_us -= e - s
    return tuple(out)


def _aware_to_us(dt: datetime) -> int:
    delta = dt - _EPOCH  # aware arithmetic: an absolute instant, whatever dt's zone
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def _check_aware(dt: datetime, name: str) -> None:
    if not isinstance(dt, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")


# ---------------------------------------------------------------------------------------
# Business calendar
# ---------------------------------------------------------------------------------------


class BusinessCalendar:
    """Working time of one municipality: zone, weekly schedule, national data, exceptions.

    :param tz: IANA zone name (``"Asia/Novokuznetsk"``) or a ``ZoneInfo``.
    :param weekly: weekday (0 = Monday) → working intervals in local time; a lunch break is
        two intervals. Default :data:`DEFAULT_WEEKLY` (Mon–Fri 08:00–17:00).
    :param national: ``{year: YearData}``; default the shipped production calendar. Only
        these years are covered: anything else raises :class:`CalendarDataMissing`.
    :param overrides: municipal exceptions, date → that day's exact intervals (an empty list
        is a day off). They win over the national data and are never shortened.
    :param shorten_minutes: how much shorter a pre-holiday day is (ТК РФ ст. 95: one hour).

    Instances are immutable after construction and safe to share between threads.
    """

    def __init__(
        self,
        tz: str | tzinfo,
        weekly: Mapping[int, Iterable[Interval]] | None = None,
        national: Mapping[int, YearData] | None = None,
        overrides: Mapping[date, Iterable[Interval]] | None = None,
        shorten_minutes: int = 60,
    ) -> None:
        self.tz: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
        if not isinstance(self.tz, tzinfo):
            raise TypeError(f"tz must be an IANA name or a tzinfo, got {tz!r}")
        if isinstance(shorten_minutes, bool) or not isinstance(shorten_minutes, int):
            raise TypeError("shorten_minutes must be an int")
        if shorten_minutes < 0:
            raise ValueError("shorten_minutes must not be negative")
        self.shorten_minutes = shorten_minutes

        weekly = DEFAULT_WEEKLY if weekly is None else weekly
        self._weekly: dict[int, tuple[_UsInterval, ...]] = {}
        for wd, intervals in weekly.items():
            if wd not in range(7):
                raise ValueError(f"weekly: weekday must be 0 (Monday) … 6 (Sunday), got {wd!r}")
            self._weekly[wd] = _validate_intervals(intervals, f"weekly[{wd}]")
        self._national: dict[int, YearData] = dict(
            load_national_calendar() if national is None else national
        )
        self._overrides: dict[date, tuple[_UsInterval, ...]] = {
            d: _validate_intervals(intervals, f"overrides[{d}]")
            for d, intervals in (overrides or {}).items()
        }
        if not self._national:
            raise ValueError("national: at least one year of production calendar is needed")
        self._precompute()

    # -- per-day rules (used by the precompute and by intervals_on) ---------------------

    def _day_us(self, d: date) -> tuple[_UsInterval, ...]:
        yd = self._national.get(d.year)
        if yd is None:
            raise CalendarDataMissing(d.year)
        override = self._overrides.get(d)
        if override is not None:
            # Municipal exceptions («в праздничные дни график работы определяет ЦУР») win
            # over the national calendar: the listed intervals are that day's exact hours.
            return override
        if d in yd.days_off or d in yd.weekend_holidays:
            # ТК РФ ст. 112 / постановление Правительства о переносе выходных дней:
            # нерабочий праздничный день или перенесённый выходной.
            return ()
        if d in yd.working_weekends:
            # Рабочая суббота по постановлению о переносе: работа по графику будничного
            # дня (the replaced day is a Monday in 2025 and 2027), so Monday's intervals.
            base = self._weekly.get(0, ())
        else:
            base = self._weekly.get(d.weekday(), ())
        if d in yd.shortened:
            # ТК РФ ст. 95: продолжительность рабочего дня, непосредственно предшествующего
            # нерабочему праздничному дню, уменьшается на один час.
            base = _shorten(base, self.shorten_minutes * _MINUTE_US)
        return base

    def _local_us_to_utc_us(self, d: date, offset_us: int) -> int:
        local = datetime.combine(d, time()) + timedelta(microseconds=offset_us)
        return _aware_to_us(local.replace(tzinfo=self.tz))

    def _precompute(self) -> None:
        years = sorted(self._national)
        self._first_year, self._last_year = years[0], years[-1]
        # Years missing inside the covered span (normally none): such a year has no
        # intervals in the arrays, and any computation that spans it raises.
        self._gap_years = frozenset(range(self._first_year, self._last_year + 1)) - set(years)

        bounds: list[int] = []  # flat [s0, e0, s1, e1, …], UTC µs, non-decreasing
        cum_at: list[int] = []  # cumulative working µs at each boundary
        starts: list[int] = []  # s0, s1, …
        cum_starts: list[int] = []  # cumulative working µs at s0, s1, …
        cum_ends: list[int] = []  # cumulative working µs at e0, e1, …
        shifting: set[int] = set()  # intervals with an offset change inside (normally none)
        work_ords: list[int] = []  # ordinals of working days (local dates)
        work_end_us: list[int] = []  # end of the last interval of that day
        total = 0
        d = date(self._first_year, 1, 1)
        stop = date(self._last_year + 1, 1, 1)
        one_day = timedelta(days=1)
        tz = self.tz
        offset_next = tz.utcoffset(datetime.combine(d, time())) // _ONE_US
        while d < stop:
            offset, offset_next = (
                offset_next,
                tz.utcoffset(datetime.combine(d + one_day, time())) // _ONE_US,
            )
            if d.year in self._gap_years:
                d += one_day
                continue
            # Local midnight as if it were UTC; when the zone keeps one offset all day (always,
            # for Russian zones since 2016), every boundary is that plus the wall time minus
            # the offset. On a day the offset changes, convert each boundary with zoneinfo.
            midnight = (d.toordinal() - _EPOCH_ORDINAL) * _DAY_US
            same_offset = offset == offset_next
            day_end = None
            for s_local, e_local in self._day_us(d):
                if same_offset:
                    s = midnight + s_local - offset
                    e = midnight + e_local - offset
                else:
                    s = self._local_us_to_utc_us(d, s_local)
                    e = self._local_us_to_utc_us(d, e_local)
                if bounds and s < bounds[-1]:
                    s = bounds[-1]  # a repeated wall hour (offset moved back): no overlap
                if e <= s:
                    continue  # a skipped wall hour (offset moved forward) ate the interval
                if not same_offset and tz.utcoffset(
                    datetime.combine(d, time()) + timedelta(microseconds=s_local)
                ) != tz.utcoffset(datetime.combine(d, time()) + timedelta(microseconds=e_local)):
                    shifting.add(len(starts))
                bounds += (s, e)
                starts.append(s)
                cum_starts.append(total)
                cum_at.append(total)
                total += e - s
                cum_at.append(total)
                cum_ends.append(total)
                day_end = e
            if day_end is not None:
                work_ords.append(d.toordinal())
                work_end_us.append(day_end)
            d += one_day

        self._bounds = bounds
        self._cum_at = cum_at
        self._starts = starts
        self._cum_starts = cum_starts
        self._cum_ends = cum_ends
        self._shifting = frozenset(shifting)
        # Each interval's start as an aware local datetime: the result of a working-minute
        # term is that plus a timedelta (wall-clock addition, exact when the offset does not
        # change inside the interval; the others go through UTC).
        self._start_local = [self._from_us(us) for us in starts]
        self._work_ords = work_ords
        self._work_end = [self._from_us(us) for us in work_end_us]
        self._lo_us = self._local_us_to_utc_us(date(self._first_year, 1, 1), 0)
        self._hi_us = self._local_us_to_utc_us(stop, 0)
        self._lo_ord = date(self._first_year, 1, 1).toordinal()
        self._hi_ord = stop.toordinal()
        self._dispatch: dict[str, Callable[[datetime, int], datetime]] = {
            Unit.WORKING_MINUTES: self._due_working_minutes,
            Unit.CALENDAR_MINUTES: self._due_calendar_minutes,
            Unit.WORKING_DAYS: self._due_working_days,
            Unit.CALENDAR_DAYS: self._due_calendar_days,
        }

    # -- public inspection API ------------------------------------------------------------

    @property
    def covered_years(self) -> tuple[int, ...]:
        """Years with production-calendar data, ascending."""
        return tuple(sorted(self._national))

    def intervals_on(self, d: date) -> list[Interval]:
        """Working intervals of local date ``d`` after all rules (``[]`` = day off)."""
        return [(_us_time(s), _us_time(e)) for s, e in self._day_us(d)]

    def is_working_day(self, d: date) -> bool:
        """Whether local date ``d`` has any working time."""
        return bool(self._day_us(d))

    def __repr__(self) -> str:
        years = f"{self._first_year}–{self._last_year}"
        return f"<BusinessCalendar {self.tz} {years} overrides={len(self._overrides)}>"

    # -- hot path ---------------------------------------------------------------------------

    def _from_us(self, us: int) -> datetime:
        return (_EPOCH + timedelta(microseconds=us)).astimezone(self.tz)

    def _missing_for_instant(self, t_us: int) -> CalendarDataMissing:
        return CalendarDataMissing(self._from_us(t_us).year)

    def _position(self, t_us: int) -> int:
        """Cumulative working µs from the start of coverage up to instant ``t_us``."""
        if not self._lo_us <= t_us < self._hi_us:
            raise self._missing_for_instant(t_us)
        i = bisect_right(self._bounds, t_us)
        if i & 1:  # inside interval (i - 1) // 2
            return self._cum_at[i - 1] + (t_us - self._bounds[i - 1])
        return self._cum_at[i - 1] if i else 0

    def _check_gaps(self, first: datetime, last: datetime) -> None:
        for year in sorted(self._gap_years):
            if first.year <= year <= last.year:
                raise CalendarDataMissing(year)

    def _due_working_minutes(self, start: datetime, amount: int) -> datetime:
        target = self._position(_aware_to_us(start)) + amount * _MINUTE_US
        # The first interval whose cumulative end reaches the target. bisect_left makes a
        # target equal to an interval's end land on that end (17:00), not on the next start.
        k = bisect_left(self._cum_ends, target)
        if k == len(self._cum_ends):
            raise CalendarDataMissing(self._last_year + 1)
        into = target - self._cum_starts[k]  # µs of working time inside interval k
        if k in self._shifting:
            due = self._from_us(self._starts[k] + into)
        else:
            seconds, micro = divmod(into, _US)
            due = self._start_local[k] + timedelta(0, seconds, micro)
        if self._gap_years:
            self._check_gaps(start.astimezone(self.tz), due)
        return due

    def _due_calendar_minutes(self, start: datetime, amount: int) -> datetime:
        # Plain clock arithmetic on the absolute instant (fast-track 4 h = 240): no calendar
        # data is involved, so no CalendarDataMissing either. Done in UTC, because adding a
        # timedelta to a zoned datetime is wall-clock arithmetic in Python.
        return (start.astimezone(UTC) + timedelta(minutes=amount)).astimezone(self.tz)

    def _receipt_ordinal(self, start: datetime) -> tuple[datetime, int]:
        local = start.astimezone(self.tz)
        o = local.toordinal()
        if not self._lo_ord <= o < self._hi_ord:
            raise CalendarDataMissing(local.year)
        return local, o

    def _due_working_days(self, start: datetime, amount: int) -> datetime:
        local, o = self._receipt_ordinal(start)
        # N рабочих дней после дня поступления: the day of receipt is not counted, even when
        # it is itself a working day (ГК РФ ст. 191: течение срока начинается на следующий
        # день после события, которым определено его начало).
        k = bisect_right(self._work_ords, o) + amount - 1
        if k >= len(self._work_ords):
            raise CalendarDataMissing(self._last_year + 1)
        due = self._work_end[k]  # end of working time of the N-th working day
        if self._gap_years:
            self._check_gaps(local, due)
        return due

    def _due_calendar_days(self, start: datetime, amount: int) -> datetime:
        local, o = self._receipt_ordinal(start)
        # ГК РФ ст. 191: течение срока, определённого периодом времени, начинается на
        # следующий день после календарной даты, которой определено его начало; so the
        # last day is the date of receipt + N.
        last = o + amount
        # ГК РФ ст. 193: если последний день срока приходится на нерабочий день, днем
        # окончания срока считается ближайший следующий за ним рабочий день.
        k = bisect_left(self._work_ords, last)
        if k == len(self._work_ords):
            year = date.fromordinal(last).year if last >= self._hi_ord else self._last_year + 1
            raise CalendarDataMissing(year)
        # ГК РФ ст. 194: срок истекает в час, когда прекращаются рабочие операции (here:
        # the end of that day's working time).
        due = self._work_end[k]
        if self._gap_years:
            self._check_gaps(local, due)
        return due

    def _working_us_between(self, a: datetime, b: datetime) -> int:
        diff = self._position(_aware_to_us(b)) - self._position(_aware_to_us(a))
        if self._gap_years:
            lo, hi = sorted((a.astimezone(self.tz), b.astimezone(self.tz)))
            self._check_gaps(lo, hi)
        return diff

    def _next_working_moment(self, dt: datetime) -> datetime:
        t = _aware_to_us(dt)
        if not self._lo_us <= t < self._hi_us:
            raise self._missing_for_instant(t)
        i = bisect_right(self._bounds, t)
        if i & 1:
            return dt.astimezone(self.tz)  # already inside working time
        if i == len(self._bounds):
            raise CalendarDataMissing(self._last_year + 1)
        result = self._start_local[i // 2]
        if self._gap_years:
            self._check_gaps(dt.astimezone(self.tz), result)
        return result


# ---------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------


def compute_due(start: datetime, amount: int, unit: str, calendar: BusinessCalendar) -> datetime:
    """When a term of ``amount`` ``unit`` that starts at ``start`` is due.

    Returns an aware datetime in the calendar's zone. ``amount == 0`` returns ``start``
    itself (as the same instant in the calendar's zone) for every unit: a zero term has no
    duration. Raises ``ValueError`` for a naive ``start``, a negative amount or an unknown
    unit, and :class:`CalendarDataMissing` when the answer needs a year without data.

    * ``working_minutes``: only time inside working intervals counts; a start outside
      working time starts the clock at the next interval; landing exactly on an interval's
      end gives that end.
    * ``calendar_minutes``: ``start + amount`` minutes, absolute time.
    * ``working_days``: the end of working time of the N-th working day after the local
      date of receipt (that date is not counted).
    * ``calendar_days``: last day = local date of receipt + N, moved to the next working
      day if it is not one; due at the end of that day's working time.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start must be timezone-aware, got naive {start.isoformat()}")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an int, got {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")
    try:
        handler = calendar._dispatch[unit]
    except (KeyError, TypeError):
        raise ValueError(f"unknown deadline unit {unit!r}") from None
    if amount == 0:
        return start.astimezone(calendar.tz)
    return handler(start, amount)


def working_seconds_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> int:
    """Working seconds from ``a`` to ``b`` (negative if ``b`` is before ``a``).

    For «осталось 2 ч 15 мин рабочего времени». Sub-second remainders are truncated toward
    zero, so ``working_seconds_between(b, a) == -working_seconds_between(a, b)``.
    """
    _check_aware(a, "a")
    _check_aware(b, "b")
    diff = calendar._working_us_between(a, b)
    return diff // _US if diff >= 0 else -(-diff // _US)


def next_working_moment(dt: datetime, calendar: BusinessCalendar) -> datetime:
    """``dt`` itself if it is inside working time, else the start of the next interval.

    Intervals are half-open: at exactly 17:00 (an interval's end) the next working moment
    is the next interval's start.
    """
    _check_aware(dt, "dt")
    return calendar._next_working_moment(dt)


@lru_cache(maxsize=64)
def _default_calendar(key: str) -> BusinessCalendar:
    return BusinessCalendar(key)


def default_calendar(tz: str | ZoneInfo) -> BusinessCalendar:
    """Mon–Fri 08:00–17:00, no lunch, pre-holiday days end 16:00, the shipped national data.

    Cached per zone (construction precomputes about three years of intervals).
    """
    key = tz.key if isinstance(tz, ZoneInfo) else tz
    if key is None:  # a ZoneInfo built from a file has no key: do not cache
        return BusinessCalendar(tz)
    return _default_calendar(key)
