"""The card in Chromium, part two (issue 11, «The card»): internal notes added through
the htmx form, the resident's own files, «Открыть публикацию» / «Скопировать ответ» at
publication, and the printable 59-ФЗ card without the navigation, the forms and the notes.
"""

import os
from pathlib import Path

import pytest

from cases import services
from channels.models import IngestRecord
from tests.browser.conftest import login
from tests.cases import conftest as workflow

category, make_case, drive = workflow.category, workflow.make_case, workflow.drive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Бригада будет в четверг, заявителю пока не сообщать"


def test_an_executor_adds_a_note_and_the_administrator_reads_it(
    page, live_server, world, make_case, drive
):
    case = drive(make_case(text="Нет света в подъезде"), "in_progress")
    login(page, live_server, "executor")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    notes = page.locator("[data-testid=case-notes]")
    notes.locator("textarea[name=text]").fill(NOTE)
    notes.get_by_role("button", name="Добавить заметку").click()
    page.locator("[data-testid=note]").first.wait_for()
    assert NOTE in page.locator("[data-testid=note]").first.inner_text()
    assert "Заметка добавлена" in page.locator("[data-testid=case-notes]").inner_text()
    # An htmx swap of the notes only: the rest of the card is where it was.
    assert page.locator("#h-text").is_visible()

    page.context.clear_cookies()
    login(page, live_server, "administrator")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert NOTE in page.locator("[data-testid=case-notes]").inner_text()
    # Print: the 59-ФЗ card without the navigation, the forms, the buttons and the notes.
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden()
    assert page.locator("nav").first.is_hidden()
    assert page.locator("[data-testid=case-notes]").is_hidden()
    assert page.locator(".timeline li.ev-note").first.is_hidden()
    assert page.locator("form").first.is_hidden()
    assert page.locator("[data-print]").is_hidden()
    for shown in ("h1", "#h-text", "#h-facts", ".card-clocks", "#h-events"):
        assert page.locator(shown).first.is_visible(), shown
    assert case.registration_number in page.locator("h1").inner_text()


def test_publication_tools_and_the_residents_files(page, live_server, world, make_case, drive):
    case = drive(
        make_case(text="Яма у школы", source_url="https://vk.com/wall-1_2"),
        "approved",
    )
    IngestRecord.objects.create(
        case=case,
        integration=world.users["integration"],
        attachment_urls=["https://portal.example.ru/photo/1.jpg"],
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, live_server, "administrator")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    files = page.locator("[data-testid=resident-files] a")
    assert files.count() == 1
    assert files.first.get_attribute("href") == "https://portal.example.ru/photo/1.jpg"
    assert "noopener" in files.first.get_attribute("rel")
    # Links, not <img>: the desk loads nothing from an outside host.
    assert page.locator("[data-testid=resident-files] img").count() == 0
    post = page.locator("[data-testid=open-post]")
    assert post.get_attribute("href") == "https://vk.com/wall-1_2"
    assert "noopener" in post.get_attribute("rel")
    page.locator("[data-testid=copy-answer]").click()
    page.get_by_text("Ответ скопирован").wait_for()
    answer = case.answers.filter(kind="final").latest("created_at").text
    assert page.evaluate("navigator.clipboard.readText()") == answer
    if os.environ.get("UXCARD_SHOTS"):
        page.screenshot(path=f"{os.environ['UXCARD_SHOTS']}/card-publish-1440.png", full_page=True)


def test_card_screenshots(page, live_server, world, make_case, drive, tmp_path):
    """The card at 1440×900 and 390×844, and printed (``UXCARD_SHOTS=<dir>`` keeps the
    files to look at)."""
    out = Path(os.environ.get("UXCARD_SHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    case = drive(make_case(text="Яма у дома 7 по ул. Кузнецкой, глубокая"), "in_progress")
    services.case_note_add(case=case, actor=world.users["administrator"], text=NOTE)
    IngestRecord.objects.create(
        case=case,
        integration=world.users["integration"],
        attachment_urls=["https://portal.example.ru/photo/7.jpg"],
    )
    login(page, live_server, "executor")
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/cases/{case.pk}/")
        page.screenshot(path=str(out / f"card-notes-{width}.png"), full_page=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(out / "card-print.png"), full_page=True)
    assert page.locator(".topbar").is_hidden()
