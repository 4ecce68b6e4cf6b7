"""«Столбцы» on the list: the user's page size and hidden columns, kept per user (#11)."""

from __future__ import annotations

import pytest
from django.test import Client

from mcu.models import ListSettings


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def test_the_choice_is_kept_and_applies_on_the_next_visit(world, make_case, client_for):
    for i in range(60):
        make_case(text=f"Яма {i}")
    head = world.users["head"]
    client = client_for(head)
    response = client.post(
        "/cases/list-settings/",
        {"per_page": "25", "columns": ["received", "status"], "query": "q=яма&per_page=50"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/cases/?q=%D1%8F%D0%BC%D0%B0"
    prefs = ListSettings.objects.get(user=head)
    assert prefs.page_size == 25
    assert prefs.hidden_columns == ["category", "organisation", "deadline"]
    response = client.get("/cases/")
    assert response.context["page_size"] == 25
    assert len(response.context["page"].object_list) == 25
    html = response.content.decode()
    assert '<th scope="col">Категория</th>' not in html
    assert 'class="c-deadline"' not in html
    assert 'data-label="Поступило"' in html
    # The query's own per_page still wins for that request.
    assert client.get("/cases/?per_page=100").context["page_size"] == 100


def test_it_is_the_owners_only(world, client_for):
    client_for(world.users["head"]).post("/cases/list-settings/", {"per_page": "100"})
    assert client_for(world.users["curator"]).get("/cases/").context["page_size"] == 50
    assert ListSettings.objects.get().user == world.users["head"]


@pytest.mark.parametrize(
    ("data", "field"),
    [({"per_page": "7"}, "per_page"), ({"per_page": "50", "columns": ["text"]}, "columns")],
)
def test_bad_input_is_refused_naming_the_field(world, client_for, data, field):
    response = client_for(world.users["head"]).post("/cases/list-settings/", data)
    assert response.status_code == 400
    assert response.content.decode().startswith(field)
    assert not ListSettings.objects.exists()
