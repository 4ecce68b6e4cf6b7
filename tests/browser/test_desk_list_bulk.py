"""The list's bulk bar in Chromium beyond assignment (issue 11, «The list»): two ticked
cases rejected as spam, a category set on two, a refusal named by the case number; the
saved personal views and the CSV export of what the list shows; the bar open at 1440×900
and 390×844 (``BULK_SHOTS=<dir>`` keeps the screenshots to look at)."""

import csv
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, CaseEvent
from tests.browser.conftest import login
from tests.factories import CaseFactory, CategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _cases(world, n=6, **fields):
    now = timezone.now()
    return [
        CaseFactory(
            municipality=world.mun,
            status="new",
            registration_number=f"МЖД-26-{i + 1:06d}",
            received_at=now - timedelta(minutes=i),
            text=f"Яма на дороге у дома {i}",
            address=f"ул. Лазо, {i}",
            **fields,
        )
        for i in range(n)
    ]


def _row(page, case):
    return page.locator("tr.case-row", has=page.locator(f"a:text-is('{case.registration_number}')"))


def test_two_ticked_cases_are_rejected_as_spam(page, live_server, world):
    cases = _cases(world, n=4)
    page.set_viewport_size(WIDE)
    login(page, live_server, "administrator")
    bar = page.locator("form[data-bulk]")
    assert bar.is_hidden()
    spam = cases[1:3]
    for case in spam:
        page.get_by_label(f"Отметить {case.registration_number}").check()
    assert "Отмечено: 2" in bar.inner_text()
    bar.get_by_role("button", name="Отклонить как спам").click()
    page.wait_for_load_state()
    assert "Отклонено как спам: 2" in page.locator(".msg-success").inner_text()
    for case in spam:
        row = _row(page, case)
        assert "Отклонено" in row.locator(".c-status").inner_text()
        # A rejected case is no longer ticked nor tickable.
        assert row.locator("input[name=ids]").count() == 0
        assert CaseEvent.objects.filter(case_id=case.pk, action="reject").count() == 1
    for case in (cases[0], cases[3]):
        assert "Новое" in _row(page, case).locator(".c-status").inner_text()
    assert page.locator("form[data-bulk]").is_hidden()


def test_a_category_is_set_on_two_and_a_refusal_names_the_case(page, live_server, world):
    heating = CategoryFactory(code="b-heating", name="Отопление зимой", sort_order=1)
    cases = _cases(world, n=3)
    page.set_viewport_size(WIDE)
    login(page, live_server, "administrator")
    # Filtered by htmx first: the bar comes back to the list as filtered now.
    status = page.locator("details.multi", has_text="Статус")
    status.locator("summary").click()
    with page.expect_response(lambda r: "status=new" in r.url):
        status.get_by_label("Новое").check()
    expect(page.locator("tr.case-row")).to_have_count(3)  # swapped in by htmx
    status.locator("summary").click()  # folded again
    for case in cases[:2]:
        page.get_by_label(f"Отметить {case.registration_number}").check()
    bar = page.locator("form[data-bulk]")
    bar.locator("#bulk_category + .ts-wrapper .ts-control").click()
    page.keyboard.type("Отопление")
    page.locator(".ts-dropdown .option", has_text="Отопление зимой").click()
    bar.get_by_role("button", name="Изменить категорию").click()
    page.wait_for_load_state()
    assert "Категория изменена: 2" in page.locator(".msg-success").inner_text()
    assert "status=new" in page.url
    for case in cases[:2]:
        assert "Отопление зимой" in _row(page, case).locator(".c-category").inner_text()
        assert Case.objects.get(pk=case.pk).category_id == heating.pk
    assert "Отопление" not in _row(page, cases[2]).locator(".c-category").inner_text()
    # The same category again on one of them: refused, named by its number, not its id.
    page.get_by_label(f"Отметить {cases[0].registration_number}").check()
    bar.locator("#bulk_category + .ts-wrapper .ts-control").click()
    page.keyboard.type("Отопление")
    page.locator(".ts-dropdown .option", has_text="Отопление зимой").click()
    bar.get_by_role("button", name="Изменить категорию").click()
    page.wait_for_load_state()
    error = page.locator(".msg-error").inner_text()
    assert cases[0].registration_number in error and "Категория уже такая" in error
    assert f"#{cases[0].pk}" not in error


def test_a_duplicate_needs_a_known_original(page, live_server, world):
    cases = _cases(world, n=3)
    login(page, live_server, "administrator")
    page.get_by_label(f"Отметить {cases[1].registration_number}").check()
    bar = page.locator("form[data-bulk]")
    # Enter in the number rejects as a duplicate, not the bar's first button.
    bar.get_by_label("Номер исходного сообщения").fill("МЖД-26-999999")
    bar.get_by_label("Номер исходного сообщения").press("Enter")
    page.wait_for_load_state()
    assert "МЖД-26-999999 не найдено" in page.locator(".msg-error").inner_text()
    assert Case.objects.get(pk=cases[1].pk).status == "new"
    page.get_by_label(f"Отметить {cases[1].registration_number}").check()
    bar.get_by_label("Номер исходного сообщения").fill(cases[2].registration_number)
    bar.get_by_role("button", name="Отклонить как дубликат").click()
    page.wait_for_load_state()
    assert (
        f"Отклонено как дубликат № {cases[2].registration_number}: 1"
        in page.locator(".msg-success").inner_text()
    )
    assert Case.objects.get(pk=cases[1].pk).duplicate_of_id == cases[2].pk


def test_a_saved_view_reopens_the_list_and_the_csv_is_what_it_shows(page, live_server, world):
    cases = _cases(world, n=4)
    rejected = cases[0]
    Case.objects.filter(pk=rejected.pk).update(status="rejected")
    login(page, live_server, "administrator")
    status = page.locator("details.multi", has_text="Статус")
    status.locator("summary").click()
    with page.expect_response(lambda r: "status=new" in r.url):
        status.get_by_label("Новое").check()
    expect(page.locator("tr.case-row")).to_have_count(3)
    # Saved under a name: a link above the list that brings the same filters back.
    page.locator(".save-view summary").click()
    page.fill("#id_view_name", "Новые на модерации")
    page.locator(".save-view").get_by_role("button", name="Сохранить").click()
    page.wait_for_load_state()
    assert "Вид «Новые на модерации» сохранён" in page.locator(".msg-success").inner_text()
    page.goto(f"{live_server.url}/cases/")
    assert page.locator("tr.case-row").count() == 4
    page.locator(".saved-view a", has_text="Новые на модерации").click()
    page.wait_for_load_state()
    assert "status=new" in page.url
    assert page.locator("tr.case-row").count() == 3
    assert page.locator(".saved-view a[aria-current]").inner_text() == "Новые на модерации"
    # The CSV is the list as shown: the same filter, no rejected case.
    with page.expect_download() as download:
        page.locator(".export a", has_text="CSV").click()
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    numbers = [row[0] for row in csv.reader(io.StringIO(text), delimiter=_delimiter(text))][1:]
    assert sorted(numbers) == sorted(c.registration_number for c in cases[1:])
    # The view's × deletes it.
    page.get_by_role("button", name="Удалить вид «Новые на модерации»").click()
    expect(page.locator(".saved-view")).to_have_count(0)


def _delimiter(text: str) -> str:
    head = text.splitlines()[0]
    return ";" if head.count(";") > head.count(",") else ","


def test_the_bar_open_at_both_sizes(page, live_server, world, tmp_path):
    """The bar on one line at 1440 above dense rows; on the phone a compact block that
    leaves most of the screen to the cards, every tap target 44 px or more."""
    out = Path(os.environ.get("BULK_SHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    CategoryFactory(code="b-lights", name="Освещение")
    cases = _cases(world, n=20)
    login(page, live_server, "administrator")
    for size in (WIDE, PHONE):
        page.set_viewport_size(size)
        page.goto(f"{live_server.url}/cases/")
        for case in cases[1:3]:
            page.get_by_label(f"Отметить {case.registration_number}").check()
        bar = page.locator("form[data-bulk]")
        assert bar.is_visible()
        page.screenshot(path=str(out / f"list-bulk-{size['width']}.png"))
        box = bar.bounding_box()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], width  # nothing sticks out sideways
        if size is WIDE:
            assert box["height"] <= 48, box  # one line
        else:
            assert box["height"] <= 0.4 * size["height"], box
            small = page.evaluate(
                "() => [...document.querySelectorAll('form[data-bulk] .btn, #bulk-duplicate, "
                "form[data-bulk] select, "
                "form[data-bulk] .ts-control')]"
                ".filter(e => e.offsetParent && e.getBoundingClientRect().height < 44)"
                ".map(e => e.outerHTML.slice(0, 80))"
            )
            assert not small, small


@pytest.fixture
def axe_page(chromium, live_server, settings):
    """As test_desk_a11y's page: axe is injected, so the context bypasses the CSP."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = chromium.new_context(locale="ru-RU", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_the_open_bar_has_no_serious_accessibility_violation(axe_page, live_server, world):
    from tests.browser.test_desk_a11y import _serious

    page = axe_page
    cases = _cases(world, n=3)
    login(page, live_server, "administrator")
    found = {}
    for size in (WIDE, PHONE):
        page.set_viewport_size(size)
        page.goto(f"{live_server.url}/cases/")
        page.get_by_label(f"Отметить {cases[0].registration_number}").check()
        assert page.locator("form[data-bulk]").is_visible()
        found[size["width"]] = _serious(page)
    assert found == {1440: [], 390: []}, found
