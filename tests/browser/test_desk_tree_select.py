"""Category selects as a searchable tree (Tom Select vendored from npm): options in the
order of the tree, indented, found by typing, with no inline script (CSP)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.factories import CaseFactory, CategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_category_filter_is_a_searchable_tree(page, live_server, world):
    water = CategoryFactory(code="t-water", name="Водоснабжение", sort_order=1)
    roads = CategoryFactory(code="t-roads", name="Дорожки парковые", sort_order=2)
    cold = CategoryFactory(code="t-water-cold", name="Холодная вода", parent=water)
    CategoryFactory(code="t-water-cold-none", name="Нет холодной воды", parent=cold)
    CategoryFactory(code="t-roads-pits", name="Выбоины у гаражей", parent=roads)
    CaseFactory(municipality=world.mun, text="Нет воды", category=cold)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server, "administrator")
    # The plain select underneath is in tree order: a subcategory right after its parent.
    texts = page.eval_on_selector(
        "#id_category", "s => [...s.options].map(o => o.textContent.trim())"
    )
    names = [t.lstrip("\u00a0— ") for t in texts]
    i = names.index("Водоснабжение")
    assert names[i : i + 3] == ["Водоснабжение", "Холодная вода", "Нет холодной воды"]
    assert names.index("Выбоины у гаражей") == names.index("Дорожки парковые") + 1
    # Tom Select is on it: typing finds the subcategory, shown indented.
    page.locator("#id_category + .ts-wrapper .ts-control").click()
    page.keyboard.type("холодной")
    option = page.locator(".ts-dropdown .option", has_text="Нет холодной воды")
    assert option.is_visible()
    assert "tree-level-2" in option.get_attribute("class")
    expect(page.locator(".ts-dropdown .option", has_text="Выбоины у гаражей")).to_have_count(0)
    with page.expect_response(lambda r: "category=" in r.url):
        option.click()
    expect(page.locator(".chips")).to_contain_text("Категория: Нет холодной воды")
    assert not [e for e in errors if "Content Security Policy" in e], errors
