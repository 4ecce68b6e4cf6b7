"""The database's calendars → the engine's ``BusinessCalendar``, cached per municipality.

A calendar is built from: the municipality's IANA zone (``Municipality.timezone``), its
weekly schedule (or the default one), the national production calendar (``CalendarDay``
rows, seeded from the shipped JSON and editable in the admin) and its own exceptions
(``MunicipalCalendarException``), which win.

Caching. Building precomputes about three years of working intervals (milliseconds), so
calendars are kept per process, keyed by municipality, zone and a *version* of the
calendar tables: one cheap query reading ``COUNT(*)`` and ``MAX(updated_at)`` of the four
tables. Any edit (admin, shell, data migration) changes the version, so no signal is
needed. The version itself is re-read at most every ``DEADLINES["CALENDAR_VERSION_TTL"]``
seconds, so rendering a list of fifty cases does not ask fifty times; the services that
edit calendars call :func:`calendars_invalidate`, which makes the change visible in the
editing process at once (other processes see it within the TTL).
"""

from __future__ import annotations

import logging
import threading
import time as _time
from collections import defaultdict
from datetime import date

from django.conf import settings

from deadlines.engine import DEFAULT_WEEKLY, BusinessCalendar, CalendarDataMissing
from deadlines.production_calendar import YearData, load_national_calendar
from mcu.models import Municipality

from .choices import CalendarDayKind
from .models import CalendarDay, MunicipalCalendarException, WorkInterval, WorkSchedule
from .selectors import tables_version

__all__ = [
    "CalendarDataMissing",
    "calendar_for",
    "calendar_version",
    "calendars_invalidate",
    "national_calendar",
]

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_version_seen: tuple[float, tuple] | None = None  # (monotonic time read, version)
_national: tuple[tuple, dict[int, YearData]] | None = None
_calendars: dict[tuple, BusinessCalendar] = {}


def _version_ttl() -> float:
    return float(getattr(settings, "DEADLINES", {}).get("CALENDAR_VERSION_TTL", 5))


def calendar_version(*, fresh: bool = False) -> tuple:
    """A value that changes whenever any calendar table changes (one query)."""
    global _version_seen
    now = _time.monotonic()
    seen = _version_seen
    if not fresh and seen is not None and now - seen[0] < _version_ttl():
        return seen[1]
    version = tables_version(CalendarDay, WorkSchedule, WorkInterval, MunicipalCalendarException)
    _version_seen = (now, version)
    return version


def calendars_invalidate() -> None:
    """Forget cached calendars in this process (called by the services that edit them)."""
    global _version_seen, _national
    with _lock:
        _version_seen = None
        _national = None
        _calendars.clear()


def _national_from_rows(rows) -> dict[int, YearData]:
    by_year: dict[int, dict[str, set[date]]] = defaultdict(
        lambda: {
            "days_off": set(),
            "weekend_holidays": set(),
            "working_weekends": set(),
            "shortened": set(),
        }
    )
    for day, kind in rows:
        bucket = by_year[day.year]
        weekend = day.weekday() >= 5
        if kind == CalendarDayKind.DAY_OFF:
            # A holiday on a Saturday or Sunday matters only to schedules that work then.
            bucket["weekend_holidays" if weekend else "days_off"].add(day)
        elif kind == CalendarDayKind.WORKING and weekend:
            bucket["working_weekends"].add(day)
        elif kind == CalendarDayKind.SHORTENED:
            # A shortened Saturday or Sunday is a working weekend day, one hour shorter.
            bucket["shortened"].add(day)
            if weekend:
                bucket["working_weekends"].add(day)
    return {
        year: YearData(year=year, **{k: frozenset(v) for k, v in sets.items()})
        for year, sets in by_year.items()
    }


def national_calendar() -> dict[int, YearData]:
    """The national production calendar of the database, ``{year: YearData}``."""
    global _national
    version = calendar_version()
    cached = _national
    if cached is not None and cached[0] == version:
        return cached[1]
    data = _national_from_rows(CalendarDay.objects.values_list("date", "kind"))
    if not data:
        # An empty table means the seed never ran here (or a test flushed it), not that
        # the head of the centre deleted every year: use the same shipped data the seed
        # would have loaded. Years beyond it still raise CalendarDataMissing.
        logger.warning("production calendar table is empty: using the shipped data")
        data = load_national_calendar()
    _national = (version, data)
    return data


def _schedule_for(municipality_id: int) -> WorkSchedule | None:
    """The municipality's own schedule, else the default one, else None (engine default)."""
    schedules = WorkSchedule.objects.prefetch_related("intervals")
    return (
        schedules.filter(municipality_id=municipality_id).first()
        or schedules.filter(municipality__isnull=True).first()
    )


def _build(municipality: Municipality) -> BusinessCalendar:
    national = national_calendar()
    schedule = _schedule_for(municipality.pk)
    weekly = DEFAULT_WEEKLY
    shorten = 60
    if schedule is not None:
        weekly = schedule.weekly()
        shorten = schedule.shorten_minutes
        if not weekly:
            # No working time at all would make every working-time term fail obscurely.
            raise ValueError(f"В графике работы «{schedule}» нет ни одного рабочего интервала")
    overrides = {
        e.date: e.day_intervals()
        for e in MunicipalCalendarException.objects.filter(municipality_id=municipality.pk)
    }
    return BusinessCalendar(
        tz=municipality.timezone,
        weekly=weekly,
        national=national,
        overrides=overrides,
        shorten_minutes=shorten,
    )


def calendar_for(municipality: Municipality) -> BusinessCalendar:
    """The business calendar of a municipality (cached; see the module docstring).

    Raises ``CalendarDataMissing`` (from the engine, when a computation needs a year without
    rows) — never a silent Monday–Friday guess.
    """
    version = calendar_version()
    key = (municipality.pk, municipality.timezone, version)
    cal = _calendars.get(key)
    if cal is None:
        cal = _build(municipality)
        with _lock:
            if any(k[2] != version for k in _calendars):
                _calendars.clear()
            _calendars[key] = cal
    return cal
