"""Import of an official production calendar: parsing, validation, the diff (DESIGN §4).

Two formats:

* the open XML format of Russian production calendars that regional systems exchange::

    <calendar year="2026" lang="ru" date="2025.09.24" country="ru">
      <holidays><holiday id="1" title="Новогодние каникулы"/>…</holidays>
      <days>
        <day d="01.01" t="1" h="1"/>      t=1: day off (holiday, or a transferred day off)
        <day d="01.09" t="1" f="01.03"/>  f: the date the day off was moved from
        <day d="04.30" t="2"/>            t=2: shortened pre-holiday day (ТК РФ ст. 95)
        <day d="11.01" t="3" f="11.03"/>  t=3: working Saturday/Sunday (f: the day it frees)
      </days>
    </calendar>

  ``d`` is MM.DD of the declared year; a weekend not listed is a day off, a weekday not
  listed a full working day. A Saturday worked in exchange for a weekday may also come as
  ``t=2`` (worked *and* shortened) when a ``t=1`` day names it in ``f`` (2025: 1 Nov);
* the project's own JSON (``deadlines/data/production_calendar.json``), one or more years.

Parsing never touches the database; :func:`calendar_diff` reads it, and the write is the
service ``deadlines.services.production_calendar_import``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.parsers import expat

from django.utils.translation import gettext as _

from .choices import CalendarDayKind
from .defaults import year_rows
from .production_calendar import PUBLIC_HOLIDAYS_ART_112, YearData

__all__ = [
    "MAX_FILE_BYTES",
    "CalendarDiff",
    "CalendarImportError",
    "ImportedDay",
    "ImportedYear",
    "calendar_diff",
    "parse_calendar_bytes",
    "parse_calendar_file",
]

# A year of the open format is about 3 KB, the shipped JSON with three years 15 KB.
MAX_FILE_BYTES = 1024 * 1024

# A year of a 5-day week has 247 ± a few working days (2015–2027: 247–249); a file outside
# this band is not a production calendar of a 5-day week, or it lost days.
MIN_WORKING_DAYS = 240
MAX_WORKING_DAYS = 255

WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
NEW_YEAR = frozenset((1, d) for d in range(1, 9))


class CalendarImportError(Exception):
    """The file is refused; ``errors`` are the Russian messages, one per problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True, slots=True)
class ImportedDay:
    """One CalendarDay row to write: a date that differs from the 5-day week."""

    date: date
    kind: str  # CalendarDayKind
    note: str = ""


@dataclass
class ImportedYear:
    year: int
    data: YearData
    days: list[ImportedDay]
    warnings: list[str] = field(default_factory=list)
    format: str = "xml"  # "xml" | "json"
    published: str = ""  # the file's ``date`` attribute, as written


@dataclass
class Totals:
    working_days: int
    hours_40h_week: int


@dataclass
class CalendarDiff:
    """What an import changes in one year: (date, kind) lists and the year's totals."""

    year: int
    added: list[tuple[date, str, str]] = field(default_factory=list)  # date, kind, note
    removed: list[tuple[date, str]] = field(default_factory=list)  # date, kind
    changed: list[tuple[date, str, str]] = field(default_factory=list)  # date, old, new
    before: Totals | None = None  # None: the database had no rows for the year
    after: Totals | None = None
    recomputed: int = 0  # open clocks whose times changed (set by the service)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def day_label(d: date) -> str:
    """«01.05.2026 пт»."""
    return f"{d:%d.%m.%Y} {WEEKDAYS[d.weekday()]}"


def kind_label(kind: str) -> str:
    return {
        CalendarDayKind.DAY_OFF: _("нерабочий"),
        CalendarDayKind.WORKING: _("рабочий выходной"),
        CalendarDayKind.SHORTENED: _("сокращённый (ТК РФ ст. 95)"),
    }.get(kind, kind)


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


def parse_calendar_file(path: str | Path) -> list[ImportedYear]:
    """Read and validate a calendar file (XML or JSON, told by its first character)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CalendarImportError(
            [_("Не удалось прочитать файл «%(path)s»: %(error)s") % {"path": path, "error": exc}]
        ) from exc
    return parse_calendar_bytes(data)


def parse_calendar_bytes(data: bytes) -> list[ImportedYear]:
    if len(data) > MAX_FILE_BYTES:
        raise CalendarImportError(
            [
                _("Файл больше %(size)s КБ: это не производственный календарь.")
                % {"size": MAX_FILE_BYTES // 1024}
            ]
        )
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return [parse_xml(data)]
    if head == b"{":
        return parse_json(data)
    raise CalendarImportError(
        [_("Неизвестный формат файла: ожидается XML (<calendar …>) или JSON проекта.")]
    )


def _refuse_dtd(data: bytes) -> None:
    """Refuse any DTD before ElementTree sees the document.

    ``defusedxml`` is not a dependency of the desk, and one small file a year does not
    justify adding it, so this does what it would do for us: a first pass with the bare
    expat parser whose DOCTYPE, entity-declaration and external-entity handlers raise. A
    production calendar has no DTD; without one there are no entities to expand (no
    "billion laughs", no quadratic blow-up) and nothing external to fetch (ElementTree
    never fetches external entities anyway). Together with ``MAX_FILE_BYTES`` this bounds
    what the second, real parse can cost.
    """

    def refuse(*_args):
        raise CalendarImportError(
            [_("XML с DTD или сущностями (<!DOCTYPE>, <!ENTITY>) не принимается.")]
        )

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise CalendarImportError(
            [_("Файл не является корректным XML: %(error)s") % {"error": exc}]
        ) from exc


_MD_RE = re.compile(r"^(?:(\d{4})[.-])?(\d{1,2})\.(\d{1,2})$")


def _xml_date(value: str, year: int, what: str, errors: list[str]) -> date | None:
    """«MM.DD» of the declared year (also «YYYY.MM.DD», whose year must be that year)."""
    match = _MD_RE.match(value.strip())
    if not match:
        errors.append(
            _("%(what)s «%(value)s»: ожидается дата в виде ММ.ДД") % {"what": what, "value": value}
        )
        return None
    y, m, d = match.groups()
    if y is not None and int(y) != year:
        errors.append(
            _("%(what)s «%(value)s» не относится к %(year)s году")
            % {"what": what, "value": value, "year": year}
        )
        return None
    try:
        return date(year, int(m), int(d))
    except ValueError:
        errors.append(
            _("%(what)s «%(value)s»: такой даты нет в %(year)s году")
            % {"what": what, "value": value, "year": year}
        )
        return None


def parse_xml(data: bytes) -> ImportedYear:
    """The open XML format → a validated year (see the module docstring)."""
    _refuse_dtd(data)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise CalendarImportError(
            [_("Файл не является корректным XML: %(error)s") % {"error": exc}]
        ) from exc
    if root.tag != "calendar":
        raise CalendarImportError(
            [_("Корневой элемент должен быть <calendar>, а не <%(tag)s>.") % {"tag": root.tag}]
        )
    country = root.get("country", "ru").strip().lower()
    if country != "ru":
        raise CalendarImportError(
            [
                _('Календарь страны «%(country)s»: принимается только country="ru".')
                % {"country": country}
            ]
        )
    raw_year = root.get("year", "")
    if not raw_year.strip().isdigit() or not 2000 <= int(raw_year) <= 2100:
        raise CalendarImportError(
            [_("Атрибут year=«%(year)s»: ожидается год, например 2028.") % {"year": raw_year}]
        )
    year = int(raw_year)
    errors: list[str] = []

    titles_by_id: dict[str, str] = {}
    for holiday in root.iter("holiday"):
        hid = (holiday.get("id") or "").strip()
        if not hid:
            errors.append(_("<holiday> без атрибута id"))
            continue
        titles_by_id[hid] = (holiday.get("title") or "").strip()

    days_el = root.find("days")
    if days_el is None or not len(days_el):
        raise CalendarImportError([_("В файле нет дней (<days><day …/></days>).")])

    marks: dict[date, int] = {}
    titles: dict[date, str] = {}
    holidays_h: set[date] = set()
    transfer_f: list[tuple[date, date, int]] = []  # (day, its f, its t)
    for el in days_el.iter("day"):
        raw_d = el.get("d", "")
        d = _xml_date(raw_d, year, _("День"), errors)
        if d is None:
            continue
        where = day_label(d)
        t = (el.get("t") or "").strip()
        if t not in ("1", "2", "3"):
            errors.append(
                _("%(day)s: t=«%(t)s», допустимы 1 (нерабочий), 2 (сокращённый), 3 (рабочий)")
                % {"day": where, "t": t}
            )
            continue
        if d in marks:
            errors.append(_("%(day)s указан дважды") % {"day": where})
            continue
        marks[d] = int(t)
        h = (el.get("h") or "").strip()
        if h:
            if h not in titles_by_id:
                errors.append(
                    _("%(day)s: праздник h=«%(h)s» не описан в <holidays>") % {"day": where, "h": h}
                )
            else:
                holidays_h.add(d)
                if titles_by_id[h]:
                    titles[d] = titles_by_id[h]
        f = (el.get("f") or "").strip()
        if f:
            source = _xml_date(f, year, _("%(day)s: перенос f") % {"day": where}, errors)
            if source is not None:
                transfer_f.append((d, source, int(t)))
    if errors:
        raise CalendarImportError(errors)

    off = {d for d, t in marks.items() if t == 1}
    shortened = {d for d, t in marks.items() if t == 2}
    working = {d for d, t in marks.items() if t == 3}
    # moved: the transferred day off → the date it was moved from (ТК РФ ст. 112).
    moved: dict[date, date] = {}
    for d, f, t in transfer_f:
        if t == 1:
            target, source = d, f
        elif d.weekday() >= 5:
            # A worked weekend names the weekday it frees: that weekday's rest comes
            # from this weekend day.
            target, source = f, d
        else:
            errors.append(
                _("%(day)s: перенос f у рабочего будня не имеет смысла") % {"day": day_label(d)}
            )
            continue
        if target in moved:
            errors.append(_("%(day)s: два переноса на один день") % {"day": day_label(target)})
            continue
        moved[target] = source
    # A shortened weekend day is a worked one when its rest was moved to a weekday.
    sources = set(moved.values())
    working_weekends = working | {d for d in shortened if d.weekday() >= 5 and d in sources}
    for d in sorted(shortened):
        if d.weekday() >= 5 and d not in working_weekends:
            errors.append(
                _(
                    "%(day)s: сокращённый день (t=2) в выходной, который не объявлен рабочим "
                    "(нет переноса с него, f=«%(md)s»)"
                )
                % {"day": day_label(d), "md": f"{d:%m.%d}"}
            )
    for d in sorted(working):
        if d.weekday() < 5:
            errors.append(
                _("%(day)s: рабочий выходной (t=3) приходится на будний день")
                % {"day": day_label(d)}
            )
    result = _build(
        errors=errors,
        year=year,
        off=off,
        working_weekends=working_weekends,
        shortened=shortened,
        moved=moved,
        holidays=holidays_h,
        titles=titles,
        fmt="xml",
    )
    result.published = (root.get("date") or "").strip()
    return result


def parse_json(data: bytes) -> list[ImportedYear]:
    """The project's JSON (``deadlines/data/production_calendar.json``) → validated years."""
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CalendarImportError(
            [_("Файл не является корректным JSON: %(error)s") % {"error": exc}]
        ) from exc
    if not isinstance(raw, dict):
        raise CalendarImportError([_('JSON: ожидается объект {"2028": {…}}.')])
    keys = [k for k in raw if not str(k).startswith("_")]
    if not keys:
        raise CalendarImportError([_("JSON: в файле нет ни одного года.")])
    years: list[ImportedYear] = []
    errors: list[str] = []
    for key in sorted(keys):
        try:
            years.append(_json_year(key, raw[key]))
        except CalendarImportError as exc:
            errors.extend(exc.errors)
    if errors:
        raise CalendarImportError(errors)
    return years


def _json_dates(value: Any, year: int, name: str, errors: list[str]) -> set[date]:
    result: set[date] = set()
    if value is None:
        return result
    if not isinstance(value, list):
        errors.append(
            _("%(year)s: «%(name)s» должен быть списком дат") % {"year": year, "name": name}
        )
        return result
    for item in value:
        try:
            d = date.fromisoformat(str(item))
        except ValueError:
            errors.append(
                _("%(year)s: «%(name)s»: «%(value)s» — не дата ГГГГ-ММ-ДД")
                % {"year": year, "name": name, "value": item}
            )
            continue
        if d.year != year:
            errors.append(
                _("%(year)s: «%(name)s»: %(day)s не относится к %(year)s году")
                % {"year": year, "name": name, "day": day_label(d)}
            )
            continue
        result.add(d)
    return result


def _json_year(key: str, raw: Any) -> ImportedYear:
    if not str(key).isdigit() or not 2000 <= int(key) <= 2100:
        raise CalendarImportError([_("JSON: ключ «%(key)s» — не год") % {"key": key}])
    year = int(key)
    if not isinstance(raw, dict):
        raise CalendarImportError([_("JSON: %(year)s: ожидается объект") % {"year": year}])
    errors: list[str] = []
    days_off = _json_dates(raw.get("non_working_holidays"), year, "non_working_holidays", errors)
    weekend_holidays = _json_dates(
        raw.get("holidays_on_weekends"), year, "holidays_on_weekends", errors
    )
    working_weekends = _json_dates(raw.get("working_weekends"), year, "working_weekends", errors)
    shortened = _json_dates(raw.get("shortened_days"), year, "shortened_days", errors)
    moved: dict[date, date] = {}
    for item in raw.get("transfers") or ():
        if not isinstance(item, dict) or not {"from", "to"} <= item.keys():
            errors.append(
                _('%(year)s: перенос «%(item)s»: ожидается {"from": …, "to": …}')
                % {"year": year, "item": item}
            )
            continue
        source = _json_dates([item["from"]], year, "transfers.from", errors)
        target = _json_dates([item["to"]], year, "transfers.to", errors)
        if source and target:
            (t,) = target
            if t in moved:
                errors.append(_("%(day)s: два переноса на один день") % {"day": day_label(t)})
            moved[t] = next(iter(source))
    for d in sorted(days_off):
        if d.weekday() >= 5:
            errors.append(
                _(
                    "%(day)s: в non_working_holidays только будни "
                    "(праздник в выходной — в holidays_on_weekends)"
                )
                % {"day": day_label(d)}
            )
    for d in sorted(weekend_holidays):
        if d.weekday() < 5:
            errors.append(
                _("%(day)s: holidays_on_weekends — это будний день") % {"day": day_label(d)}
            )
    for d in sorted(working_weekends):
        if d.weekday() < 5:
            errors.append(
                _("%(day)s: рабочий выходной (working_weekends) приходится на будний день")
                % {"day": day_label(d)}
            )
    for d in sorted(shortened):
        if d.weekday() >= 5 and d not in working_weekends:
            errors.append(
                _("%(day)s: сокращённый день в выходной, который не объявлен рабочим")
                % {"day": day_label(d)}
            )
    for d in sorted((days_off | weekend_holidays) & (working_weekends | shortened)):
        errors.append(_("%(day)s: и нерабочий, и рабочий одновременно") % {"day": day_label(d)})
    result = _build(
        errors=errors,
        year=year,
        off=days_off | weekend_holidays,
        working_weekends=working_weekends,
        shortened=shortened,
        moved=moved,
        holidays=set(),
        titles={},
        fmt="json",
    )
    totals = raw.get("totals") or {}
    computed = {
        "working_days": result.data.working_days_count(),
        "days_off": _year_len(year) - result.data.working_days_count(),
        "hours_40h_week": result.data.hours_40h_week(),
    }
    bad = [
        _("%(year)s: totals.%(name)s = %(given)s, а по спискам выходит %(computed)s")
        % {"year": year, "name": name, "given": totals[name], "computed": value}
        for name, value in computed.items()
        if name in totals and totals[name] != value
    ]
    if bad:
        raise CalendarImportError(bad)
    return result


# ---------------------------------------------------------------------------------------
# Validation common to both formats
# ---------------------------------------------------------------------------------------


def _year_len(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def _is_holiday(d: date, holidays: set[date]) -> bool:
    return (d.month, d.day) in PUBLIC_HOLIDAYS_ART_112 or d in holidays


def _build(
    *,
    errors: list[str],
    year: int,
    off: set[date],
    working_weekends: set[date],
    shortened: set[date],
    moved: dict[date, date],
    holidays: set[date],
    titles: dict[date, str],
    fmt: str,
) -> ImportedYear:
    """Check the classified year for sanity, then build its YearData and rows.

    ``errors``: what the format's own checks found; all problems are reported together.
    ``off``: every non-working date given (weekdays and weekend holidays); weekends not in
    ``working_weekends`` are days off anyway. ``moved``: transferred day off → its source.
    """
    errors = list(errors)

    def working(d: date) -> bool:
        if d.weekday() >= 5:
            return d in working_weekends
        return d not in off

    # ТК РФ ст. 112 ч. 1: «Нерабочими праздничными днями в Российской Федерации являются:
    # 1, 2, 3, 4, 5, 6 и 8 января — Новогодние каникулы; 7 января — Рождество Христово;
    # 23 февраля …; 8 марта …; 1 мая …; 9 мая …; 12 июня …; 4 ноября …».
    if all(working(date(year, m, d)) or date(year, m, d).weekday() >= 5 for m, d in NEW_YEAR):
        errors.append(
            _(
                "В %(year)s году нет новогодних каникул (1–8 января, ТК РФ ст. 112): "
                "это не производственный календарь или он неполный."
            )
            % {"year": year}
        )
    else:
        worked_holidays = sorted(
            date(year, m, d) for m, d in PUBLIC_HOLIDAYS_ART_112 if working(date(year, m, d))
        )
        for d in worked_holidays:
            errors.append(
                _("%(day)s — нерабочий праздничный день (ТК РФ ст. 112), а в файле рабочий")
                % {"day": day_label(d)}
            )

    # ТК РФ ст. 112 ч. 2: «При совпадении выходного и нерабочего праздничного дней выходной
    # день переносится на следующий после праздничного рабочий день…»; ч. 5: «В целях
    # рационального использования … выходные дни могут переноситься на другие дни
    # нормативным правовым актом Правительства Российской Федерации». So a transferred day
    # off is a weekday, and what it was moved from is a holiday on a weekend, or a weekend
    # day that becomes a working one.
    for source, count in Counter(moved.values()).items():
        if count > 1:
            errors.append(
                _("%(day)s перенесён %(count)s раза") % {"day": day_label(source), "count": count}
            )
    for target, source in sorted(moved.items()):
        if target == source:
            errors.append(_("%(day)s: перенос дня на самого себя") % {"day": day_label(target)})
            continue
        if target.weekday() >= 5:
            errors.append(
                _("%(day)s: выходной перенесён на выходной (с %(source)s)")
                % {"day": day_label(target), "source": day_label(source)}
            )
        elif target not in off:
            errors.append(
                _("%(day)s: на него перенесён выходной с %(source)s, но сам день рабочий")
                % {"day": day_label(target), "source": day_label(source)}
            )
        if source.weekday() < 5 and not _is_holiday(source, holidays):
            errors.append(
                _(
                    "%(day)s: выходной перенесён с %(source)s, а это будний день, "
                    "не праздник (ст. 112 ТК РФ переносит только выходные)"
                )
                % {"day": day_label(target), "source": day_label(source)}
            )
        elif (
            source.weekday() >= 5
            and not _is_holiday(source, holidays)
            and source not in working_weekends
        ):
            errors.append(
                _(
                    "%(day)s: выходной перенесён с %(source)s, но тот остался выходным и "
                    "не праздник: день отдыха появился бы дважды"
                )
                % {"day": day_label(target), "source": day_label(source)}
            )

    count = sum(working(date(year, 1, 1) + timedelta(days=i)) for i in range(_year_len(year)))
    if not MIN_WORKING_DAYS <= count <= MAX_WORKING_DAYS:
        errors.append(
            _(
                "В %(year)s году выходит %(count)s рабочих дней, ожидается от %(min)s до "
                "%(max)s: календарь неполный или неверный."
            )
            % {"year": year, "count": count, "min": MIN_WORKING_DAYS, "max": MAX_WORKING_DAYS}
        )
    if errors:
        raise CalendarImportError(errors)

    data = YearData(
        year=year,
        days_off=frozenset(d for d in off if d.weekday() < 5),
        working_weekends=frozenset(working_weekends),
        shortened=frozenset(shortened),
        weekend_holidays=frozenset(d for d in off if d.weekday() >= 5),
    )
    rows = year_rows(data, moved, titles)
    days = [ImportedDay(date=r["date"], kind=r["kind"], note=r["note"]) for r in rows]
    return ImportedYear(
        year=year,
        data=data,
        days=days,
        warnings=_art_95_warnings(data, moved),
        format=fmt,
    )


def _art_95_warnings(data: YearData, moved: dict[date, date]) -> list[str]:
    """ТК РФ ст. 95 ч. 1: «Продолжительность рабочего дня или смены, непосредственно
    предшествующих нерабочему праздничному дню, уменьшается на один час.» Decrees and
    published calendars apply it also to a working Saturday that replaced the day before a
    holiday (2025: 1 Nov for 3 Nov), so a mismatch is a warning, not a refusal."""
    expected: set[date] = set()
    d = date(data.year, 1, 1)
    while d.year == data.year:
        nxt = d + timedelta(days=1)
        if data.is_working_day(d) and (nxt.month, nxt.day) in PUBLIC_HOLIDAYS_ART_112:
            expected.add(d)
        d = nxt
    for target, source in moved.items():
        nxt = target + timedelta(days=1)
        if source in data.working_weekends and (nxt.month, nxt.day) in PUBLIC_HOLIDAYS_ART_112:
            expected.add(source)
    warnings = [
        _("%(day)s: рабочий день перед праздником не сокращён (ТК РФ ст. 95)")
        % {"day": day_label(d)}
        for d in sorted(expected - data.shortened)
    ]
    warnings += [
        _("%(day)s: сокращён, хотя следующий день не праздничный (ТК РФ ст. 95)")
        % {"day": day_label(d)}
        for d in sorted(data.shortened - expected)
    ]
    return warnings


# ---------------------------------------------------------------------------------------
# The diff against the database
# ---------------------------------------------------------------------------------------


def _totals(year: int, kinds: dict[date, str]) -> Totals:
    """Working days and the norm of hours at a 40-hour week (8 h, a shortened day 7 h)."""
    working = shortened = 0
    d = date(year, 1, 1)
    while d.year == year:
        kind = kinds.get(d)
        if kind == CalendarDayKind.DAY_OFF:
            pass
        elif kind in (CalendarDayKind.WORKING, CalendarDayKind.SHORTENED) or d.weekday() < 5:
            working += 1
            shortened += kind == CalendarDayKind.SHORTENED
        d += timedelta(days=1)
    return Totals(working_days=working, hours_40h_week=working * 8 - shortened)


def calendar_diff(*, year: int, days: list[ImportedDay]) -> CalendarDiff:
    """What writing ``days`` as the rows of ``year`` would change (reads CalendarDay)."""
    from .models import CalendarDay

    old = dict(CalendarDay.objects.filter(year=year).values_list("date", "kind"))
    new = {day.date: day.kind for day in days}
    notes = {day.date: day.note for day in days}
    diff = CalendarDiff(year=year)
    for d in sorted(old.keys() | new.keys()):
        if d not in old:
            diff.added.append((d, new[d], notes[d]))
        elif d not in new:
            diff.removed.append((d, old[d]))
        elif old[d] != new[d]:
            diff.changed.append((d, old[d], new[d]))
    diff.before = _totals(year, old) if old else None
    diff.after = _totals(year, new)
    return diff
