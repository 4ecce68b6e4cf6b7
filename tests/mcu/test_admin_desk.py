"""The admin as a desk page (issue 11, the admin bug): human labels instead of raw codes,
grammatical Russian titles from the models' verbose names, the head's list filters
limited to their own municipality, and the desk's look."""

import pytest

from cases.services import case_register
from deadlines.models import DeadlinePolicy, DeadlineRule
from tests.factories import DistrictFactory, OrganisationFactory, UserFactory


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def head_client(client, world):
    head = world.users["head"]
    head.is_staff = True
    head.save()
    client.force_login(head)
    return client


@pytest.fixture
def rule(world):
    policy = DeadlinePolicy.objects.order_by("pk").first()
    return DeadlineRule.objects.create(
        stage="answer", kind="incident", channel="official_comment", policy=policy, priority=7
    )


def _visible_text(html: str) -> str:
    """The page without its tags' attributes (filter links carry codes in their query)."""
    import re

    return re.sub(r"<[^>]+>", " ", html)


def test_deadline_rules_show_the_channel_label_and_the_policy_name(superuser_client, rule):
    page = superuser_client.get("/admin/deadlines/deadlinerule/").content.decode()
    text = _visible_text(page)
    assert "Комментарий на официальной странице" in text
    assert "official_comment" not in text
    assert str(rule) == f"Ответ → {rule.policy.name}"
    assert rule.policy.code not in str(rule)


def test_cases_and_events_show_labels_not_codes(superuser_client, world):
    case = case_register(
        municipality=world.mun, kind="incident", channel="official_comment", text="Нет света"
    )
    text = _visible_text(superuser_client.get("/admin/cases/case/").content.decode())
    assert "Комментарий на официальной странице" in text and "official_comment" not in text
    change = _visible_text(
        superuser_client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    )
    # The registration event's payload: labelled lines, the channel by its name.
    assert "Регистрация" in change and "канал: Комментарий на официальной странице" in change
    assert "official_comment" not in change and '"kind"' not in change
    event = case.events.get()
    page = superuser_client.get(f"/admin/cases/caseevent/{event.pk}/change/").content.decode()
    assert "official_comment" not in _visible_text(page)


def test_notices_show_their_kind_by_name(superuser_client, world):
    from mcu.models import Notification

    notice = Notification.objects.create(
        recipient=world.users["executor"], event="case.answer_returned", title="Ответ возвращён"
    )
    text = _visible_text(superuser_client.get("/admin/mcu/notification/").content.decode())
    assert "case.answer_returned" not in text and "Ответ возвращён" in text
    page = superuser_client.get(f"/admin/mcu/notification/{notice.pk}/change/")
    assert page.status_code == 200 and "case.answer_returned" not in _visible_text(
        page.content.decode()
    )


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/admin/mcu/category/", "Выберите категорию"),
        ("/admin/mcu/organisation/add/", "Добавить организацию-исполнителя"),
        ("/admin/mcu/user/", "Выберите пользователя"),
        ("/admin/cases/feedback/", "Выберите реакцию заявителя"),
        ("/admin/cases/casenote/", "Выберите внутреннюю заметку"),
    ],
)
def test_titles_read_as_russian(superuser_client, url, title):
    response = superuser_client.get(url)
    assert response.status_code == 200
    assert title in response.content.decode()


def test_the_heads_filters_offer_only_their_municipality(head_client, world):
    own = DistrictFactory(municipality=world.mun, name="Свой район")
    DistrictFactory(municipality=world.mun_other, name="Чужой район")
    OrganisationFactory(municipality=world.mun_other, name="Чужая УК")
    # An answer template's category filter: only the categories the head's rows use.
    pages = {
        url: head_client.get(url).content.decode()
        for url in (
            "/admin/mcu/district/",
            "/admin/mcu/organisation/",
            "/admin/deadlines/deadlinerule/",
            "/admin/cases/answertemplate/",
            "/admin/channels/autorule/",
            "/admin/mcu/user/",
            "/admin/deadlines/municipalcalendarexception/",
        )
    }
    for url, page in pages.items():
        assert world.mun_other.name not in page, url
        assert world.mun_same_region.name not in page, url
        assert "Чужая УК" not in page and "Чужой район" not in page, url
    assert own.name in pages["/admin/mcu/district/"]


def test_the_scoped_filter_lists_own_choices(rf, world):
    """The filter itself: a head's choices are their municipality's rows only."""
    from django.contrib import admin as django_admin

    from mcu.admin_base import ScopedRelatedFieldListFilter
    from mcu.models import Organisation, User

    OrganisationFactory(municipality=world.mun_other, name="Чужая УК")
    model_admin = django_admin.site._registry[User]
    request = rf.get("/admin/mcu/user/")
    request.user = world.users["head"]
    field = User._meta.get_field("organisation")
    choices = ScopedRelatedFieldListFilter(field, request, {}, User, model_admin, "organisation")
    offered = {pk for pk, _label in choices.lookup_choices}
    own = set(Organisation.objects.filter(municipality=world.mun).values_list("pk", flat=True))
    assert offered and offered <= own


def test_the_admin_wears_the_desk(superuser_client):
    page = superuser_client.get("/admin/").content.decode()
    assert "css/admin-desk.css" in page
    assert "к рабочему столу" in page
    assert "Django" not in _visible_text(page)


#: nominatives Django would put after «Выберите» / «Добавить» for a feminine or animate
#: model name, and the raw «---------» of an empty select
UNGRAMMATICAL = ("Выберите группа", "Добавить группа", "Выберите Запись", "Выберите Ошибка")


def test_every_admin_list_titles_in_russian_and_prompts_its_actions(superuser_client, rf):
    """Every registered model, the desk's own and Django's groups and django-axes'
    records: the list's and the add page's titles read as Russian (the accusative), and
    the actions select opens with «Действие…», not «---------»."""
    import re

    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = UserFactory.build(is_superuser=True, is_staff=True)
    prompted = 0
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        base = f"/admin/{meta.app_label}/{meta.model_name}/"
        listing = superuser_client.get(base)
        assert listing.status_code == 200, base
        html = listing.content.decode()
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert not any(bad in title for bad in UNGRAMMATICAL), (base, title)
        assert title.startswith("Выберите "), (base, title)
        # Django draws the actions select only over a list with rows: the choices are
        # checked whatever the data, the drawn select where there is one.
        if model_admin.get_actions(request):
            assert model_admin.get_action_choices(request)[0] == ("", "Действие…"), base
            prompted += 1
        if 'name="action"' in html:
            select = re.search(r'<select name="action".*?</select>', html, re.S).group(0)
            assert "---------" not in select, base
            assert re.search(r'<option value="" selected>Действие…</option>', select), base
        if model_admin.has_add_permission(request):
            add = superuser_client.get(base + "add/").content.decode()
            title = re.search(r"<title>(.*?)</title>", add, re.S).group(1)
            assert title.startswith("Добавить ") and not any(b in title for b in UNGRAMMATICAL)
    assert prompted >= 10  # the lists with actions were looked at, not skipped
