"""A database that is away is a 503 the client may retry — a Russian page, JSON for the API
— never a 500 with a traceback (issue 12: «PostgreSQL restarts under traffic: requests fail
cleanly»). tests/integration/test_faults.py restarts a real PostgreSQL under the desk."""

from unittest import mock

import pytest
from django.db import OperationalError


@pytest.fixture
def client_no_raise(client, world):
    client.raise_request_exception = False
    client.force_login(world.users["curator"])
    return client


def test_a_page_answers_503_in_russian_when_the_database_is_away(client_no_raise):
    with mock.patch("mcu.views.notifications_visible", side_effect=OperationalError("gone")):
        response = client_no_raise.get("/notifications/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    text = response.content.decode()
    assert "Сервис временно недоступен" in text
    assert "Traceback" not in text and "OperationalError" not in text


def test_the_api_answers_503_json_when_the_database_is_away(client_no_raise):
    with mock.patch(
        "cases.api.views.CaseViewSet.list", side_effect=OperationalError("server closed")
    ):
        response = client_no_raise.get("/api/v1/cases/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert "База данных недоступна" in response.json()["detail"]


def test_another_error_is_still_a_500(client_no_raise):
    with mock.patch("mcu.views.notifications_visible", side_effect=RuntimeError("bug")):
        response = client_no_raise.get("/notifications/")
    assert response.status_code == 500
