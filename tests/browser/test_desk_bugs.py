"""The bugs of issue 11 that had no browser test yet, one test each, in Chromium.

Deadline badges that say the due time itself, success messages as finished facts, the
review queue apart from the answers ready to publish, «Мои» as the person's own cases,
selects without «---------», the favicon, a GET on an action's address, the head's admin
in Russian and of their own municipality, the API docs in Russian with a way back.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case
from deadlines import services as deadline_services
from deadlines.models import DeadlinePolicy, DeadlineRule
from mcu.choices import Role
from tests.browser.conftest import login
from tests.cases import conftest as workflow
from tests.deadlines.conftest import nsk
from tests.factories import CaseFactory, DistrictFactory, OrganisationFactory, UserFactory

# The workflow tests' fixtures: a category, make_case, drive (through the real services).
category, make_case, drive = workflow.category, workflow.make_case, workflow.drive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _text(locator) -> str:
    return re.sub(r"\s+", " ", locator.inner_text()).strip()


@pytest.fixture
def frozen_now(monkeypatch):
    """The desk's clock pinned for the live server (the same process), inside the
    shipped 2026 calendar. Only ``timezone.now`` moves: the session cookie's lifetime is
    the browser's real time, and the session row's expiry the frozen one, so logging in
    works whatever today's date is."""

    def freeze(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


def test_deadline_badges_show_the_due_time_working_days_and_the_pause(
    page, live_server, world, frozen_now
):
    # Thursday 21.05.2026, 06:00 in Междуреченск: before the working day starts.
    frozen_now(nsk(2026, 5, 21, 6, 0))
    late = CaseFactory(
        municipality=world.mun, organisation=world.org, status="in_progress", text="Яма у школы"
    )
    # Due Monday 17:00; Tuesday and Wednesday have passed since: two working days.
    deadline_services.deadline_start(case=late, stage="answer", started_at=nsk(2026, 5, 18, 9))
    night = CaseFactory(
        municipality=world.mun, organisation=world.org, status="in_progress", text="Нет света"
    )
    # An hour of working time from Wednesday 16:30: due Thursday 08:30, paused till 08:00.
    deadline_services.deadline_start(
        case=night, stage="first_reply", started_at=nsk(2026, 5, 20, 16, 30)
    )
    pos = CaseFactory(
        municipality=world.mun,
        organisation=world.org,
        status="in_progress",
        kind="pos",
        channel="pos",
        text="Сломана лавка",
    )
    # ПОС counts calendar days: what is left is in «дн.», never «д».
    deadline_services.deadline_start(case=pos, stage="answer", started_at=nsk(2026, 5, 20, 9))

    login(page, live_server, "executor")
    rows = {
        case: page.locator("tr.case-row", has_text=case.registration_number)
        for case in (late, night, pos)
    }
    assert _text(rows[late].locator(".clock")) == "18.05 17:00 · просрочено на 2 раб. дн."
    assert rows[late].locator(".clock").get_attribute("data-state") == "breached"
    assert _text(rows[night].locator(".clock")) == (
        "21.05 08:30 · на паузе до 08:00, осталось 30 мин"
    )
    assert rows[night].locator(".clock").get_attribute("data-state") == "paused"
    pos_badge = _text(rows[pos].locator(".clock"))
    assert re.fullmatch(r"\d\d\.\d\d \d\d:\d\d · осталось \d+ дн\.( \d+ ч)?", pos_badge), pos_badge
    for row in rows.values():
        assert "рабочего времени" not in row.inner_text()

    # The card says the stage and the full due date and time in the municipality's zone.
    page.goto(f"{live_server.url}/cases/{late.pk}/")
    assert _text(page.locator(".card-clocks .clock").first) == (
        "Ответ: срок 18.05.2026 17:00 (МСК+4) · просрочено на 2 раб. дн."
    )
    page.goto(f"{live_server.url}/cases/{night.pk}/")
    assert _text(page.locator(".card-clocks .clock").first) == (
        "Первичный ответ: до 21.05.2026 08:30 (МСК+4) · на паузе до 08:00, осталось 30 мин"
    )


def test_success_messages_say_what_was_done(page, live_server, world, make_case, drive, category):
    new = make_case(text="Яма у дома 7")
    ready = drive(make_case(text="Яма у дома 8"), "approved")
    login(page, live_server, "administrator")
    page.goto(f"{live_server.url}/cases/{new.pk}/")
    form = page.locator("form[data-action=assign]")
    form.locator("select[name=organization]").select_option(str(world.org.pk))
    form.locator("select[name=category]").select_option(str(category.pk))
    form.locator("button[type=submit]").click()
    # A finished fact, not the button's infinitive («Готово: назначить исполнителя.»).
    expect(page.get_by_test_id("card-message")).to_have_text("Исполнитель назначен")
    expect(page.get_by_test_id("case-status")).to_have_text("Назначено")

    page.goto(f"{live_server.url}/cases/{ready.pk}/")
    page.locator("form[data-action=publish] button[type=submit]").click()
    expect(page.get_by_test_id("card-message")).to_have_text("Ответ опубликован")
    expect(page.get_by_test_id("case-status")).to_have_text("Опубликовано")


def test_review_queue_does_not_hold_answers_ready_to_publish(
    page, live_server, world, make_case, drive
):
    on_review = drive(make_case(text="Яма у дома 9"), "on_review")
    ready = drive(make_case(text="Яма у дома 10"), "approved")
    login(page, live_server, "administrator")
    review = page.locator("[data-queue=review]")
    ready_queue = page.locator("[data-queue=ready]")
    expect(review).to_contain_text("На проверке")
    expect(review.locator(".badge")).to_have_text("1")
    expect(ready_queue).to_contain_text("Готово к публикации")
    expect(ready_queue.locator(".badge")).to_have_text("1")

    review.click()
    page.wait_for_url("**queue=review**")
    rows = page.locator("tr.case-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(on_review.registration_number)
    expect(rows.first).to_contain_text("На проверке")

    page.locator("[data-queue=ready]").click()
    page.wait_for_url("**queue=ready**")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ready.registration_number)
    expect(rows.first).to_contain_text("Готово к публикации")


def test_mine_is_the_executors_own_cases_not_the_organisations(
    page, live_server, world, make_case, drive
):
    colleague = UserFactory(
        username="colleague",
        role=Role.EXECUTOR,
        municipality=world.mun,
        organisation=world.org,
    )
    mine = drive(make_case(text="Яма у дома 11"), "in_progress")  # taken by «executor»
    theirs = drive(make_case(text="Яма у дома 12"), "in_progress")
    Case.objects.filter(pk=theirs.pk).update(assignee=colleague)
    waiting = drive(make_case(text="Яма у дома 13"), "assigned")  # nobody's yet
    login(page, live_server, "executor")
    # The organisation's list holds all three; «Мои» only the executor's own.
    expect(page.locator("tr.case-row")).to_have_count(3)
    mine_queue = page.locator("[data-queue=mine]")
    expect(mine_queue.locator(".badge")).to_have_text("1")
    mine_queue.click()
    page.wait_for_url("**queue=mine**")
    rows = page.locator("tr.case-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(mine.registration_number)
    body = page.locator("table.grid tbody").inner_text()
    assert theirs.registration_number not in body
    assert waiting.registration_number not in body


# Every option of every select of the page, as the browser shows them.
OPTION_TEXTS = (
    "() => [...document.querySelectorAll('select option')].map(o => o.textContent.trim())"
)


def test_desk_selects_never_show_dashes(page, live_server, world, make_case, drive):
    DistrictFactory(municipality=world.mun, name="Западный")
    new = make_case(text="Яма у дома 14")
    working = drive(make_case(text="Яма у дома 15"), "in_progress")
    pages = {
        "administrator": ["/cases/", f"/cases/{new.pk}/", "/cases/new/", "/notifications/"],
        "executor": ["/cases/", f"/cases/{working.pk}/"],
        "curator": ["/cases/"],
    }
    seen = 0
    for username, urls in pages.items():
        page.context.clear_cookies()
        login(page, live_server, username)
        for url in urls:
            page.goto(f"{live_server.url}{url}")
            options = page.evaluate(OPTION_TEXTS)
            seen += len(options)
            dashes = [o for o in options if re.fullmatch(r"-{3,}", o)]
            assert dashes == [], (username, url)
            # Nor the searchable category select drawn over it (Tom Select).
            assert "-----" not in page.locator("main").inner_text(), (username, url)
    assert seen > 20  # the pages had selects to look at


def test_favicon_answers_with_an_image(page, live_server):
    response = page.goto(f"{live_server.url}/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/")
    # The browser can draw it.
    size = page.evaluate(
        """async (url) => {
            const img = new Image();
            img.src = url;
            await img.decode();
            return [img.naturalWidth, img.naturalHeight];
        }""",
        f"{live_server.url}/favicon.ico",
    )
    assert size[0] > 0 and size[1] > 0


def test_get_on_an_action_address_shows_a_readable_page(page, live_server, world, make_case):
    case = make_case(text="Яма у дома 16")
    elsewhere = make_case(text="Яма в Саратове", mun=world.mun_other)
    login(page, live_server, "administrator")
    # Opened by hand (a bookmark, a reload): the card it acts on, not a blank error.
    response = page.goto(f"{live_server.url}/cases/{case.pk}/do/assign/")
    assert response.status == 200
    assert page.url == f"{live_server.url}/cases/{case.pk}/"
    expect(page.locator("h1")).to_contain_text(case.registration_number)
    expect(page.locator("form[data-action=assign]")).to_be_visible()
    # An unknown action, or a case of another municipality: the desk's page in Russian.
    for url in (f"/cases/{case.pk}/do/nonsense/", f"/cases/{elsewhere.pk}/do/assign/"):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 404, url
        expect(page.locator("h1")).to_have_text("Не найдено")
        expect(page.locator("main")).to_contain_text("Такой страницы нет")
        expect(page.get_by_role("link", name="На главную")).to_be_visible()


def test_the_heads_admin_speaks_russian_of_their_own_municipality(page, live_server, world):
    head = world.users["head"]
    head.is_staff = True
    head.save()
    OrganisationFactory(municipality=world.mun_other, name="Чужая УК")
    DistrictFactory(municipality=world.mun_other, name="Чужой район")
    policy = DeadlinePolicy.objects.order_by("pk").first()
    rule = DeadlineRule.objects.create(
        municipality=world.mun,
        stage="answer",
        kind="incident",
        channel="official_comment",
        policy=policy,
        priority=7,
    )
    login(page, live_server, "head")
    strangers = ("Саратов", world.mun_same_region.name, "Чужая УК", "Чужой район")

    # Choices by their Russian labels, the policy by its name, never their codes.
    page.goto(f"{live_server.url}/admin/deadlines/deadlinerule/")
    row = page.locator("#result_list tbody tr", has_text="Комментарий на официальной странице")
    expect(row).to_have_count(1)
    for shown in ("Ответ", "Инцидент (соцсети)", "Междуреченск", policy.name):
        expect(row).to_contain_text(shown)
    table = page.locator("#result_list").inner_text()
    assert "official_comment" not in table and policy.code not in table
    assert "incident" not in table and "answer" not in table
    page.goto(f"{live_server.url}/admin/deadlines/deadlinerule/{rule.pk}/change/")
    expect(page.locator(".breadcrumbs")).to_contain_text(f"Ответ → {policy.name}")
    assert policy.code not in page.locator(".breadcrumbs").inner_text()

    # Titles in grammatical Russian (the accusative), from the models' names.
    page.goto(f"{live_server.url}/admin/mcu/category/")
    expect(page.locator("#content h1")).to_have_text("Выберите категорию для просмотра")
    page.goto(f"{live_server.url}/admin/mcu/organisation/add/")
    expect(page.locator("#content h1")).to_have_text("Добавить организацию-исполнителя")
    assert "организация-исполнитель" not in page.title()

    # The list filters offer the head's municipality only.
    for url in (
        "/admin/deadlines/deadlinerule/",
        "/admin/mcu/user/",
        "/admin/mcu/organisation/",
    ):
        page.goto(f"{live_server.url}{url}")
        filters = page.locator("#changelist-filter")
        expect(filters).to_be_visible()
        text = filters.inner_text() + page.locator("#result_list").inner_text()
        for name in strangers:
            assert name not in text, (url, name)
    expect(page.locator("#changelist-filter")).not_to_contain_text("Саратов")
    page.goto(f"{live_server.url}/admin/mcu/user/")
    expect(page.locator("#changelist-filter")).to_contain_text("Междуреченск")


def test_the_api_docs_are_russian_drawn_and_lead_back_to_the_desk(page, live_server, world):
    login(page, live_server, "administrator")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/api/docs/")
    assert page.title() == "API МЦУ: сообщения и обращения жителей"
    # Swagger UI is drawn (its start-up script is not blocked by the CSP).
    title = page.locator(".swagger-ui .info .title")
    expect(title).to_contain_text("API МЦУ: сообщения и обращения жителей")
    expect(page.locator(".swagger-ui .info .description")).to_contain_text(
        "муниципального центра управления"
    )
    back = page.locator(".swagger-ui .info").get_by_role("link", name="Вернуться в рабочее место")
    expect(back).to_have_attribute("href", "/")
    # Every operation says what it does, in Russian.
    operations = page.locator(".opblock-summary")
    expect(operations.first).to_be_visible()
    summaries = page.evaluate(
        "() => [...document.querySelectorAll('.opblock-summary')].map(o => ["
        "o.querySelector('.opblock-summary-path')?.textContent.trim(),"
        "o.querySelector('.opblock-summary-description')?.textContent.trim() || ''])"
    )
    assert len(summaries) > 20
    missing = [path for path, summary in summaries if not re.search(r"[А-Яа-яЁё]", summary)]
    assert missing == []
    events = [s for p, s in summaries if p == "/api/v1/cases/{id}/events/"]
    assert events == ["Ход работы (журнал)"]
    assert not [e for e in errors if "Content Security Policy" in e]
    # Swagger UI opens description links in a new tab: the desk, signed in.
    with page.context.expect_page() as opened:
        back.click()
    desk = opened.value
    desk.wait_for_url(f"{live_server.url}/cases/")
    expect(desk.locator("h1")).to_have_text("Сообщения")
