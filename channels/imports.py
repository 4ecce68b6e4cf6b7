"""Reading exports: XLSX and CSV files of monitoring systems (DESIGN §5 «Import»).

The file is judged by its content, never by its name: an XLSX is a ZIP archive with a
workbook inside, a CSV is text in UTF-8 (with or without a BOM), UTF-16 or Windows-1251,
with «;», «,» or a tab between the fields. Everything else gets a Russian refusal
(``ImportRefused``) before a row is read:

* an archive whose members would unpack to more than ``IMPORT_MAX_UNCOMPRESSED_MB`` or
  with a member packed more than ``ZIP_MAX_RATIO`` times (a zip bomb) — checked on the
  archive's directory, before openpyxl opens it; the sizes there bound what is unpacked
  (Python's zipfile stops a member at its declared size);
* XLS (Excel 97–2003), password-protected workbooks, PDF, images, HTML pages passed off as
  spreadsheets, other binary files;
* more rows than ``IMPORT_MAX_ROWS``;
* a header row in which the chosen mapping finds no «Текст» or «Дата поступления».

Then a row becomes an item of the ingest service (``channels.services``) or a
``RowRejected`` with the reason; a bad row costs only itself.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from cases.choices import Channel
from mcu.exceptions import InvalidInput
from mcu.text import fold

from .limits import FUTURE_TOLERANCE, TEXT_MAX_CHARS
from .models_import import MAPPED_FIELDS, ImportMapping

#: a member packed more than this many times is a bomb, not a spreadsheet (real sheets of
#: repetitive exports reach about 30–60)
ZIP_MAX_RATIO = 200
#: the ratio is only asked of members larger than this (tiny members pack very well)
ZIP_RATIO_FROM_BYTES = 1024 * 1024
ZIP_MAX_MEMBERS = 5000
#: rows taken in per call of the ingest service (and per progress step)
CHUNK_ROWS = 500

REQUIRED_FIELDS = ("text", "received_at")

#: the columns as the report and the refusals name them
FIELD_LABELS = {
    "external_id": "Внешний ID",
    "received_at": "Дата поступления",
    "channel": "Источник",
    "text": "Текст",
    "url": "Ссылка",
    "author": "Автор",
    "author_url": "Ссылка на автора",
    "author_phone": "Телефон",
    "author_email": "E-mail",
    "address": "Адрес",
    "category": "Категория",
    "latitude": "Широта",
    "longitude": "Долгота",
}

#: what an export writes in «Источник», folded → the channel
CHANNEL_ALIASES = {
    **{fold(str(label)): value for value, label in Channel.choices},
    **{value: value for value in Channel.values},
    "вк": Channel.VK,
    "vkontakte": Channel.VK,
    "vk.com": Channel.VK,
    "вконтакте (vk)": Channel.VK,
    "ok.ru": Channel.OK,
    "ок": Channel.OK,
    "odnoklassniki": Channel.OK,
    "телеграм": Channel.TELEGRAM,
    "телеграмм": Channel.TELEGRAM,
    "tg": Channel.TELEGRAM,
    "пос": Channel.POS,
    "госуслуги": Channel.POS,
    "платформа обратной связи": Channel.POS,
    "e-mail": Channel.EMAIL,
    "email": Channel.EMAIL,
    "электронная почта": Channel.EMAIL,
    "почта": Channel.LETTER,
    "письмо": Channel.LETTER,
    "телефон": Channel.PHONE,
    "звонок": Channel.PHONE,
    "личный приём": Channel.VISIT,
    "интернет-приёмная": Channel.E_RECEPTION,
    "комментарий": Channel.OFFICIAL_COMMENT,
    "личное сообщение": Channel.DIRECT_MESSAGE,
    **dict.fromkeys(
        (
            "instagram",
            "facebook",
            "youtube",
            "rutube",
            "дзен",
            "яндекс.дзен",
            "twitter",
            "x",
            "tiktok",
            "мой мир",
            "livejournal",
            "форум",
            "сми",
        ),
        Channel.SOCIAL_OTHER,
    ),
}
CHANNEL_ALIASES = {fold(k): v for k, v in CHANNEL_ALIASES.items()}

DATE_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y %H:%M",
    "%d.%m.%y",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
)


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 100_000))


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))


def max_uncompressed_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", 300 * 1024 * 1024))


class ImportRefused(InvalidInput):
    """The file as a whole is not taken: nothing of it was written."""

    def __init__(self, message, *, field: str = "file"):
        super().__init__(message, field=field)


@dataclass
class RowRejected(Exception):
    reason: str


# ---------------------------------------------------------------------------------------
# What the file is
# ---------------------------------------------------------------------------------------

_MAGIC = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"{\\rtf", "RTF"),
)
_HTML = re.compile(rb"^\s*(<\?xml|<!doctype html|<html|<table)", re.IGNORECASE)


def _refuse_binary(kind: str):
    if kind == "ole":
        raise ImportRefused(
            _(
                "Файл в формате XLS (Excel 97–2003) или защищён паролем: такие файлы не "
                "принимаются. Откройте его в Excel и сохраните как «Книга Excel (.xlsx)» "
                "или «CSV (разделители — точка с запятой)» без пароля."
            )
        )
    raise ImportRefused(
        _("Это файл %(kind)s, а не таблица. Загрузите выгрузку в формате XLSX или CSV.")
        % {"kind": kind}
    )


def sniff_format(head: bytes) -> str:
    """«xlsx» or «csv» by the first bytes, or a refusal naming what the file is."""
    if not head:
        raise ImportRefused(_("Файл пуст."))
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            _refuse_binary(kind)
    if _HTML.match(head[:512].lstrip(b"\xef\xbb\xbf")):
        raise ImportRefused(
            _(
                "Это HTML- или XML-страница, а не таблица (так выглядят некоторые «XLS» "
                "из веб-систем). Сохраните её в Excel как XLSX или CSV."
            )
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    sample = head[:8192]
    if b"\x00" in sample:
        raise ImportRefused(_("Это двоичный файл, а не таблица. Загрузите XLSX или CSV."))
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    if controls > len(sample) // 100:
        raise ImportRefused(_("Это двоичный файл, а не таблица. Загрузите XLSX или CSV."))
    return "csv"


def check_zip(fh) -> None:
    """Refuse an archive that is not a workbook or would unpack to too much, reading only
    its directory."""
    try:
        archive = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportRefused(_("Файл XLSX повреждён: архив не читается.")) from None
    with archive:
        members = archive.infolist()
        if len(members) > ZIP_MAX_MEMBERS:
            raise ImportRefused(_("В архиве слишком много файлов: это не выгрузка таблицы."))
        names = {m.filename for m in members}
        if "xl/workbook.xml" not in names:
            if "word/document.xml" in names:
                raise ImportRefused(_("Это документ Word, а не таблица. Загрузите XLSX или CSV."))
            raise ImportRefused(_("Это ZIP-архив, а не книга Excel. Загрузите XLSX или CSV."))
        if any(m.flag_bits & 0x1 for m in members):
            raise ImportRefused(_("Книга зашифрована: сохраните её без пароля."))
        limit = max_uncompressed_bytes()
        total = sum(m.file_size for m in members)
        bomb = any(
            m.file_size > ZIP_RATIO_FROM_BYTES
            and m.file_size > ZIP_MAX_RATIO * max(m.compress_size, 1)
            for m in members
        )
        if total > limit or bomb:
            raise ImportRefused(
                _(
                    "Книга распаковывается в %(mb)s МБ данных (допустимо до %(limit)s МБ "
                    "и сжатие не больше чем в %(ratio)s раз): такой файл не принимается. "
                    "Разбейте выгрузку на части."
                )
                % {
                    "mb": total // (1024 * 1024),
                    "limit": limit // (1024 * 1024),
                    "ratio": ZIP_MAX_RATIO,
                }
            )


def decode_csv(raw: bytes) -> tuple[str, str]:
    """The text of a CSV and its encoding: UTF-8 (BOM or not), UTF-16 with a BOM, or
    Windows-1251 (what Russian Excel writes by default)."""
    if raw.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1251"]
    for encoding in candidates:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportRefused(
        _(
            "Не удалось прочитать текст файла: он не в UTF-8 и не в Windows-1251. "
            "Сохраните CSV в кодировке UTF-8."
        )
    )


def sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


# ---------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------


@dataclass
class Table:
    """An opened export: its format, the header row and a way to go over the rows."""

    format: str
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""
    _text: str = ""
    _fh: object = None
    _row_estimate: int | None = None

    def rows(self) -> Iterator[tuple[int, list]]:
        """``(row number as the file numbers it, values)`` of the non-empty data rows."""
        if self.format == "csv":
            reader = csv.reader(io.StringIO(self._text), delimiter=self.delimiter)
            try:
                next(reader, None)
                # Numbered by records, as a spreadsheet shows them (a quoted cell may
                # span lines).
                for number, values in enumerate(reader, start=2):
                    if any(str(v).strip() for v in values):
                        yield number, values
            except csv.Error as exc:
                raise ImportRefused(
                    _("CSV не читается (строка файла %(line)s): %(error)s")
                    % {"line": reader.line_num, "error": exc}
                ) from None
            return
        self._fh.seek(0)
        import openpyxl  # here, not at import: see analytics/exports.py

        book = openpyxl.load_workbook(self._fh, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            rows = enumerate(sheet.iter_rows(values_only=True), start=1)
            while True:
                try:
                    number, values = next(rows)
                except StopIteration:
                    break
                except Exception:  # a broken sheet: openpyxl raises many kinds
                    raise ImportRefused(_("Файл XLSX повреждён: лист не читается.")) from None
                if number == 1:
                    continue
                if any(v is not None and str(v).strip() for v in values):
                    yield number, list(values)
        finally:
            book.close()

    def count(self) -> int:
        return sum(1 for _ in self.rows())

    @property
    def row_estimate(self) -> int | None:
        """Rows as the file declares them (an XLSX's dimension), without reading them."""
        return self._row_estimate


def open_table(fh) -> Table:
    """Open an uploaded or stored file: sniff, check, read the header row."""
    fh.seek(0)
    head = fh.read(8192)
    fmt = sniff_format(head)
    fh.seek(0)
    if fmt == "xlsx":
        check_zip(fh)
        fh.seek(0)
        try:
            import openpyxl

            book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a broken workbook
            raise ImportRefused(_("Файл XLSX повреждён: книга не открывается.")) from None
        try:
            if not book.worksheets:
                raise ImportRefused(_("В книге нет листов."))
            sheet = book.worksheets[0]
            first = next(sheet.iter_rows(max_row=1, values_only=True), None)
            estimate = sheet.max_row if isinstance(sheet.max_row, int) else None
        except ImportRefused:
            raise
        except Exception:
            raise ImportRefused(_("Файл XLSX повреждён: лист не читается.")) from None
        finally:
            book.close()
        headers = [_cell_text(v) for v in (first or [])]
        table = Table("xlsx", headers, _fh=fh, _row_estimate=estimate)
    else:
        raw = fh.read(max_upload_bytes() + 1)
        text, encoding = decode_csv(raw)
        first_line = text.split("\n", 1)[0]
        delimiter = sniff_delimiter(first_line)
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
        table = Table("csv", [h.strip() for h in header], encoding, delimiter, _text=text)
    if not any(table.headers):
        raise ImportRefused(_("В первой строке файла нет заголовков колонок."))
    return table


def check_row_count(count: int) -> None:
    limit = max_rows()
    if count > limit:
        raise ImportRefused(
            _(
                "В файле %(count)s строк, а за один раз можно загрузить не больше "
                "%(limit)s. Разбейте выгрузку на части."
            )
            % {"count": f"{count:,}".replace(",", " "), "limit": f"{limit:,}".replace(",", " ")}
        )


# ---------------------------------------------------------------------------------------
# Columns → fields
# ---------------------------------------------------------------------------------------


def resolve_columns(mapping: ImportMapping, headers: list[str]) -> dict[str, int]:
    """``field → column index`` for the fields the mapping finds in the header row; a
    refusal naming the required columns it does not find."""
    folded = [fold(h) for h in headers]
    columns: dict[str, int] = {}
    for name in MAPPED_FIELDS:
        for wanted in mapping.headers_of(name):
            target = fold(wanted)
            if target in folded:
                columns[name] = folded.index(target)
                break
    missing = [FIELD_LABELS[f] for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        raise ImportRefused(
            _(
                "Сопоставление «%(mapping)s» не нашло в файле колонок: %(missing)s. "
                "Заголовки файла: %(headers)s. Выберите другое сопоставление или "
                "поправьте его в администрировании."
            )
            % {
                "mapping": mapping.name,
                "missing": ", ".join(f"«{m}»" for m in missing),
                "headers": ", ".join(f"«{h}»" for h in headers if h)[:600],
            },
            field="mapping",
        )
    return columns


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    return str(value).strip()


def cell_texts(values: list) -> list[str]:
    return [_cell_text(v) for v in values]


def _parse_when(value, zone) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    else:
        text = _cell_text(value)
        if not text:
            raise RowRejected(_("Не указана дата поступления."))
        parsed = None
        try:
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            for fmt in DATE_FORMATS:
                try:
                    parsed = dt.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            raise RowRejected(
                _("Дата поступления «%(value)s» не распознана (ожидается ДД.ММ.ГГГГ ЧЧ:ММ).")
                % {"value": text[:40]}
            )
    if timezone.is_naive(parsed):
        # An export shows the local time of the municipality it was made for.
        parsed = parsed.replace(tzinfo=zone)
    if parsed > timezone.now() + FUTURE_TOLERANCE:
        raise RowRejected(_("Дата поступления в будущем."))
    return parsed


def _parse_channel(value: str, default: str) -> str:
    if not value:
        if default:
            return default
        raise RowRejected(_("Не указан источник, и канал по умолчанию не выбран."))
    channel = CHANNEL_ALIASES.get(fold(value))
    if channel is None:
        raise RowRejected(
            _("Неизвестный источник «%(value)s»: выберите канал при загрузке.")
            % {"value": value[:60]}
        )
    return channel


def _parse_coordinate(value: str, label: str, bound: int) -> float | None:
    if not value:
        return None
    try:
        number = Decimal(value.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise RowRejected(
            _("%(label)s «%(value)s» — не число.") % {"label": label, "value": value[:30]}
        ) from None
    if not -bound <= number <= bound:
        raise RowRejected(
            _("%(label)s «%(value)s» вне допустимых пределов.")
            % {"label": label, "value": value[:30]}
        )
    return float(number)


@dataclass
class RowReader:
    """Turns a row into an item of the ingest service."""

    columns: dict[str, int]
    zone: object
    default_channel: str = ""
    _seen: set = field(default_factory=set)

    def _get(self, values: list, name: str):
        index = self.columns.get(name)
        if index is None or index >= len(values):
            return None
        return values[index]

    def _text(self, values: list, name: str) -> str:
        return _cell_text(self._get(values, name))

    def item(self, values: list) -> dict:
        text = self._text(values, "text")
        if not text:
            raise RowRejected(_("Пустой текст сообщения."))
        if len(text) > TEXT_MAX_CHARS:
            raise RowRejected(
                _("Текст длиннее %(max)s символов.")
                % {"max": f"{TEXT_MAX_CHARS:,}".replace(",", " ")}
            )
        received_at = _parse_when(self._get(values, "received_at"), self.zone)
        channel = _parse_channel(self._text(values, "channel"), self.default_channel)
        author = {
            "name": self._text(values, "author"),
            "profile_url": self._text(values, "author_url"),
            "phone": self._text(values, "author_phone"),
            "email": self._text(values, "author_email"),
        }
        external_id = self._text(values, "external_id")
        if not external_id:
            # No identifier in the export: the row's own content is its key, so the same
            # file imported again is still taken in once.
            digest = hashlib.sha256(
                "\x1f".join(
                    [received_at.isoformat(), text, author["name"], self._text(values, "url")]
                ).encode()
            ).hexdigest()
            external_id = f"row-{digest[:32]}"
        elif len(external_id) > 128:
            raise RowRejected(_("Внешний ID длиннее 128 символов."))
        latitude = _parse_coordinate(self._text(values, "latitude"), FIELD_LABELS["latitude"], 90)
        longitude = _parse_coordinate(
            self._text(values, "longitude"), FIELD_LABELS["longitude"], 180
        )
        if (latitude is None) != (longitude is None):
            raise RowRejected(_("Укажите обе координаты или ни одной."))
        item = {
            "channel": channel,
            "external_id": external_id,
            "received_at": received_at,
            "text": text,
            "author": author,
            "url": self._text(values, "url"),
            "address": self._text(values, "address")[:500],
            "category_hint": self._text(values, "category")[:64],
        }
        if latitude is not None:
            item["latitude"], item["longitude"] = latitude, longitude
        return item


#: the ingest service's field names → the column a rejection names
API_FIELD_COLUMNS = {
    "url": "url",
    "author": "author",
    "text": "text",
    "received_at": "received_at",
    "address": "address",
    "external_id": "external_id",
    "category_hint": "category",
    "latitude": "latitude",
    "longitude": "longitude",
    "channel": "channel",
    "kind": "channel",
}


def errors_reason(errors: dict | None) -> str:
    """A rejection's reason from the ingest service's ``{field: [messages]}``."""
    parts = []
    for name, messages in (errors or {}).items():
        text = " ".join(str(m) for m in messages)
        column = API_FIELD_COLUMNS.get(name)
        parts.append(f"«{FIELD_LABELS[column]}»: {text}" if column else text)
    return "; ".join(parts) or _("Строка не принята.")


def report_safe(value: str) -> str:
    """A cell of the rejected-rows report that a spreadsheet will not run as a formula
    (a resident's «=HYPERLINK(…)» stays text)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
