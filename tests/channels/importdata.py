"""Exports as monitoring systems write them, made in memory for the import tests."""

import csv
import datetime as dt
import io
import itertools
import zipfile
import zoneinfo

import openpyxl
from django.utils import timezone

LOCAL = zoneinfo.ZoneInfo("Asia/Novokuznetsk")  # the zone of world.mun (Междуреченск)
HEADERS = [
    "Внешний ID",
    "Дата поступления",
    "Источник",
    "Текст",
    "Ссылка",
    "Автор",
    "Адрес",
    "Категория",
]
_ids = itertools.count(1)


def local(days_ago: float = 1) -> str:
    """A local time of the municipality, as an export writes it, some days before now."""
    at = timezone.now().astimezone(LOCAL) - dt.timedelta(days=days_ago)
    return at.strftime("%d.%m.%Y %H:%M")


def row(**overrides) -> dict:
    number = next(_ids)
    values = {
        "Внешний ID": f"im-{number}",
        "Дата поступления": local(),
        "Источник": "ВКонтакте",
        "Текст": f"Не вывозят мусор у дома {number} по ул. Кузнецкой",
        "Ссылка": f"https://vk.com/wall-1_{number}",
        "Автор": "Пётр Жителев",
        "Адрес": "ул. Кузнецкая, 5",
        "Категория": "",
    }
    values.update(overrides)
    return values


def csv_bytes(rows, *, headers=HEADERS, encoding="utf-8-sig", delimiter=";") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    for r in rows:
        writer.writerow([r.get(h, "") for h in headers])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, *, headers=HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for r in rows:
        sheet.append([r.get(h, "") for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bomb(member_mb: int = 64) -> bytes:
    """A «workbook» whose sheet unpacks to member_mb MB of zeros (about 1,000 times its
    packed size)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"\0" * (1024 * 1024)
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(member_mb):
                member.write(chunk)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()


def mapping_default():
    """The default mapping (the migration's; made again if a transactional test flushed
    it)."""
    from channels.models_import import DEFAULT_MAPPING, ImportMapping

    mapping, _ = ImportMapping.objects.get_or_create(
        name=DEFAULT_MAPPING["name"], defaults=DEFAULT_MAPPING
    )
    return mapping
