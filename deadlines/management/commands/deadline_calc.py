"""``manage.py deadline_calc``: due times for JSON lines on stdin, one answer line each.

Input, one computation per line::

    {"start": "2026-05-08T16:30:00+07:00", "amount": 480, "unit": "working_minutes",
     "timezone": "Asia/Novokuznetsk"}

optionally with ``"municipality": "<slug>"`` to use that municipality's calendar from the
database (its zone; ``timezone`` may then be left out). Without it: the default calendar —
Mon–Fri 08:00–17:00, no lunch break, pre-holiday days ending at 16:00, the shipped national
production calendar — and no database access at all.

Output, exactly one line per input line, in order, flushed at once:
``{"due_at": "2026-05-12T16:00:00+07:00"}`` (ISO 8601 with the local offset) or
``{"error": "…"}`` for a bad line (bad JSON, a missing field, an unknown unit or zone, a
naive start, an unknown municipality, a year without calendar data); the command carries
on with the next line.
"""

from __future__ import annotations

import json
import sys
import zoneinfo
from datetime import datetime

from django.core.management.base import BaseCommand

from deadlines.engine import CalendarDataMissing, Unit, compute_due, default_calendar

_UNITS = ", ".join(u.value for u in Unit)


class LineError(Exception):
    """What is wrong with one input line (the message goes to the output)."""


def _calendar(item: dict, cache: dict):
    slug = item.get("municipality")
    zone_name = item.get("timezone")
    if zone_name is not None and not isinstance(zone_name, str):
        raise LineError("поле timezone должно быть строкой (IANA, например Asia/Novokuznetsk)")
    if slug is None:
        if zone_name is None:
            raise LineError("нет поля timezone")
        try:
            zoneinfo.ZoneInfo(zone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise LineError(f"неизвестный часовой пояс «{zone_name}»") from None
        return default_calendar(zone_name)
    if not isinstance(slug, str):
        raise LineError("поле municipality должно быть строкой (код МО)")
    if slug not in cache:
        from deadlines.calendars import calendar_for
        from mcu.models import Municipality

        municipality = Municipality.objects.filter(slug=slug).first()
        if municipality is None:
            raise LineError(f"неизвестное муниципальное образование «{slug}»")
        cache[slug] = (municipality.timezone, calendar_for(municipality))
    zone, calendar = cache[slug]
    if zone_name is not None and zone_name != zone:
        raise LineError(f"часовой пояс «{zone_name}» не совпадает с поясом МО «{zone}»")
    return calendar


def compute_line(line: str, cache: dict) -> dict:
    """One input line → ``{"due_at": …}``; raises LineError with the reason."""
    if not line.strip():
        raise LineError("пустая строка")
    try:
        item = json.loads(line)
    except ValueError as exc:
        raise LineError(f"не JSON: {exc}") from None
    if not isinstance(item, dict):
        raise LineError("ожидается JSON-объект")
    for field in ("start", "amount", "unit"):
        if field not in item:
            raise LineError(f"нет поля {field}")
    start_raw, amount, unit = item["start"], item["amount"], item["unit"]
    if not isinstance(start_raw, str):
        raise LineError("поле start должно быть строкой ISO 8601")
    try:
        start = datetime.fromisoformat(start_raw)
    except ValueError:
        raise LineError(f"start «{start_raw}» — не дата и время ISO 8601") from None
    if start.tzinfo is None or start.utcoffset() is None:
        raise LineError(f"start «{start_raw}» без смещения часового пояса")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise LineError("amount должно быть целым числом")
    if amount < 0:
        raise LineError("amount не может быть отрицательным")
    if unit not in Unit.__members__.values():
        raise LineError(f"неизвестная единица «{unit}»; допустимы: {_UNITS}")
    calendar = _calendar(item, cache)
    try:
        due = compute_due(start, amount, Unit(unit), calendar)
    except CalendarDataMissing as exc:
        raise LineError(str(exc)) from None
    return {"due_at": due.isoformat()}


class Command(BaseCommand):
    help = 'Считает сроки: JSON-строки на stdin → строка {"due_at"} или {"error"} на каждую.'

    def handle(self, *args, **options) -> None:
        cache: dict = {}
        for raw in sys.stdin:
            line = raw.rstrip("\r\n")
            try:
                out = compute_line(line, cache)
            except LineError as exc:
                out = {"error": str(exc)}
            except Exception as exc:  # one bad line never stops the rest
                out = {"error": f"{type(exc).__name__}: {exc}"}
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            self.stdout.flush()
