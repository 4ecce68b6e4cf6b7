"""The file as a whole: what is refused before a row is read, and what is read the same
whatever the encoding or the delimiter (DESIGN §5 «Import»)."""

import io
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from channels import imports
from channels.import_services import import_table_check
from channels.imports import ImportRefused

from .importdata import HEADERS, csv_bytes, mapping_default, plain_zip, row, xlsx_bytes, zip_bomb


def upload(content: bytes, name: str = "export.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def refusal(content: bytes, name: str = "export.xlsx") -> str:
    with pytest.raises(ImportRefused) as caught:
        import_table_check(upload(content, name), mapping_default())
    return str(caught.value.message)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "файл PDF"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "файл PNG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "XLS (Excel 97–2003)"),
        (b"<html><body><table><tr><td>1</td></tr></table>", "HTML"),
        (b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", "двоичный файл"),
        (b"", "Файл пуст"),
        (plain_zip(), "ZIP-архив, а не книга Excel"),
        (b"PK\x03\x04garbage that is no archive", "повреждён"),
    ],
    ids=["pdf", "png", "xls", "html", "binary", "empty", "zip", "broken-zip"],
)
def test_the_type_is_judged_by_content_not_by_the_name(db, content, words):
    assert words in refusal(content, "export.xlsx")
    assert words in refusal(content, "export.csv")


def test_a_zip_bomb_is_refused_from_the_directory_before_openpyxl_reads_it(db):
    bomb = zip_bomb(64)
    assert len(bomb) < 1024 * 1024  # 64 MB of sheet in well under a megabyte
    with mock.patch("openpyxl.load_workbook") as load:
        message = refusal(bomb)
    load.assert_not_called()
    assert "распаковывается в 64 МБ" in message
    assert "Разбейте выгрузку" in message


def test_a_workbook_over_the_unpacked_limit_is_refused(db):
    book = xlsx_bytes([row() for _ in range(3)])
    with override_settings(IMPORT_MAX_UNCOMPRESSED_BYTES=1024):
        assert "допустимо до 0 МБ" in refusal(book)
    import_table_check(upload(book), mapping_default())  # under the default limit


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(db):
    with (
        override_settings(IMPORT_MAX_UPLOAD_BYTES=2 * 1024 * 1024),
        mock.patch.object(imports, "open_table") as opened,
    ):
        message = refusal(b"x" * (2 * 1024 * 1024 + 1), "big.csv")
    opened.assert_not_called()
    assert message == "Файл больше 2 МБ: разбейте выгрузку на части."


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_more_rows_than_the_limit_are_refused(db, fmt):
    rows = [row() for _ in range(6)]
    content = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)
    with override_settings(IMPORT_MAX_ROWS=5):
        message = refusal(content, f"big.{fmt}")
    assert message == (
        "В файле 6 строк, а за один раз можно загрузить не больше 5. Разбейте выгрузку на части."
    )
    with override_settings(IMPORT_MAX_ROWS=6):
        import_table_check(upload(content, f"ok.{fmt}"), mapping_default())


def test_a_file_without_the_required_columns_is_refused_naming_them(db):
    content = csv_bytes([{"Текст": "мусор"}], headers=["Текст", "Автор"])
    with pytest.raises(ImportRefused) as caught:
        import_table_check(upload(content, "x.csv"), mapping_default())
    assert caught.value.field == "mapping"
    message = str(caught.value.message)
    assert "не нашло в файле колонок: «Дата поступления»" in message
    assert "Заголовки файла: «Текст», «Автор»" in message


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8-sig", ";"),
        ("utf-8-sig", ","),
        ("utf-8", ";"),
        ("cp1251", ";"),
        ("cp1251", ","),
        ("utf-16", "\t"),
    ],
)
def test_csv_in_any_usual_encoding_and_delimiter_reads_the_same(db, encoding, delimiter):
    rows = [row(**{"Текст": "Яма на дороге, ёлки «во дворе»; опасно"}), row()]
    content = csv_bytes(rows, encoding=encoding, delimiter=delimiter)
    table = imports.open_table(io.BytesIO(content))
    assert table.headers == HEADERS
    assert table.delimiter == delimiter
    values = [v for _n, v in table.rows()]
    assert values[0][3] == "Яма на дороге, ёлки «во дворе»; опасно"
    assert [n for n, _v in table.rows()] == [2, 3]


def test_text_in_neither_utf8_nor_cp1251_is_refused(db):
    # 0x98 is the one byte Windows-1251 leaves undefined, and this is no UTF-8.
    content = "Дата поступления;Текст\n".encode("cp1251") + b"\x98\xff;\x98\n"
    assert "не в UTF-8 и не в Windows-1251" in refusal(content, "x.csv")


def test_headers_match_whatever_the_case_and_yo(db):
    headers = ["ВНЕШНИЙ id", "дата поступления", "Текст", "  ИСТОЧНИК  ", "Адрёс"]
    mapping = mapping_default()
    mapping.col_address = "Адрес"
    columns = imports.resolve_columns(mapping, headers)
    assert columns == {
        "external_id": 0,
        "received_at": 1,
        "text": 2,
        "channel": 3,
        "address": 4,
    }


def test_a_csv_the_parser_cannot_read_is_refused_not_a_500(db):
    huge_field = "Дата поступления;Текст\n01.01.2026 10:00;" + "я" * 200_000 + "\n"
    message = refusal(huge_field.encode("utf-8"), "x.csv")
    assert message.startswith("CSV не читается (строка файла 2): field larger than field limit")


def test_a_multiline_cell_counts_as_one_row(db):
    content = 'Дата поступления;Текст\n01.01.2026 10:00;"две\nстроки"\n02.01.2026 10:00;ещё\n'
    table = imports.open_table(io.BytesIO(content.encode()))
    assert [(n, v[1]) for n, v in table.rows()] == [(2, "две\nстроки"), (3, "ещё")]


def test_a_broken_sheet_is_refused_before_a_row_is_written(db):
    import zipfile

    good = xlsx_bytes([row()])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut off mid-XML
            dst.writestr(item, data)
    with pytest.raises(ImportRefused, match="Файл XLSX повреждён: лист не читается"):
        imports.open_table(io.BytesIO(out.getvalue())).count()
