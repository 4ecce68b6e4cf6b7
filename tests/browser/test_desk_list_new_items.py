"""«Новых: N — обновить» on the list in Chromium: a case that comes in after the page was
shown is counted, and the refresh brings it in without losing the ticked rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import login
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_items_are_counted_and_the_refresh_keeps_the_ticks(page, live_server, world):
    now = timezone.now()
    made = [
        CaseFactory(
            municipality=world.mun,
            status="new",
            registration_number=f"МЖД-26-{i + 1:06d}",
            received_at=now - timedelta(minutes=10 + i),
            text=f"Яма на дороге {i}",
        )
        for i in range(3)
    ]
    login(page, live_server, "administrator")
    indicator = page.locator("[data-new-items]")
    assert indicator.is_hidden()
    ticked = made[1].registration_number
    page.get_by_label(f"Отметить {ticked}").check()
    # Nothing newer yet: the poll keeps the indicator hidden.
    page.evaluate("() => document.dispatchEvent(new Event('desk:new-items-check'))")
    page.wait_for_timeout(300)
    assert indicator.is_hidden()
    fresh = CaseFactory(
        municipality=world.mun,
        status="new",
        registration_number="МЖД-26-000099",
        received_at=now,
        text="Свежая яма",
    )
    page.evaluate("() => document.dispatchEvent(new Event('desk:new-items-check'))")
    indicator.wait_for(state="visible")
    assert "Новых: 1" in indicator.inner_text()
    indicator.get_by_role("button").click()
    page.locator(f"a[data-case-link]:has-text('{fresh.registration_number}')").wait_for()
    assert page.get_by_label(f"Отметить {ticked}").is_checked()
    assert not page.get_by_label(f"Отметить {made[0].registration_number}").is_checked()
    assert "Отмечено: 1" in page.locator("form[data-bulk]").inner_text()
    assert indicator.is_hidden()


def test_columns_and_page_size_are_remembered(page, live_server, world):
    CaseFactory(municipality=world.mun, status="new", text="Яма у дома", received_at=timezone.now())
    login(page, live_server, "administrator")
    grid = page.locator("table.cases-grid thead")
    assert "Категория" in grid.inner_text()
    page.locator("[data-list-settings] summary").click()
    settings = page.locator("[data-list-settings] form")
    settings.get_by_label("Категория").uncheck()
    settings.locator("select[name=per_page]").select_option("100")
    settings.get_by_role("button", name="Запомнить").click()
    page.wait_for_load_state()
    assert "Категория" not in page.locator("table.cases-grid thead").inner_text()
    # The next visit, with no query, keeps both.
    page.goto(f"{live_server.url}/cases/")
    assert "Категория" not in page.locator("table.cases-grid thead").inner_text()
    assert page.locator("#id_per_page").input_value() == "100"
