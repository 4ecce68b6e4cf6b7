"""Russian first, English second: the language cookie switches the pages, Russian plurals
have their three forms, and the committed catalogs are complete and compiled."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

from cases import services
from tests.factories import CaseFactory

LOCALE = Path(settings.BASE_DIR) / "locale"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[-#0 +]*\d*[sd]|\{[a-z_]+\}")


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _page(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _visible_text(html: str) -> str:
    """What a reader sees or hears: text between tags and the attributes read out."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    said = re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', html)
    return " ".join([re.sub(r"<[^>]+>", " ", html), *said])


def _ui_cyrillic(html: str, *data: str) -> list[str]:
    """Cyrillic words left on an English page once the data (names, case text) is gone."""
    text = _visible_text(html)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    text = text.replace("Русский", " ")  # the language switcher names each language in itself
    return re.findall(r"\S*[А-Яа-яЁё]\S*", text)


def _data_of(world, *cases) -> list[str]:
    values = [world.mun.name, world.org.name, world.org2.name, world.org_other.name]
    values += [u.full_name for u in world.users.values()]
    for case in cases:
        values += [case.text, case.text[:139], case.address, case.registration_number]
    return [v for v in values if v]


# ---------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------


def test_the_login_page_is_russian_by_default(client, db):
    html = _page(client.get("/login/"))
    assert '<html lang="ru">' in html
    assert "Вход в систему МЦУ" in html and "Имя пользователя" in html


def test_the_login_page_is_english_with_the_language_cookie(en, db):
    html = _page(en.get("/login/"))
    assert '<html lang="en">' in html
    assert "Sign in to the MCU desk" in html
    assert "Username" in html and "Password" in html
    assert "Вход" not in html and "Пароль" not in html


def test_the_language_switcher_sets_english(client, world):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Sign in to the MCU desk" in _page(client.get("/login/"))


def test_the_case_list_in_english(en, world):
    case = CaseFactory(municipality=world.mun)
    en.force_login(world.users["administrator"])
    html = _page(en.get("/cases/"))
    assert "1 case found" in html
    assert ">Cases</h1>" in html
    labels = ("Deadline", "Status", "Search", "Assign", "Awaiting moderation", "Filters")
    for label in labels:
        assert label in html, label
    assert "Incident (social media)" in html and "VKontakte" in html and ">New<" in html
    assert _ui_cyrillic(html, *_data_of(world, case)) == []


def test_the_case_list_count_in_english_plural(en, world):
    CaseFactory.create_batch(2, municipality=world.mun)
    en.force_login(world.users["administrator"])
    assert "2 cases found" in _page(en.get("/cases/"))


def test_a_case_card_in_english(en, world):
    case = CaseFactory(municipality=world.mun)
    en.force_login(world.users["administrator"])
    html = _page(en.get(f"/cases/{case.pk}/"))
    assert f"Case {case.registration_number}" in html
    for label in ("Details", "Received", "Executor", "Actions", "History", "back to the list"):
        assert label in html, label
    assert "Assign executor" in html and "Executing organisation" in html
    assert _ui_cyrillic(html, *_data_of(world, case)) == []


def test_a_registered_case_card_shows_its_clocks_and_timeline_in_english(en, world):
    case = services.case_register(
        municipality=world.mun, kind="incident", channel="vk", text="Яма на дороге у дома 5"
    )
    en.force_login(world.users["administrator"])
    html = _page(en.get(f"/cases/{case.pk}/"))
    assert "First reply: " in html and "Answer: " in html
    assert "First reply: due " in html and "(MSK+4)" in html  # the badge's title: Novokuznetsk time
    assert ">Registration<" in html
    assert _ui_cyrillic(html, *_data_of(world, case)) == []
    html = _page(en.get("/cases/"))
    assert _ui_cyrillic(html, *_data_of(world, case)) == []


def test_a_refusal_is_in_the_language_of_the_page(en, world):
    case = CaseFactory(municipality=world.mun)
    en.force_login(world.users["administrator"])
    response = en.post(
        f"/cases/{case.pk}/do/reject/",
        {"version": case.version, "reason_kind": "other", "reason": ""},
    )
    assert "Enter a reason." in response.content.decode()


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "Найдено 1 сообщение"), (2, "Найдено 2 сообщения"), (5, "Найдено 5 сообщений")],
)
def test_the_russian_list_count_has_three_plural_forms(client, world, n, text):
    CaseFactory.create_batch(n, municipality=world.mun)
    client.force_login(world.users["administrator"])
    html = _page(client.get("/cases/"))
    assert '<html lang="ru">' in html
    assert text in html


# ---------------------------------------------------------------------------------------
# Catalogs
# ---------------------------------------------------------------------------------------


def _po_entries(path: Path) -> list[dict]:
    """Entries of a .po file: flags, msgid, msgid_plural and every msgstr (no polib)."""
    entries, current, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current is not None and "msgid" in current:
                entries.append(current)
            current, key = None, None
            continue
        current = current if current is not None else {"flags": set()}
        if line.startswith("#,"):
            current["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return entries


def _msgstrs(entry: dict) -> list[str]:
    return [v for k, v in entry.items() if k.startswith("msgstr")]


def test_the_english_catalog_is_complete_and_not_fuzzy():
    entries = _po_entries(LOCALE / "en" / "LC_MESSAGES" / "django.po")
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == "" and "Language: en" in header["msgstr"]
    assert len(messages) > 300
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []
    assert [e["msgid"] for e in messages if not all(_msgstrs(e))] == []
    assert [e["msgid"] for e in messages if any(CYRILLIC.search(s) for s in _msgstrs(e))] == []
    for entry in messages:
        expected = sorted(PLACEHOLDER.findall(entry["msgid"]))
        for msgstr in _msgstrs(entry):
            assert sorted(PLACEHOLDER.findall(msgstr)) == expected, entry["msgid"]


def test_the_russian_catalog_fills_only_the_three_plural_forms():
    entries = _po_entries(LOCALE / "ru" / "LC_MESSAGES" / "django.po")
    header, messages = entries[0], entries[1:]
    assert "nplurals=3;" in header["msgstr"]
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []
    plurals = [e for e in messages if "msgid_plural" in e]
    assert plurals
    for entry in plurals:
        forms = [entry.get(f"msgstr[{i}]") for i in range(3)]
        assert all(forms), entry["msgid"]
    assert [e["msgid"] for e in messages if "msgid_plural" not in e and e["msgstr"]] == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_compiled_catalog_matches_its_source(language):
    """A fresh checkout shows English without gettext tools: the .mo must be up to date."""
    directory = LOCALE / language / "LC_MESSAGES"
    with (directory / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog
    for entry in _po_entries(directory / "django.po")[1:]:
        if "msgid_plural" in entry:
            for key, value in entry.items():
                if key.startswith("msgstr[") and value:
                    index = int(key[len("msgstr[") : -1])
                    assert catalog.get((entry["msgid"], index)) == value, entry["msgid"]
        elif entry["msgstr"]:
            assert catalog.get(entry["msgid"]) == entry["msgstr"], entry["msgid"]


def test_an_english_browser_still_gets_russian_until_the_user_switches(client, db):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="ru"' in page
    client.cookies["django_language"] = "en"
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'lang="en"' in page
