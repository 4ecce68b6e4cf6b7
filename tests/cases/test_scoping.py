"""Role scoping: every list shows exactly the permitted rows (STYLE §6.4)."""

import pytest

from cases.models import Case
from tests.factories import CaseFactory, UserFactory


@pytest.fixture
def cases(world):
    w = world
    return {
        "inc_org": CaseFactory(municipality=w.mun, kind="incident", organisation=w.org),
        "inc_org2": CaseFactory(municipality=w.mun, kind="incident", organisation=w.org2),
        "pos_org": CaseFactory(municipality=w.mun, kind="pos", channel="pos", organisation=w.org),
        "appeal_new": CaseFactory(municipality=w.mun, kind="appeal", channel="letter"),
        "same_region": CaseFactory(municipality=w.mun_same_region),
        "other_region": CaseFactory(municipality=w.mun_other, organisation=w.org_other),
    }


MUN_ALL = {"inc_org", "inc_org2", "pos_org", "appeal_new"}
EXPECTED = {
    "curator": MUN_ALL,
    "head": MUN_ALL,
    "administrator": MUN_ALL,
    "admin_incidents": {"inc_org", "inc_org2"},
    "executor": {"inc_org", "pos_org"},
    "executor_other": {"inc_org2"},
    "observer": MUN_ALL | {"same_region"},
    "integration": MUN_ALL,
    "curator_other": {"other_region"},
    "norole": set(),
}


def _names(cases, ids):
    by_id = {c.pk: name for name, c in cases.items()}
    return {by_id[i] for i in ids}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_queryset_shows_exactly_the_permitted_cases(world, cases, persona):
    visible = Case.objects.visible_to(world.users[persona]).values_list("pk", flat=True)
    assert _names(cases, visible) == EXPECTED[persona]


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_api_list_shows_exactly_the_permitted_cases(world, cases, persona, client):
    client.force_login(world.users[persona])
    response = client.get("/api/v1/cases/", {"page_size": 500})
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert len(ids) == len(set(ids))
    assert _names(cases, ids) == EXPECTED[persona]


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_case_list_page_shows_exactly_the_permitted_cases(world, cases, persona, client):
    client.force_login(world.users[persona])
    response = client.get("/cases/")
    assert response.status_code == 200
    shown = {c.pk for c in response.context["page"].object_list}
    assert _names(cases, shown) == EXPECTED[persona]


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_case_card_and_api_detail_are_404_outside_scope(world, cases, persona, client):
    client.force_login(world.users[persona])
    for name, case in cases.items():
        expected = 200 if name in EXPECTED[persona] else 404
        assert client.get(f"/cases/{case.pk}/").status_code == expected, name
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == expected, name


def test_superuser_sees_everything(world, cases):
    root = UserFactory(username="root", is_superuser=True, is_staff=True, role="")
    assert Case.objects.visible_to(root).count() == len(cases)


def test_inactive_and_anonymous_users_see_nothing(world, cases, client):
    user = world.users["curator"]
    user.is_active = False
    user.save()
    assert not Case.objects.visible_to(user).exists()
    assert client.get("/api/v1/cases/").status_code in (401, 403)
    assert client.get("/cases/").status_code == 302


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_visibility_on_a_join_is_the_same_set_as_visible_to(world, cases, username):
    """``visibility_q(user, via="case__")`` (the analytics' condition on the joined case)
    selects exactly the rows of ``case__in=visible_to(user)``, for every role."""
    from cases.models import CaseEvent

    user = world.users[username]
    for case in cases.values():
        CaseEvent.objects.create(case=case, action="comment", payload={})
    joined = CaseEvent.objects.filter(Case.objects.visibility_q(user, via="case__"))
    nested = CaseEvent.objects.filter(case__in=Case.objects.visible_to(user))
    assert set(joined.values_list("case_id", flat=True)) == set(
        nested.values_list("case_id", flat=True)
    )
    assert _names(cases, set(joined.values_list("case_id", flat=True))) == EXPECTED[username]
