"""The admin in Chromium wears the desk (issue 11, the admin bug): the desk's top bar and
font, a way back to the desk, Russian titles, the head's filters of their own
municipality."""

import os
from pathlib import Path

import pytest

from tests.browser.conftest import login
from tests.factories import DistrictFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_heads_admin_looks_like_the_desk(page, live_server, world, tmp_path):
    head = world.users["head"]
    head.is_staff = True
    head.save()
    DistrictFactory(municipality=world.mun, name="Свой район")
    DistrictFactory(municipality=world.mun_other, name="Чужой район")
    login(page, live_server, "head")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/admin/mcu/organisation/")
    header = page.locator("#header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 53, 91)"
    assert "DejaVu Sans" in page.locator("body").evaluate("e => getComputedStyle(e).fontFamily")
    assert page.get_by_role("link", name="← к рабочему столу").is_visible()
    assert "Выберите организацию-исполнителя" in page.locator("h1").inner_text()
    page.goto(f"{live_server.url}/admin/mcu/district/")
    assert "Чужой район" not in page.content() and world.mun_other.name not in page.content()
    out = Path(os.environ.get("UXCARD_SHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/admin/mcu/organisation/")
    page.screenshot(path=str(out / "admin-organisations-1440.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(out / "admin-organisations-390.png"))
