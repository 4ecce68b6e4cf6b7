"""The case list as a file: ``/cases/export.csv`` and ``/cases/export.xlsx``.

The rows are the list's own (the same scope, queue and filters, ``views.case_list_queryset``),
newest first unless sorted otherwise. The resident's name, contacts and profile link are
left out unless the file is asked for with them (``personal=1``) by a role that may see
them (``permissions.can_see_personal_data``; 152-ФЗ: personal data only where needed).
Times are each case's municipality's own, with the zone in the header. At most
``EXPORT_MAX_ROWS`` rows: a bigger selection is refused with the count, not cut silently.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from .models import Case

EXPORT_MAX_ROWS = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _headers(*, personal: bool, municipality: bool) -> list[str]:
    headers = [_("Номер"), _("Поступило (местное время)")]
    if municipality:
        headers.append(_("МО"))
    headers += [
        _("Вид"),
        _("Канал"),
        _("Статус"),
        _("Категория"),
        _("Исполнитель"),
        _("Район"),
        _("Адрес"),
        _("Текст"),
        _("Ближайший срок (местное время)"),
        _("Ссылка на источник"),
    ]
    if personal:
        headers += [_("Автор"), _("Контакты автора"), _("Профиль автора")]
    return headers


def _local(at, case: Case) -> str:
    return at.astimezone(case.municipality.zone).strftime("%d.%m.%Y %H:%M") if at else ""


def case_export_rows(
    qs: QuerySet[Case], *, personal: bool, municipality: bool
) -> Iterator[list[str]]:
    """The header row, then one row per case (read in chunks: a big export is not held)."""
    yield _headers(personal=personal, municipality=municipality)
    for case in qs.iterator(chunk_size=2000):
        row = [case.registration_number, _local(case.received_at, case)]
        if municipality:
            row.append(case.municipality.name)
        row += [
            case.get_kind_display(),
            case.get_channel_display(),
            case.get_status_display(),
            case.category.name if case.category_id else "",
            str(case.organisation) if case.organisation_id else "",
            case.district.name if case.district_id else "",
            case.address,
            case.text,
            _local(case.next_due_at, case),
            case.source_url,
        ]
        if personal:
            row += [case.author_name, case.author_contacts, case.author_url]
        yield row


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_stream(rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";")
    # A BOM so that Excel opens the Cyrillic as UTF-8; «;» as Russian Excel expects.
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)


def case_export_response(fmt: str, rows: Iterable[list[str]], *, filename: str):
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_stream(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    import openpyxl  # here, not at import: see analytics/exports.py

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(_("Сообщения"))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
