import datetime as dt
import zoneinfo

import pytest

from mcu.text import fold
from mcu.timefmt import format_duration, format_local, zone_label

AT = dt.datetime(2026, 11, 22, 10, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("Europe/Moscow", "МСК"),
        ("Asia/Novokuznetsk", "МСК+4"),
        ("Asia/Yekaterinburg", "МСК+2"),
        ("Europe/Saratov", "МСК+1"),
        ("Europe/Kaliningrad", "МСК−1"),
    ],
)
def test_zones_are_named_against_moscow(zone, label):
    assert zone_label(zoneinfo.ZoneInfo(zone), AT) == label


def test_local_format_shows_the_municipality_time_and_zone():
    assert format_local(AT, zoneinfo.ZoneInfo("Asia/Novokuznetsk")) == "22.11.2026 17:05 (МСК+4)"
    assert format_local(None, zoneinfo.ZoneInfo("Europe/Moscow")) == "—"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 мин"),
        (45 * 60, "45 мин"),
        (2 * 3600 + 15 * 60, "2 ч 15 мин"),
        (3 * 3600, "3 ч"),
        (26 * 3600, "1 дн. 2 ч"),
        (-90 * 60, "1 ч 30 мин"),
    ],
)
def test_durations_read_in_russian(seconds, text):
    assert format_duration(seconds) == text


def test_fold_ignores_case_and_yo():
    assert fold("  ЁЛКА  у\tподъезда ") == fold("елка у ПОДЪЕЗДА") == "елка у подъезда"
