"""Saved personal list views: named links to the list's parameters, the owner's only."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.test import Client

from cases.models import SavedView
from cases.saved_views import MAX_VIEWS, saved_view_query, saved_view_save
from mcu.exceptions import InvalidInput


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def test_a_view_keeps_the_lists_parameters_not_its_position():
    params = QueryDict("page=3&after=abc&personal=1&status=new&status=assigned&q=яма&queue=mine")
    assert saved_view_query(params) == (
        "q=%D1%8F%D0%BC%D0%B0&queue=mine&status=new&status=assigned"
    )


def test_saving_shows_the_view_above_the_list_and_opens_it(world, client_for):
    admin = client_for(world.users["administrator"])
    response = admin.post(
        "/cases/views/", {"name": "  Новые  по  дорогам ", "query": "status=new&page=2"}
    )
    assert response.status_code == 302 and response["Location"] == "/cases/?status=new"
    view = SavedView.objects.get(owner=world.users["administrator"])
    assert view.name == "Новые по дорогам"
    page = admin.get("/cases/?status=new").content.decode()
    assert 'href="/cases/?status=new" aria-current="true">Новые по дорогам</a>' in page
    # Another person never sees it, and cannot delete it.
    other = client_for(world.users["head"])
    assert "Новые по дорогам" not in other.get("/cases/").content.decode()
    assert other.post(f"/cases/views/{view.pk}/delete/").status_code == 404
    assert admin.post(f"/cases/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.exists()


def test_the_same_name_replaces_and_a_bad_name_is_refused_in_russian(world, client_for):
    admin = world.users["administrator"]
    first = saved_view_save(owner=admin, name="Мои", params=QueryDict("status=new"))
    again = saved_view_save(owner=admin, name="Мои", params=QueryDict("status=assigned"))
    assert again.pk == first.pk and again.query == "status=assigned"
    with pytest.raises(InvalidInput) as empty:
        saved_view_save(owner=admin, name="   ", params=QueryDict(""))
    assert empty.value.field == "name"
    response = client_for(admin).post("/cases/views/", {"name": "", "query": "q=x"}, follow=True)
    assert "Назовите вид" in response.content.decode()


def test_a_person_keeps_a_bounded_number_of_views(world):
    admin = world.users["administrator"]
    for n in range(MAX_VIEWS):
        saved_view_save(owner=admin, name=f"Вид {n}", params=QueryDict(f"q={n}"))
    with pytest.raises(InvalidInput, match="удалите ненужный"):
        saved_view_save(owner=admin, name="Ещё один", params=QueryDict("q=x"))


def test_saving_needs_a_post(world, client_for):
    assert client_for(world.users["administrator"]).get("/cases/views/").status_code == 405
