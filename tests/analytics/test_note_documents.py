"""The note as an official document: PDF (read back with pdftotext, first page rendered
with pdftoppm), DOCX (read back with python-docx), XLSX and HTML — all from the snapshot."""

import io
import shutil
import subprocess

import pytest

from analytics import services
from analytics.documents import NBSP, long_date, note_render, typograph

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_typography():
    assert typograph('Отчёт по "Инцидент менеджмент" в МО') == (
        f"Отчёт по{NBSP}«Инцидент менеджмент» в{NBSP}МО"
    )
    assert typograph("выполнено 95 %, № 12") == f"выполнено 95{NBSP}%, №{NBSP}12"
    assert long_date("2026-02-02") == f"2{NBSP}февраля 2026{NBSP}г."


@pytest.fixture
def approved(dataset, world):
    note, _c = services.note_create(municipality=world.mun, kind="weekly", period="2026-W06")
    top = str(note.content["top"][0]["category"])
    services.note_set_causes(
        pk=note.pk, actor=world.users["head"], causes={top: 'Износ покрытия; "ямочный" ремонт'}
    )
    return services.note_approve(pk=note.pk, actor=world.users["curator"])


def _flat(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").split())


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
def test_every_format_renders_the_snapshot(approved, tmp_path):
    pytest.importorskip("weasyprint")
    # PDF: the text is there, in order, with the Russian typography; DejaVu embedded.
    content_type, pdf = note_render(approved, "pdf")
    assert content_type == "application/pdf" and pdf.startswith(b"%PDF")
    path = tmp_path / "note.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    flat = _flat(text)
    for piece in (
        "МЕЖДУРЕЧЕНСК",
        "Еженедельная аналитическая записка",
        "за период с 2 февраля 2026 г. по 8 февраля 2026 г.",
        "Редакция 1. Утверждена",
        "1. Итоги по каналам",
        "ВКонтакте 5 2 3",
        "4. Рейтинг исполнителей",
        "9. Причины и предлагаемые решения по ТОП-проблемам",
        "Износ покрытия; «ямочный» ремонт",
        "Рисунок к разделу 1. Поступление по каналам",
        "Стр. 1 из",
    ):
        assert piece in flat, piece
    assert flat.index("1. Итоги") < flat.index("4. Рейтинг") < flat.index("9. Причины")
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "DejaVu-Sans" in fonts or "DejaVuSans" in fonts
    # The first page as an image: A4 portrait, with ink on it.
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    from PIL import Image

    page = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    width, height = page.size
    assert abs(height / width - 297 / 210) < 0.02
    dark = sum(1 for v in page.getdata() if v < 128)
    assert dark > 0.01 * width * height

    # DOCX: the same sections, tables and a picture, read back.
    pytest.importorskip("docx")
    from docx import Document

    _type, body = note_render(approved, "docx")
    doc = Document(io.BytesIO(body))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert [h.split(".")[0] for h in headings] == [str(i) for i in range(1, 10)]
    assert _flat(headings[0]) == "1. Итоги по каналам"
    paragraphs = _flat(" ".join(p.text for p in doc.paragraphs))
    assert "Междуреченск" in paragraphs and "за период с 2 февраля 2026 г." in paragraphs
    channels = doc.tables[0]
    assert [c.text for c in channels.rows[1].cells] == ["ВКонтакте", "5", "2", "3"]
    causes = doc.tables[-1]
    assert _flat(causes.rows[1].cells[3].text) == "Износ покрытия; «ямочный» ремонт"
    assert len(doc.inline_shapes) >= 2  # the charts
    assert doc.sections[1].orientation == 1  # the rating on a landscape page

    # XLSX: one sheet per table; HTML: the same document.
    openpyxl = pytest.importorskip("openpyxl")
    _type, xlsx = note_render(approved, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert len(book.sheetnames) == 9
    assert [c.value for c in book.worksheets[0][2]] == ["ВКонтакте", 5, 2, 3]
    _type, html = note_render(approved, "html")
    assert "data:image/png;base64," in html.decode()


def test_a_long_case_list_is_cut_for_reading_and_whole_in_the_xlsx(world):
    """Thousands of overdue cases in a region's week: the page, the PDF and the DOCX show
    the first ``READING_CASE_ROWS`` and say how many there are; the XLSX lists them all."""
    from analytics.documents import READING_CASE_ROWS, document_context
    from analytics.models import WeeklyNote

    many = 1207  # more than READING_CASE_ROWS, written with a space: «1 207»
    rows = [[f"МЖД-26-{i:06d}", "02.02.2026 09:00", "—", "—", "—"] for i in range(many)]
    note = WeeklyNote(
        municipality=world.mun,
        kind="weekly",
        period="2026-W06",
        date_from="2026-02-02",
        date_to="2026-02-08",
        content={
            "kind": "weekly",
            "title": "Еженедельная аналитическая записка",
            "basis": "распоряжение",
            "municipality": world.mun.name,
            "timezone": world.mun.timezone,
            "date_from": "2026-02-02",
            "date_to": "2026-02-08",
            "built_at": "09.02.2026 09:00",
            "total": many,
            "total_previous": 0,
            "sections": [
                {"code": "overdue", "title": "Просрочено", "headers": list("№ПМИП"), "rows": rows},
                {
                    "code": "channels",
                    "title": "Итоги по каналам",
                    "headers": ["Канал"],
                    "rows": [[str(i)] for i in range(many)],
                },
            ],
        },
    )
    overdue, channels = document_context(note, charts=False)["sections"]
    assert len(overdue["rows"]) == READING_CASE_ROWS
    assert overdue["rows"][0][0] == "МЖД-26-000000"  # the oldest first, as built
    assert overdue["more_text"] == (
        f"Показаны первые {READING_CASE_ROWS} из 1{NBSP}207; полный перечень — в версии XLSX."
    )
    assert len(channels["rows"]) == many and not channels["more_text"]  # not a case list
    docx = pytest.importorskip("docx")
    _type, body = note_render(note, "docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(body)).paragraphs)
    assert overdue["more_text"] in text
    openpyxl = pytest.importorskip("openpyxl")
    _type, xlsx = note_render(note, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets[0]
    assert sheet.max_row == many + 1  # the header and every case
