"""The phone (390×844): an executor on a site visit.

The list becomes cards (number, text, address, deadline, status), the filters fold behind
one button, the card's answer form comes first, and every tap target is at least 44 px.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from deadlines import services as deadline_services
from tests.browser.conftest import login
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

# Every control a thumb must hit, measured where it is shown (a ticked box by its label).
SMALL_TARGETS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.offsetParent !== null)
  .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect()])
  .filter(([_, r]) => r.width > 0 && (r.height < 44 || r.width < 44))
  .map(([html, r]) => html + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))"""
CONTROLS = (
    ".topbar a, .topbar button, .queues a, [data-filters-toggle], tr.case-row a, "
    "tr.case-row input, .pager a, "
    ".filters.is-open input:not([type=checkbox]):not(.ts-control input), "
    ".filters.is-open label:has(input[type=checkbox]), "
    # A searchable select (Tom Select) is hit on its control; the original is hidden.
    ".filters.is-open select:not(.tomselected), .filters.is-open .ts-control, "
    ".filters.is-open summary, .filters.is-open button, .card-actions button, "
    ".card-actions select, .card-actions input:not([type=hidden]), .back a"
)


def _executor_cases(world):
    now = timezone.now()
    cases = []
    for i in range(3):
        case = CaseFactory(
            municipality=world.mun,
            organisation=world.org,
            status="in_progress",
            text=f"Не горят фонари у дома {i}, темно во дворе",
            address=f"ул. Лазо, {i + 1}",
            received_at=now - timedelta(hours=i),
        )
        deadline_services.deadline_start(case=case, stage="answer", started_at=now)
        cases.append(case)
    return cases


def test_phone_list_is_cards_with_filters_behind_one_button(page, live_server, world):
    cases = _executor_cases(world)
    page.set_viewport_size(PHONE)
    login(page, live_server, "executor")
    assert page.locator("table.cases-grid thead").is_hidden()
    card = page.locator("tr.case-row").first
    assert card.evaluate("r => getComputedStyle(r).display") == "grid"
    box = card.bounding_box()
    assert box["width"] <= 390 and box["x"] >= 0
    text = card.inner_text()
    for part in (
        cases[0].registration_number,
        "Не горят фонари у дома 0",
        "ул. Лазо, 1",
        "В работе",
    ):
        assert part in text
    assert card.locator(".clock").is_visible()
    # Filters: one button; the form opens on a tap.
    assert page.locator("#case-filters").is_hidden()
    page.locator("[data-filters-toggle]").click()
    assert page.locator("#id_q").is_visible()
    assert page.locator("[data-filters-toggle]").get_attribute("aria-expanded") == "true"
    small = page.evaluate(SMALL_TARGETS, CONTROLS)
    assert small == [], small
    # Nothing sticks out sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_phone_card_puts_the_answer_form_first(page, live_server, world):
    case = _executor_cases(world)[0]
    page.set_viewport_size(PHONE)
    login(page, live_server, "executor")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    answer = page.locator("form.action-submit_answer")
    text = page.locator("#h-text")
    assert answer.bounding_box()["y"] < text.bounding_box()["y"]
    first_form = page.evaluate(
        "() => [...document.querySelectorAll('.actions form.action')]"
        ".sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)"
        "[0].dataset.action"
    )
    assert first_form == "submit_answer"
    assert answer.locator("input[type=file]").get_attribute("capture") == "environment"
    small = page.evaluate(SMALL_TARGETS, CONTROLS)
    assert small == [], small


def test_phone_forms_without_a_fold_button_stay_open(page, live_server, world):
    """Only the case list's filters fold behind «Фильтры»: the analytics' period and the
    curator's «Собрать записку сейчас» have no such button and must stay usable."""
    page.set_viewport_size(PHONE)
    login(page, live_server, "curator")
    page.goto(f"{live_server.url}/analytics/notes/")
    assert page.locator("#id_note_period").is_visible()
    assert page.locator("form.filters button[type=submit]").last.is_visible()
    page.goto(f"{live_server.url}/analytics/rating/")
    assert page.locator("form.filters").first.is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_phone_shows_the_open_queue_in_its_one_line_strip(page, live_server, world):
    """On a phone the queues are one line that scrolls sideways: opening the last one
    («Готово к публикации») brings its highlighted tab into view, not off the edge."""
    CaseFactory(municipality=world.mun, organisation=world.org, status="approved")
    page.set_viewport_size(PHONE)
    login(page, live_server, "administrator")
    page.goto(f"{live_server.url}/cases/?queue=ready")
    tab = page.locator(".queues a[aria-current='true']")
    assert "Готово к публикации" in tab.inner_text()
    box = tab.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
