"""The case list in Chromium, as an administrator and an observer use it all day.

Each test covers a few of the bugs of the list (dense rows, the sticky header, numbers
that wrap, the live search, the multi-select labels and chips, sorting both ways, an
invalid date, the empty row, the bulk bar, page sizes, the «МО» column, the keyboard).
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mcu.models import Category
from tests.browser.conftest import login
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1440, "height": 900}


def _cases(world, n=40):
    """``n`` new cases of the administrator's municipality, the newest first by number."""
    now = timezone.now()
    category = Category.objects.filter(is_active=True).first()
    made = []
    for i in range(n):
        made.append(
            CaseFactory(
                municipality=world.mun,
                status="new",
                registration_number=f"МЖД-26-{i + 1:06d}",
                received_at=now - timedelta(minutes=i),
                text=("Не горят фонари у дома" if i == 3 else "Яма на дороге у дома") + f" {i}",
                address=f"ул. Лазо, {i}",
                category=category if i % 2 else None,
            )
        )
    return made


def _hx_requests(page):
    """The list's htmx requests, recorded as they are sent."""
    sent = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.url) if r.headers.get("hx-request") and "/cases/" in r.url else None
        ),
    )
    return sent


def test_dense_rows_sticky_header_and_numbers_on_one_line(page, live_server, world):
    _cases(world)
    page.set_viewport_size(WIDE)
    login(page, live_server, "administrator")
    # 15+ cases fit on a 1440×900 screen (the rows of one line each).
    visible = page.evaluate(
        "() => [...document.querySelectorAll('tr.case-row')]"
        ".filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length"
    )
    assert visible >= 15, visible
    # The registration number never wraps.
    lines = page.evaluate(
        "() => [...document.querySelectorAll('a[data-case-link]')]"
        ".map(a => a.getClientRects().length)"
    )
    assert set(lines) == {1}
    # The header stays at the top of the window when the page scrolls.
    page.mouse.wheel(0, 700)
    page.wait_for_function("() => window.scrollY > 500")
    top = page.evaluate(
        "() => document.querySelector('table.grid thead th').getBoundingClientRect().top"
    )
    assert 0 <= top <= 2, top


def test_live_search_sends_one_request_and_enter_one_more(page, live_server, world):
    _cases(world, n=8)
    login(page, live_server, "administrator")
    sent = _hx_requests(page)
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request")):
        page.locator("#id_q").press_sequentially("фонари", delay=40)
    page.wait_for_timeout(700)  # longer than the debounce: nothing else may follow
    assert len(sent) == 1, sent
    assert "q=%D1%84%D0%BE%D0%BD%D0%B0%D1%80%D0%B8" in sent[0]
    rows = page.locator("tr.case-row")
    assert rows.count() == 1 and "Не горят фонари" in rows.first.inner_text()
    # Enter sends the form once, not three times.
    page.locator("#id_q").press("Enter")
    page.wait_for_timeout(700)
    assert len(sent) == 2, sent


def test_multi_select_label_chips_sort_and_widths(page, live_server, world):
    cases = _cases(world, n=12)
    cases[0].status = "rejected"
    cases[0].save(update_fields=["status"])
    page.set_viewport_size(WIDE)
    login(page, live_server, "administrator")
    widths = page.evaluate(
        "() => [...document.querySelectorAll('thead th')].map(t => t.offsetWidth)"
    )
    status = page.locator("details.multi", has_text="Статус")
    status.locator("summary").click()
    with page.expect_response(lambda r: "status=new" in r.url):
        status.get_by_label("Новое").check()
    # The response is in; wait for htmx to swap it into the page.
    expect(page.locator("tr.case-row")).to_have_count(11)
    # The summary says what is ticked, not «все»; a chip names the active filter.
    assert re.sub(r"\s+", " ", status.locator("summary").inner_text()) == "Статус: Новое"
    chip = page.locator(".chip[data-chip=status]")
    assert re.sub(r"\s+", " ", chip.inner_text()).startswith("Статус: Новое")
    assert page.locator("tr.case-row").count() == 11
    # The columns keep their widths when the rows change.
    after = page.evaluate(
        "() => [...document.querySelectorAll('thead th')].map(t => t.offsetWidth)"
    )
    assert after == widths
    # The chip's × removes the filter.
    chip.locator("a").click()
    page.wait_for_url(re.compile(r"^(?!.*status=).*$"))
    expect(page.locator(".chip")).to_have_count(0)
    expect(page.locator("tr.case-row")).to_have_count(12)

    # Sorting: an arrow on the sorted column, and a second click reverses it.
    page.locator("th a[data-sort=number]").click()
    page.wait_for_url("**ordering=-number**")
    assert page.locator("th.c-number .sort-arrow").inner_text() == "▼"
    assert page.locator("th.c-number").get_attribute("aria-sort") == "descending"
    assert page.locator("a[data-case-link]").first.inner_text() == "МЖД-26-000012"
    page.locator("th a[data-sort=number]").click()
    page.wait_for_url("**ordering=number**")
    assert page.locator("th.c-number .sort-arrow").inner_text() == "▲"
    assert page.locator("a[data-case-link]").first.inner_text() == "МЖД-26-000001"


def test_invalid_date_empty_row_and_page_size(page, live_server, world):
    _cases(world, n=30)
    login(page, live_server, "administrator")
    # An impossible date is said in Russian, not silently dropped.
    page.goto(f"{live_server.url}/cases/?received_after=2026-02-30")
    error = page.locator("[data-testid=filter-errors]")
    assert "Поступило с" in error.inner_text()
    assert "правильную дату" in error.inner_text()
    # The empty row spans every column (with the checkbox column of the administrator).
    page.goto(f"{live_server.url}/cases/?q=несуществующий")
    headers = page.locator("thead th").count()
    assert page.locator("tr.empty td").get_attribute("colspan") == str(headers)
    # Page size: 25 rows instead of 50.
    page.goto(f"{live_server.url}/cases/")
    assert page.locator("tr.case-row").count() == 30
    with page.expect_response(lambda r: "per_page=25" in r.url):
        page.select_option("#id_per_page", "25")
    expect(page.locator("tr.case-row")).to_have_count(25)


def test_observer_sees_the_municipality_column_and_the_empty_row_fits(page, live_server, world):
    CaseFactory(municipality=world.mun, text="Яма во дворе")
    login(page, live_server, "observer")
    assert page.locator("thead th", has_text="МО").count() == 1
    assert "Междуреченск" in page.locator("tr.case-row td.c-mo").first.inner_text()
    page.goto(f"{live_server.url}/cases/?q=несуществующий")
    headers = page.locator("thead th").count()
    assert page.locator("tr.empty td").get_attribute("colspan") == str(headers)


def test_bulk_bar_only_when_ticked_and_errors_name_the_case_number(page, live_server, world):
    cases = _cases(world, n=4)
    login(page, live_server, "administrator")
    bar = page.locator("form[data-bulk]")
    assert bar.is_hidden()
    without_category = cases[0]  # even indices have no category
    page.get_by_label(f"Отметить {without_category.registration_number}").check()
    assert bar.is_visible()
    assert "Отмечено: 1" in bar.inner_text()
    page.select_option("#bulk-org", str(world.org.pk))
    bar.get_by_role("button", name="Назначить").click()
    page.wait_for_load_state()
    errors = page.locator(".msg-error").all_inner_texts()
    assert any(without_category.registration_number in e for e in errors), errors
    assert not any(f"#{without_category.pk}" in e for e in errors)
    # Unticking hides the bar again.
    page.get_by_label(f"Отметить {cases[1].registration_number}").check()
    assert bar.is_visible()
    bar.get_by_role("button", name="Снять отметки").click()
    assert bar.is_hidden()


def test_keyboard_slash_j_k_and_enter(page, live_server, world):
    cases = _cases(world, n=5)
    login(page, live_server, "administrator")
    page.locator("h1").click()
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "id_q"
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("j")
    current = page.locator("tr.case-row.is-current")
    assert current.count() == 1
    assert cases[1].registration_number in current.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{cases[1].pk}/")
