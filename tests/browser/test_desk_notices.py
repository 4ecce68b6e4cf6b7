"""The notices page in Chromium: grouped by case and kind, paged, filtered, read when
opened and in bulk, the case's status as it is now, and a bell that refreshes itself."""

import pytest
from playwright.sync_api import expect

from mcu.models import Notification
from tests.browser.conftest import login
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _notice(user, case, event, n=0, title=None):
    return Notification.objects.create(
        key=f"{event}:{case.pk}:{n}:user:{user.pk}",
        recipient=user,
        event=event,
        title=title or f"Назначено: {case.registration_number}",
        url=f"/cases/{case.pk}/",
    )


def test_notices_grouped_paged_filtered_and_read(page, live_server, world, settings):
    settings.DESK_BELL_POLL_SECONDS = 1
    executor = world.users["executor"]
    waiting = CaseFactory(municipality=world.mun, organisation=world.org, status="assigned")
    taken = CaseFactory(municipality=world.mun, organisation=world.org, status="in_progress")
    for n in range(3):  # sent three times: one row
        _notice(executor, waiting, "case.assigned", n)
    _notice(executor, taken, "case.assigned")
    _notice(
        executor, taken, "case.answer_returned", title=f"Возвращён: {taken.registration_number}"
    )
    for i in range(30):
        other = CaseFactory(municipality=world.mun, organisation=world.org, status="assigned")
        _notice(executor, other, "case.assigned", i)
    login(page, live_server, "executor")
    page.goto(f"{live_server.url}/notifications/")
    rows = page.locator("tr.notice")
    assert rows.count() == 30  # paged: 33 groups, 30 on a page
    page.get_by_role("link", name="вперёд →").click()
    page.wait_for_url("**page=2**")
    expect(page.locator("tr.notice")).to_have_count(3)
    # Grouped: the case notified three times is one row «× 3».
    group = page.locator("tr.notice", has_text=waiting.registration_number)
    assert "× 3" in group.inner_text()
    # The case's status now: the assignment of a case already taken into work is settled.
    settled = page.locator(
        "tr.notice[data-event='case.assigned']", has_text=taken.registration_number
    )
    assert "В работе" in settled.inner_text()
    assert settled.locator("[data-testid=notice-settled]").is_visible()
    # Filter by kind.
    page.goto(f"{live_server.url}/notifications/")
    page.select_option("#notice-kind", "case.answer_returned")
    page.wait_for_url("**kind=case.answer_returned**")
    expect(page.locator("tr.notice")).to_have_count(1)

    # Opening a notice marks its whole group read and goes to the case.
    page.goto(f"{live_server.url}/notifications/?page=2")
    bell_before = int(page.locator("#bell").get_attribute("data-unread"))
    page.locator("tr.notice", has_text=waiting.registration_number).locator(
        "a[data-notice]"
    ).click()
    page.wait_for_url(f"**/cases/{waiting.pk}/")
    assert (
        Notification.objects.filter(url=f"/cases/{waiting.pk}/", read_at__isnull=True).count() == 0
    )
    assert int(page.locator("#bell").get_attribute("data-unread")) == bell_before - 3

    # In bulk: only the ticked group.
    page.goto(f"{live_server.url}/notifications/?kind=case.answer_returned")
    page.locator("tr.notice input[data-group]").check()
    page.get_by_role("button", name="Отметить выбранные прочитанными").click()
    page.wait_for_load_state()
    assert "Отмечено прочитанным: 1" in page.locator(".messages").inner_text()
    assert Notification.objects.filter(recipient=executor, read_at__isnull=True).count() == 31

    # The bell refreshes by itself when a new notice arrives.
    unread = int(page.locator("#bell").get_attribute("data-unread"))
    _notice(executor, taken, "case.reopened", title="Возвращено заявителем")
    page.wait_for_function(
        f"() => document.querySelector('#bell').dataset.unread === '{unread + 1}'", timeout=5000
    )


def test_the_sweeps_notices_read_their_kind_and_can_be_filtered(page, live_server, world):
    """A deadline's escalation says «Эскалация руководителю МЦУ», never its code
    «deadline.escalation2», and the kind filter offers it."""
    head = world.users["head"]
    late = CaseFactory(municipality=world.mun, organisation=world.org, status="in_progress")
    _notice(head, late, "deadline.escalation2", title=f"Эскалация: {late.registration_number}")
    _notice(head, late, "case.assigned")
    login(page, live_server, "head")
    page.goto(f"{live_server.url}/notifications/")
    row = page.locator("tr.notice[data-event='deadline.escalation2']")
    expect(row).to_have_count(1)
    assert "Эскалация руководителю МЦУ" in row.inner_text()
    assert "deadline.escalation2" not in page.locator("main").inner_text()
    page.select_option("#notice-kind", "deadline.escalation2")
    page.wait_for_url("**kind=deadline.escalation2**")
    expect(page.locator("tr.notice")).to_have_count(1)
