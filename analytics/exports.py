"""Every analytics table downloads as CSV (``?format=csv``) and XLSX (``?format=xlsx``)."""

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

# openpyxl (a dependency) is imported where a workbook is made: it pulls in numpy, and a
# web worker that never exports should not carry either (docs/performance.md, memory).

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_formats() -> list[str]:
    return ["csv", "xlsx"]


def csv_text(headers: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([str(h) for h in headers])
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


#: what Excel refuses in a sheet's name
_SHEET_FORBIDDEN = str.maketrans("", "", ":\\/?*[]")


def xlsx_workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """An XLSX file with one sheet per ``(title, headers, rows)`` (titles cut to 31)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(str(title).translate(_SHEET_FORBIDDEN)[:31])
        sheet.append([str(h) for h in headers])
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence], *, title: str) -> bytes:
    return xlsx_workbook([(title, headers, rows)])


def table_response(
    fmt: str, *, filename: str, title: str, headers: Sequence[str], rows: list[Sequence]
) -> HttpResponse | None:
    """The download of a table, or None for a format that is not offered (the page)."""
    if fmt == "csv":
        # A BOM so that Excel opens the Cyrillic as UTF-8; «;» as Russian Excel expects.
        body = "\ufeff" + csv_text(headers, rows)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(headers, rows, title=title), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    return None
