"""The shipped national production calendar: official totals, the 'holidays' cross-check,
and the Labour Code art. 95 rule for shortened days. No database needed."""

from __future__ import annotations

import json
from datetime import date, timedelta

import holidays
import pytest

from deadlines.production_calendar import (
    DATA_PATH,
    PUBLIC_HOLIDAYS_ART_112,
    YearData,
    load_national_calendar,
    parse_calendar,
)

YEARS = (2025, 2026, 2027)


def _days(year: int):
    d = date(year, 1, 1)
    while d.year == year:
        yield d
        d += timedelta(days=1)


def _raw() -> dict:
    return json.loads(DATA_PATH.read_text(encoding="utf-8"))


def test_it_covers_2025_to_2027():
    assert sorted(load_national_calendar()) == list(YEARS)


def test_it_returns_a_fresh_dict_each_time():
    # A caller adding a year must not change what other callers see.
    first = load_national_calendar()
    first[2099] = first[2027]
    assert 2099 not in load_national_calendar()


@pytest.mark.parametrize("year", [2025, 2026])
def test_official_totals(year):
    # Official: 247 working days, 118 days off, 1972 hours at a 40-hour week.
    yd = load_national_calendar()[year]
    assert yd.working_days_count() == 247
    assert yd.hours_40h_week() == 1972
    assert _raw()[str(year)]["totals"] == {
        "working_days": 247,
        "days_off": 118,
        "hours_40h_week": 1972,
    }


def test_2027_totals_are_recorded_and_consistent():
    # 2027 is derived (see _meta); its totals are counted from the lists and stored.
    yd = load_national_calendar()[2027]
    totals = _raw()["2027"]["totals"]
    assert totals["working_days"] == yd.working_days_count() == 247
    assert totals["days_off"] == 365 - 247
    assert totals["hours_40h_week"] == 247 * 8 - len(yd.shortened) == 1972


def test_every_year_records_how_it_was_obtained():
    meta = _raw()["_meta"]["years"]
    assert set(meta) == {str(y) for y in YEARS}
    assert "derived" in meta["2027"]


# The published calendars, written out by hand (постановление Правительства РФ от
# 04.10.2024 № 1335 for 2025; the decree of 24.09.2025 for 2026; ТК РФ ст. 95, 112).
OFFICIAL = {
    2025: {
        "days_off": [
            "01-01",
            "01-02",
            "01-03",
            "01-06",
            "01-07",
            "01-08",
            "05-01",
            "05-02",
            "05-08",
            "05-09",
            "06-12",
            "06-13",
            "11-03",
            "11-04",
            "12-31",
        ],
        "working_weekends": ["11-01"],
        "shortened": ["03-07", "04-30", "06-11", "11-01"],
    },
    2026: {
        "days_off": [
            "01-01",
            "01-02",
            "01-05",
            "01-06",
            "01-07",
            "01-08",
            "01-09",
            "02-23",
            "03-09",
            "05-01",
            "05-11",
            "06-12",
            "11-04",
            "12-31",
        ],
        "working_weekends": [],
        "shortened": ["04-30", "05-08", "06-11", "11-03"],
    },
}


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_2025_and_2026_are_the_published_calendars(year):
    yd = load_national_calendar()[year]
    expected = {
        key: {date.fromisoformat(f"{year}-{md}") for md in days}
        for key, days in OFFICIAL[year].items()
    }
    assert yd.days_off == expected["days_off"]
    assert yd.working_weekends == expected["working_weekends"]
    assert yd.shortened == expected["shortened"]


@pytest.mark.parametrize("year", YEARS)
def test_matches_the_holidays_library(year):
    # Cross-check: the Mon–Fri days off and the working weekends must be exactly those of
    # python-holidays (which models the decrees and the art. 112 moves).
    ru = holidays.country_holidays("RU", years=year, language="ru")
    yd = load_national_calendar()[year]
    lib_days_off = {d for d in _days(year) if d.weekday() < 5 and not ru.is_working_day(d)}
    lib_working_weekends = {d for d in _days(year) if d.weekday() >= 5 and ru.is_working_day(d)}
    assert yd.days_off == lib_days_off
    assert yd.working_weekends == lib_working_weekends
    assert yd.working_weekends == {d for d in ru.weekend_workdays if d.year == year}
    assert yd.weekend_holidays == {d for d in ru if d.year == year and d.weekday() >= 5}
    assert yd.working_days_count() == ru.get_working_days_count(
        date(year, 1, 1), date(year, 12, 31)
    )


def _art_95_shortened(yd: YearData, transfers: list[dict]) -> set[date]:
    """ТК РФ ст. 95, written out: a working day right before a public holiday (art. 112)
    is one hour shorter; a working Saturday that replaced the day before a public holiday
    is shortened too. A day before a *transferred* day off is not."""
    out = set()
    for d in _days(yd.year):
        nxt = d + timedelta(days=1)
        if yd.is_working_day(d) and (nxt.month, nxt.day) in PUBLIC_HOLIDAYS_ART_112:
            out.add(d)
    for t in transfers:
        src, dst = date.fromisoformat(t["from"]), date.fromisoformat(t["to"])
        if src in yd.working_weekends:
            nxt = dst + timedelta(days=1)
            if (nxt.month, nxt.day) in PUBLIC_HOLIDAYS_ART_112:
                out.add(src)
    return out


@pytest.mark.parametrize("year", YEARS)
def test_shortened_days_follow_art_95(year):
    # For 2025 and 2026 this checks the rule against the official lists; for 2027 it checks
    # that the derived list is what the rule gives.
    yd = load_national_calendar()[year]
    assert yd.shortened == _art_95_shortened(yd, _raw()[str(year)]["transfers"])


def test_known_shortened_and_normal_days():
    cal = load_national_calendar()
    # Official: the working Saturday 2025-11-01 replaced Mon 3 Nov (before 4 Nov): shortened.
    assert date(2025, 11, 1) in cal[2025].shortened
    # Official: 2025-05-07 and 2025-12-30 precede transferred days off: normal days.
    assert date(2025, 5, 7) not in cal[2025].shortened
    assert date(2025, 12, 30) not in cal[2025].shortened
    # Official: Fri 2026-03-06 is not shortened (a weekend lies before 8 March).
    assert date(2026, 3, 6) not in cal[2026].shortened
    assert cal[2027].shortened == {
        date(2027, 2, 20),
        date(2027, 4, 30),
        date(2027, 6, 11),
        date(2027, 11, 3),
    }


def test_2027_working_saturday():
    # The 2027 decree: Sat 20 Feb is worked instead of Mon 22 Feb.
    yd = load_national_calendar()[2027]
    assert yd.working_weekends == {date(2027, 2, 20)}
    assert date(2027, 2, 22) in yd.days_off


def test_parse_rejects_totals_that_do_not_match_the_lists():
    raw = _raw()
    raw["2026"]["totals"]["working_days"] = 248
    with pytest.raises(ValueError, match=r"totals\.working_days"):
        parse_calendar(raw)


def test_year_data_rejects_a_weekend_in_days_off():
    with pytest.raises(ValueError, match="weekend"):
        YearData(2026, frozenset({date(2026, 1, 3)}), frozenset(), frozenset())


def test_year_data_rejects_a_shortened_day_off():
    with pytest.raises(ValueError, match="not a working day"):
        YearData(2026, frozenset({date(2026, 1, 9)}), frozenset(), frozenset({date(2026, 1, 9)}))
