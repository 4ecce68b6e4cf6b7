"""The card in Chromium: what to act on at the top, the clocks with due times, the
resident's words, the answer's current badge, «Мои», the reassignment confirmation, print.
"""

import pytest

from cases import services
from tests.browser.conftest import login
from tests.cases import conftest as workflow

# The workflow tests' fixtures: a category, make_case, drive (through the real services).
category, make_case, drive = workflow.category, workflow.make_case, workflow.drive
require_approval = workflow.require_approval

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _top(page, selector):
    return page.locator(selector).first.bounding_box()["y"]


def test_returned_and_reopened_cases_say_why_at_the_top(page, live_server, world, make_case, drive):
    u = world.users
    returned = drive(make_case(text="Яма у дома 1"), "on_review")
    services.case_return(returned.pk, actor=u["administrator"], reason="Нет фото после ремонта")
    reopened = drive(make_case(text="Яма у дома 2"), "published")
    services.case_record_feedback(
        reopened.pk, actor=u["administrator"], rating=2, comment="Ничего не сделано"
    )
    login(page, live_server, "executor")
    page.goto(f"{live_server.url}/cases/{returned.pk}/")
    box = page.locator("[data-testid=attention]")
    assert "Ответ возвращён на доработку" in box.inner_text()
    assert "Нет фото после ремонта" in box.inner_text()
    assert _top(page, "[data-testid=attention]") < _top(page, "#h-text")
    # The running clocks with their due times, at the top as well.
    clocks = page.locator(".card-clocks")
    assert "до " in clocks.inner_text()
    assert _top(page, ".card-clocks") < _top(page, "#h-text")

    page.goto(f"{live_server.url}/cases/{reopened.pk}/")
    text = page.locator("[data-testid=attention]").inner_text()
    assert "Заявитель вернул сообщение в работу" in text
    assert "«Ничего не сделано»" in text and "2 / 5" in text


def test_reassignment_request_is_confirmed_and_shown_to_the_administrator(
    page, live_server, world, make_case, drive
):
    case = drive(make_case(text="Не наш участок"), "assigned")
    login(page, live_server, "executor")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    form = page.locator("form.action-request_reassignment")
    form.locator("textarea, input[name=reason]").first.fill("Это участок водоканала")
    form.get_by_role("button").click()
    page.wait_for_url(f"{live_server.url}/cases/")
    assert "Запрос на переназначение отправлен" in page.locator(".messages").inner_text()

    page.context.clear_cookies()
    login(page, live_server, "administrator")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    text = page.locator("[data-testid=attention]").inner_text()
    assert "Исполнитель запросил переназначение" in text
    assert "Это участок водоканала" in text and "Отдел ЖКХ" in text


def test_answer_badge_is_current_and_good_rating_comment_is_shown(
    page, live_server, world, make_case, drive, require_approval
):
    require_approval()
    waiting = drive(make_case(text="Яма у дома 3"), "on_approval")
    ready = drive(make_case(text="Яма у дома 4"), "approved")
    thanked = drive(make_case(text="Яма у дома 5"), "published")
    services.case_record_feedback(
        thanked.pk, actor=world.users["administrator"], rating=5, comment="Спасибо, быстро"
    )
    login(page, live_server, "curator")
    page.goto(f"{live_server.url}/cases/{waiting.pk}/")
    assert page.locator("[data-testid=answer-badge]").inner_text() == "Ожидает утверждения"
    page.goto(f"{live_server.url}/cases/{ready.pk}/")
    assert page.locator("[data-testid=answer-badge]").inner_text() == "Готово к публикации"
    page.goto(f"{live_server.url}/cases/{thanked.pk}/")
    feedback = page.locator("[data-testid=feedback]").inner_text()
    assert "5 / 5" in feedback and "«Спасибо, быстро»" in feedback
    assert page.locator("[data-testid=attention]").count() == 0
    # Print: the card without the navigation, the forms and the buttons.
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden()
    assert page.locator("form").first.is_hidden()
    assert page.locator("#h-text").is_visible() and page.locator("#h-events").is_visible()
