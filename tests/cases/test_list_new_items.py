"""«Новых: N — обновить» on the list: the poll counts the cases of the same scope, queue and
filters that came in after the newest shown, in one query."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.test import Client

from cases import services
from cases.models import Case

SINCE = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def cases(world, make_case, category):
    admin = world.users["administrator"]
    old = make_case(text="Яма старая", received_at=SINCE - dt.timedelta(hours=1))
    new_ours = make_case(text="Яма новая", received_at=SINCE + dt.timedelta(minutes=5))
    services.case_assign(new_ours.pk, actor=admin, organisation=world.org, category=category)
    new_theirs = make_case(text="Нет воды", received_at=SINCE + dt.timedelta(minutes=7))
    services.case_assign(new_theirs.pk, actor=admin, organisation=world.org2, category=category)
    make_case(text="Саратов", mun=world.mun_other, received_at=SINCE + dt.timedelta(minutes=9))
    return old


def count(client, query: str = "") -> int:
    response = client.get(f"/cases/new-count/?since={quote(SINCE.isoformat())}{query}")
    assert response.status_code == 200, response.content
    return response.json()["count"]


def test_it_counts_the_newer_cases_of_the_users_scope(world, cases, client_for):
    assert count(client_for(world.users["head"])) == 2
    # An executor sees its own organisation's only.
    assert count(client_for(world.users["executor"])) == 1
    # The observer: its whole scope (the region), both organisations at least.
    observer = world.users["observer"]
    expected = Case.objects.visible_to(observer).filter(received_at__gt=SINCE).count()
    assert count(client_for(observer)) == expected >= 2


def test_it_respects_the_filters(world, cases, client_for):
    assert count(client_for(world.users["head"]), "&q=яма") == 1


def test_it_wants_since_naming_the_field(world, client_for):
    response = client_for(world.users["head"]).get("/cases/new-count/?since=вчера")
    assert response.status_code == 400
    assert "since" in response.json()


def test_it_is_one_query(world, cases, client_for, django_assert_max_num_queries):
    client = client_for(world.users["head"])
    client.get("/cases/")  # session and user warmed the same way the poll finds them
    # session, user, the COUNT (and its scope's lookups, if any)
    with django_assert_max_num_queries(4):
        count(client)


def test_the_list_names_the_newest_shown(world, cases, client_for):
    html = client_for(world.users["head"]).get("/cases/").content.decode()
    assert 'data-newest="2026-03-02T12:07:00+00:00"' in html
    assert "data-new-items" in html
