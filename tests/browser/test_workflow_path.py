"""The whole path of a resident's post through the screens, in a real Chromium:
the administrator assigns, the executor accepts and answers with a photo, the
administrator approves, the curator approves, the administrator publishes, the resident's
low rating reopens the case. Each person has their own browser session."""

import datetime as dt
import struct
import zlib

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import ApprovalRequirement, Attachment, CaseEvent
from cases.services import case_register
from tests.browser.conftest import login
from tests.factories import CategoryFactory

# A transactional test: the flush at its end drops the reference data (policies, the
# calendar, the personas), which tests/conftest.py puts back for the tests that follow.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def small_png(width: int = 8, height: int = 8) -> bytes:
    """A real PNG (a red square), made here so the test needs no fixture file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def as_user(chromium, live_server, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    contexts = []

    def open_as(username: str, *, mobile: bool = False):
        viewport = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
        context = chromium.new_context(locale="ru-RU", viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        login(page, live_server, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def _shots():
    from django.conf import settings

    path = settings.VAR_DIR / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _status(page):
    return page.get_by_test_id("case-status")


def test_from_post_to_published_answer_and_a_reopening_low_rating(as_user, live_server, world):
    sector = CategoryFactory(code="roads", name="Дороги")
    category = CategoryFactory(code="roads-repair", name="Ремонт дорог", parent=sector)
    # Междуреченск 3.6: incidents go to the curator for approval.
    ApprovalRequirement.objects.create(municipality=world.mun, kind="incident", required=True)
    case = case_register(
        municipality=world.mun,
        kind="incident",
        channel="vk",
        text="Огромная яма у дома 12 по проспекту Строителей",
        source_url="https://vk.com/wall-1_777",
        author_name="Иван Петров",
    )
    card = f"{live_server.url}/cases/{case.pk}/"

    # 1. The administrator structures the post and assigns the executor organisation.
    admin = as_user("administrator")
    admin.goto(f"{live_server.url}/cases/?queue=moderation")
    expect(admin.locator("[data-queue=moderation] .badge")).to_have_text("1")
    admin.click(f"text={case.registration_number}")
    expect(_status(admin)).to_have_text("Новое")
    expect(admin.locator("text=Иван Петров")).to_be_visible()  # personal data: allowed
    form = admin.locator("form[data-action=assign]")
    form.locator("select[name=organization]").select_option(str(world.org.pk))
    form.locator("select[name=category]").select_option(str(category.pk))
    form.locator("button[type=submit]").click()
    expect(_status(admin)).to_have_text("Назначено")
    expect(admin.get_by_test_id("case-organisation")).to_contain_text("Отдел ЖКХ")

    # 2. The executor, on a phone, accepts and answers with a photo.
    executor = as_user("executor", mobile=True)
    executor.goto(card)
    expect(_status(executor)).to_have_text("Назначено")
    executor.locator("form[data-action=accept] button[type=submit]").click()
    expect(_status(executor)).to_have_text("В работе")

    # 2a. Междуреченск 3.10: an interim answer with a promised date, which reaches the
    # resident only when the administrator publishes it (3.8).
    promised = timezone.localtime(timezone.now() + dt.timedelta(days=2), world.mun.zone)
    interim = executor.locator("form[data-action=interim_answer]")
    interim.locator("textarea[name=text]").fill("Работы запланированы, выезд бригады послезавтра.")
    interim.locator("input[name=promised_at]").fill(promised.strftime("%Y-%m-%dT%H:%M"))
    interim.locator("button[type=submit]").click()
    expect(executor.get_by_test_id("card-message")).to_contain_text("отправлен на проверку")
    admin.goto(f"{live_server.url}/cases/?queue=review")
    admin.click(f"text={case.registration_number}")
    admin.locator("form[data-action=publish_interim] button[type=submit]").click()
    expect(admin.locator(".msg-success")).to_contain_text("Промежуточный ответ опубликован")
    expect(admin.locator(".card-clocks .clock", has_text="Обещанный срок")).to_be_visible()
    expect(admin.locator(".clock", has_text="Первичный ответ: выполнено")).to_be_visible()

    executor.goto(card)
    answer = executor.locator("form[data-action=submit_answer]")
    answer.locator("textarea[name=text]").fill("Яма заделана асфальтобетоном, фото прилагаем.")
    answer.locator("input[type=file]").set_input_files(
        files=[{"name": "yama.png", "mimeType": "image/png", "buffer": small_png()}]
    )
    executor.screenshot(path=str(_shots() / "workflow-executor-phone.png"), full_page=True)
    answer.locator("button[type=submit]").click()
    expect(_status(executor)).to_have_text("На проверке")
    expect(executor.locator("img[alt^='Фото к ответу']")).to_be_visible()
    assert Attachment.objects.get(answer__case=case).content_type == "image/png"

    # 3. The administrator approves: it goes to the curator.
    admin.goto(card)
    expect(_status(admin)).to_have_text("На проверке")
    admin.locator("form[data-action=approve] button[type=submit]").click()
    expect(_status(admin)).to_have_text("На согласовании")

    # 4. The curator approves.
    curator = as_user("curator")
    curator.goto(card)
    curator.locator("form[data-action=approve] button[type=submit]").click()
    expect(_status(curator)).to_have_text("Готово к публикации")

    # 5. The administrator publishes: the resident's two days begin.
    admin.goto(card)
    admin.locator("form[data-action=publish] button[type=submit]").click()
    expect(_status(admin)).to_have_text("Опубликовано")
    expect(admin.locator(".card-clocks .clock", has_text="Реакция заявителя")).to_be_visible()

    # 6. The resident rates the answer 1 of 5: the case is back in work, a repeat.
    feedback = admin.locator("form[data-action=feedback]")
    feedback.locator("select[name=rating]").select_option("1")
    feedback.locator("textarea[name=comment]").fill("Яму засыпали щебнем, через день опять")
    feedback.locator("button[type=submit]").click()
    expect(_status(admin)).to_have_text("В работе")
    expect(admin.locator("h1 .badge-warn")).to_contain_text("повтор")

    admin.screenshot(path=str(_shots() / "workflow-reopened.png"), full_page=True)

    case.refresh_from_db()
    assert (case.status, case.repeat_count, case.satisfaction) == ("in_progress", 1, 1)
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "register",
        "assign",
        "accept",
        "interim_answer",
        "publish_interim",
        "submit_answer",
        "approve",
        "approve",
        "publish",
        "reopen",
    ]
    # The executor sees it back in their queue.
    executor.goto(f"{live_server.url}/cases/?queue=mine")
    expect(executor.locator("table.grid tbody")).to_contain_text(case.registration_number)
