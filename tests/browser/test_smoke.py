"""Chromium smoke test: log in, open the list, open a case."""

import pytest

from tests.browser.conftest import login
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_list_and_card_in_a_real_browser(page, live_server, world):
    mine = CaseFactory(
        municipality=world.mun,
        organisation=world.org,
        text="Не горят фонари на улице Лазо",
        author_name="Анна Смирнова",
    )
    CaseFactory(municipality=world.mun, organisation=world.org2, text="Нет воды в доме 7")

    login(page, live_server, "executor")
    assert page.locator("h1").inner_text() == "Сообщения"
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 1  # the other organisation's case is not shown
    assert "Не горят фонари" in rows.first.inner_text()

    page.click(f"text={mine.registration_number}")
    page.wait_for_url(f"{live_server.url}/cases/{mine.pk}/")
    body = page.locator("main").inner_text()
    assert "Не горят фонари на улице Лазо" in body
    assert "МСК+4" in body  # Новокузнецк time, named against Moscow
    page.screenshot(path=str(live_server_screenshot_dir() / "case-card.png"))


def live_server_screenshot_dir():
    from django.conf import settings

    path = settings.VAR_DIR / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
