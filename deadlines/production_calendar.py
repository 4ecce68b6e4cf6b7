"""Loader of the Russian national production calendar shipped with the project.

The data lives in ``deadlines/data/production_calendar.json`` (5-day week; see its ``_meta``
for how every year was obtained). This module is pure stdlib (no Django), so the deadline
engine and its tests can use it without a database. The admin-editable copy of the calendar
(seeded from the same JSON) is built elsewhere and passed to the engine as the same
``dict[int, YearData]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "DATA_PATH",
    "PUBLIC_HOLIDAYS_ART_112",
    "YearData",
    "load_national_calendar",
    "parse_calendar",
]

DATA_PATH = Path(__file__).resolve().parent / "data" / "production_calendar.json"

# ТК РФ ст. 112: нерабочими праздничными днями в Российской Федерации являются
# 1-6 и 8 января (Новогодние каникулы), 7 января (Рождество Христово), 23 февраля,
# 8 марта, 1 мая, 9 мая, 12 июня, 4 ноября. (month, day) pairs.
PUBLIC_HOLIDAYS_ART_112: frozenset[tuple[int, int]] = frozenset(
    {(1, d) for d in range(1, 9)} | {(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)}
)


@dataclass(frozen=True, slots=True)
class YearData:
    """One year of the national production calendar (5-day week).

    ``days_off``: Monday–Friday dates that are not working (public holidays and days off
    moved by law or decree). ``working_weekends``: Saturday/Sunday dates that are working
    days. ``shortened``: working days one hour shorter (ТК РФ ст. 95).
    ``weekend_holidays``: public holidays that fall on a Saturday or Sunday; irrelevant for a
    Monday–Friday schedule, used only by schedules that also work at weekends.
    """

    year: int
    days_off: frozenset[date]
    working_weekends: frozenset[date]
    shortened: frozenset[date]
    weekend_holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("days_off", "working_weekends", "shortened", "weekend_holidays"):
            for d in getattr(self, name):
                if d.year != self.year:
                    raise ValueError(f"{name}: {d} is not in {self.year}")
        for d in self.days_off:
            if d.weekday() >= 5:
                raise ValueError(f"days_off: {d} is a weekend day (list only Mon–Fri)")
        for d in self.working_weekends:
            if d.weekday() < 5:
                raise ValueError(f"working_weekends: {d} is not a Saturday or Sunday")
        for d in self.weekend_holidays:
            if d.weekday() < 5:
                raise ValueError(f"weekend_holidays: {d} is not a Saturday or Sunday")
        for d in self.shortened:
            if not self.is_working_day(d):
                raise ValueError(f"shortened: {d} is not a working day")

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` (a date of this year) is a working day of the 5-day week."""
        if d.weekday() >= 5:
            return d in self.working_weekends
        return d not in self.days_off

    def working_days_count(self) -> int:
        """Number of working days in the year (shortened days included)."""
        first = date(self.year, 1, 1)
        days = (date(self.year + 1, 1, 1) - first).days
        return sum(self.is_working_day(first + timedelta(days=i)) for i in range(days))

    def hours_40h_week(self) -> int:
        """Norm of working hours at a 40-hour week (8 h a day, shortened days 7 h)."""
        return self.working_days_count() * 8 - len(self.shortened)


def _dates(values: Iterable[str]) -> frozenset[date]:
    return frozenset(date.fromisoformat(v) for v in values)


def parse_calendar(data: Mapping[str, Any]) -> dict[int, YearData]:
    """Build ``{year: YearData}`` from the JSON structure of ``production_calendar.json``.

    Keys starting with ``_`` are metadata. When a year declares ``totals`` (working days,
    days off, hours at a 40-h week), they are checked against the lists: a mismatch means a
    typo in the data and raises ``ValueError``.
    """
    result: dict[int, YearData] = {}
    for key, raw in data.items():
        if key.startswith("_"):
            continue
        year = int(key)
        yd = YearData(
            year=year,
            days_off=_dates(raw.get("non_working_holidays", ())),
            working_weekends=_dates(raw.get("working_weekends", ())),
            shortened=_dates(raw.get("shortened_days", ())),
            weekend_holidays=_dates(raw.get("holidays_on_weekends", ())),
        )
        totals = raw.get("totals") or {}
        working = yd.working_days_count()
        year_len = (date(year + 1, 1, 1) - date(year, 1, 1)).days
        checks = {
            "working_days": working,
            "days_off": year_len - working,
            "hours_40h_week": yd.hours_40h_week(),
        }
        for name, computed in checks.items():
            if name in totals and totals[name] != computed:
                raise ValueError(
                    f"{year}: totals.{name} = {totals[name]}, but the lists give {computed}"
                )
        result[year] = yd
    return result


@lru_cache(maxsize=1)
def _load_default() -> tuple[tuple[int, YearData], ...]:
    with DATA_PATH.open(encoding="utf-8") as fh:
        return tuple(sorted(parse_calendar(json.load(fh)).items()))


def load_national_calendar() -> dict[int, YearData]:
    """The shipped national calendar as ``{year: YearData}``.

    The file is read and validated once (cached); every call returns a new dict, so a caller
    may add or replace years without affecting others (``YearData`` itself is immutable).
    """
    return dict(_load_default())
