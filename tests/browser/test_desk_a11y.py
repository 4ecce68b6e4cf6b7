"""axe-core (vendored from npm, tests/browser/vendor/axe-core) on the desk's main pages:
no serious or critical violation on the login page, the list, the card and the notices,
at 1440×900 and 390×844."""

from pathlib import Path

import pytest
from django.utils import timezone

from deadlines import services as deadline_services
from mcu.models import Notification
from tests.browser.conftest import login
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
SIZES = ({"width": 1440, "height": 900}, {"width": 390, "height": 844})


def _serious(page) -> list[str]:
    page.add_script_tag(content=AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def page(chromium, live_server, settings):
    """A page on which axe may be injected: the desk's CSP forbids inline scripts, so the
    test's context bypasses it (the desk's own pages are checked under it elsewhere)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = chromium.new_context(locale="ru-RU", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_no_serious_accessibility_violation(page, live_server, world):
    case = CaseFactory(
        municipality=world.mun,
        organisation=world.org,
        status="in_progress",
        text="Не горят фонари во дворе",
        address="ул. Лазо, 3",
    )
    deadline_services.deadline_start(case=case, stage="answer", started_at=timezone.now())
    Notification.objects.create(
        key=f"case.assigned:{case.pk}:user:{world.users['executor'].pk}",
        recipient=world.users["executor"],
        event="case.assigned",
        title=f"Назначено: {case.registration_number}",
        url=f"/cases/{case.pk}/",
    )
    found = {}
    sessions = {}  # each person logs in once; the second size reuses the session's cookies
    for size in SIZES:
        page.set_viewport_size(size)
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/login/")
        found[f"login {size['width']}"] = _serious(page)
        for username in ("executor", "administrator"):
            page.context.clear_cookies()
            if username in sessions:
                page.context.add_cookies(sessions[username])
            else:
                login(page, live_server, username)
                sessions[username] = page.context.cookies()
            for name, url in (
                ("list", "/cases/"),
                ("card", f"/cases/{case.pk}/"),
                ("notices", "/notifications/"),
            ):
                page.goto(f"{live_server.url}{url}")
                assert page.url == f"{live_server.url}{url}", page.url  # logged in, not sent away
                found[f"{username} {name} {size['width']}"] = _serious(page)
    bad = {page_name: v for page_name, v in found.items() if v}
    assert bad == {}, bad
