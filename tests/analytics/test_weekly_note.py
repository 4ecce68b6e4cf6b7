"""The weekly analytic note from the same selectors (Ставрополь п. 11 1))."""

import io

import pytest
from django.core.management import CommandError, call_command

from analytics.notes import iso_week, weekly_note_build


def test_iso_week():
    period = iso_week("2026-W06")
    assert (period.date_from.isoformat(), period.date_to.isoformat()) == (
        "2026-02-02",
        "2026-02-08",
    )
    with pytest.raises(ValueError):
        iso_week("2026-47")


def test_note_has_numbered_sections_from_the_selectors(dataset, world):
    note = weekly_note_build(municipality=world.mun, week="2026-W06")
    titles = [title for title, _h, _r in note.sections]
    assert titles[0] == "Итоги по каналам" and titles[-1] == "Повторные сообщения"
    by_channel = note.sections[0][2]
    assert by_channel == [["ВКонтакте", 5, 2, 3]]
    # c1 and c5: first reply (1 working hour) published after 2 hours; c2: the answer
    # late and again open past due; c8: the promise broken.
    overdue = note.sections[2][2]
    assert [row[0] for row in overdue] == [
        dataset[k].registration_number for k in ("c1", "c2", "c5", "c8")
    ]
    assert overdue[1][2:] == ["Западный", "Отдел ЖКХ", "Протечки"]
    rating = note.sections[3][2]
    assert rating[0][:3] == [1, "Отдел ЖКХ", 4]
    repeated = note.sections[-1][2]
    assert [row[0] for row in repeated] == [dataset["c2"].registration_number]


def test_command_writes_html_and_xlsx(dataset, world, tmp_path):
    html = tmp_path / "note.html"
    call_command(
        "weekly_note", municipality="mzh", week="2026-W06", output=str(html), stdout=io.StringIO()
    )
    text = html.read_text(encoding="utf-8")
    assert "<h2>1. Итоги по каналам</h2>" in text and "8. Повторные сообщения" in text
    openpyxl = pytest.importorskip("openpyxl")
    xlsx = tmp_path / "note.xlsx"
    call_command(
        "weekly_note",
        municipality="mzh",
        week="2026-W06",
        format="xlsx",
        output=str(xlsx),
        stdout=io.StringIO(),
    )
    book = openpyxl.load_workbook(xlsx)
    assert len(book.sheetnames) == 8
    with pytest.raises(CommandError):
        call_command("weekly_note", municipality="nope", week="2026-W06", output=str(html))
