"""Chromium: the curator opens the draft note from the notification, approves it and
downloads the PDF (Ставрополь п. 11 1): the note «для представления главе»)."""

import datetime as dt

import pytest

from analytics.models import NoteStatus, WeeklyNote
from analytics.services import note_create
from tests.browser.conftest import login
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_curator_opens_approves_and_downloads_the_note(page, live_server, world, tmp_path):
    received = dt.datetime(2026, 2, 3, 10, 0, tzinfo=world.mun.zone)
    CaseFactory(municipality=world.mun, organisation=world.org, received_at=received)
    note, _c = note_create(municipality=world.mun, kind="weekly", period="2026-W06")

    login(page, live_server, "curator")
    # The notice of the ready draft leads to the note.
    page.goto(f"{live_server.url}/notifications/")
    page.click("text=Готов проект записки")
    page.wait_for_url(f"{live_server.url}/analytics/notes/{note.pk}/")
    assert "Еженедельная аналитическая записка" in page.locator("h1").inner_text()
    assert "проект" in page.locator("main").inner_text()

    page.click("button:has-text('Утвердить')")
    page.wait_for_url(f"{live_server.url}/analytics/notes/{note.pk}/")
    assert "Записка утверждена." in page.locator(".messages").inner_text()
    note.refresh_from_db()
    assert note.status == NoteStatus.APPROVED and note.approved_by == world.users["curator"]
    assert page.locator("button:has-text('Утвердить')").count() == 0

    # weasyprint and matplotlib load on the first PDF: give a loaded machine time.
    with page.expect_download(timeout=90_000) as info:
        page.click("text=Скачать PDF")
    download = info.value
    assert download.suggested_filename == "note_mzh_2026-W06_r1.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    assert WeeklyNote.objects.count() == 1
