"""The weekly analytic note from the same selectors (Ставрополь п. 11 1))."""

import io

import pytest
from django.core.management import CommandError, call_command

from analytics.notes import iso_week, note_period, period_label, weekly_note_build


def test_iso_week():
    period = iso_week("2026-W06")
    assert (period.date_from.isoformat(), period.date_to.isoformat()) == (
        "2026-02-02",
        "2026-02-08",
    )
    with pytest.raises(ValueError):
        iso_week("2026-47")


@pytest.mark.parametrize(
    ("kind", "label", "first", "last"),
    [
        ("weekly", "2026-W01", "2025-12-29", "2026-01-04"),
        ("monthly", "2026-02", "2026-02-01", "2026-02-28"),
        ("quarterly", "2026-Q1", "2026-01-01", "2026-03-31"),
        ("quarterly", "2026-Q4", "2026-10-01", "2026-12-31"),
    ],
)
def test_note_periods(kind, label, first, last):
    period = note_period(kind, label)
    assert (period.date_from.isoformat(), period.date_to.isoformat()) == (first, last)
    assert period_label(kind, period.date_to) == label


@pytest.mark.parametrize(("kind", "label"), [("monthly", "2026-13"), ("quarterly", "2026-Q5")])
def test_bad_periods(kind, label):
    with pytest.raises(ValueError):
        note_period(kind, label)


def test_note_has_numbered_sections_from_the_selectors(dataset, world):
    note = weekly_note_build(municipality=world.mun, week="2026-W06")
    sections = note["sections"]
    titles = [s["title"] for s in sections]
    assert titles[0] == "Итоги по каналам"
    assert titles[-1] == "Повторные сообщения после низкой оценки"
    assert sections[0]["rows"] == [["ВКонтакте", 5, 2, 3]]
    # c1 and c5: first reply (1 working hour) published after 2 hours; c2: the answer
    # late and again open past due; c8: the promise broken.
    overdue = sections[2]["rows"]
    assert [row[0] for row in overdue] == [
        dataset[k].registration_number for k in ("c1", "c2", "c5", "c8")
    ]
    assert overdue[1][2:] == ["Западный", "Отдел ЖКХ", "Протечки"]
    rating = sections[3]["rows"]
    assert rating[0][:3] == [1, "Отдел ЖКХ", 4]
    repeated = sections[-1]["rows"]
    assert [row[0] for row in repeated] == [dataset["c2"].registration_number]
    assert [t["name"] for t in note["top"]] == ["Ямы", "Протечки"]
    assert note["charts"]["channels"] == [["ВКонтакте", 5, 2]]


def test_command_writes_html_and_xlsx(dataset, world, tmp_path):
    html = tmp_path / "note.html"
    call_command(
        "weekly_note", municipality="mzh", period="2026-W06", output=str(html), stdout=io.StringIO()
    )
    text = html.read_text(encoding="utf-8").replace("\xa0", " ")
    assert "1. Итоги по каналам</h2>" in text and "8. Повторные сообщения" in text
    openpyxl = pytest.importorskip("openpyxl")
    xlsx = tmp_path / "note.xlsx"
    call_command(
        "weekly_note",
        municipality="mzh",
        period="2026-W06",
        format="xlsx",
        output=str(xlsx),
        stdout=io.StringIO(),
    )
    book = openpyxl.load_workbook(xlsx)
    # eight tables and the causes of the TOP problems
    assert len(book.sheetnames) == 9
    assert book.sheetnames[-1].startswith("9. Причины")
    with pytest.raises(CommandError):
        call_command("weekly_note", municipality="nope", period="2026-W06", output=str(html))
    with pytest.raises(CommandError):
        call_command(
            "weekly_note", municipality="mzh", kind="month", period="2026-W06", output=str(html)
        )


@pytest.mark.parametrize(("kind", "label"), [("month", "2025-02"), ("quarter", "2025-Q1")])
def test_command_monthly_and_quarterly_docx_without_cases(world, tmp_path, kind, label):
    """Междуреченск пост. 3.3 (monthly) and Лабытнанги 3.6 в) (quarterly), from the same
    engine; a period without cases still makes a whole document."""
    docx = pytest.importorskip("docx")
    out = tmp_path / "note.docx"
    call_command(
        "weekly_note",
        municipality="mzh",
        kind=kind,
        period=label,
        format="docx",
        output=str(out),
        stdout=io.StringIO(),
    )
    doc = docx.Document(str(out))
    text = " ".join(p.text for p in doc.paragraphs).replace("\xa0", " ")
    title = {"month": "Ежемесячный отчёт", "quarter": "Ежеквартальный отчёт"}[kind]
    assert title in text and "Нет данных за период." in text
    assert "1. Итоги по каналам" in text and "8. Повторные сообщения" in text
