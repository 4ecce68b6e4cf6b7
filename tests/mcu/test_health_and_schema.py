import re

import pytest
from django.db import connection


def test_healthz_reports_db_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "db": "ok", "broker": "ok"}


def test_healthz_names_the_failing_part(client, db, monkeypatch):
    monkeypatch.setattr("mcu.views.check_broker", lambda: "error: OperationalError")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")
    assert response.json()["db"] == "ok"


def test_openapi_schema_and_swagger_ui_are_served_locally(client, world):
    client.force_login(world.users["head"])
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/cases/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    # No script, style or link from another host (a random CSRF token may well hold «cdn»).
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", docs)
    assert not re.search(r"https?://[^\s\"']*cdn", docs.lower())


def test_login_page_is_russian(client, db):
    page = client.get("/login/").content.decode()
    assert "Вход в систему МЦУ" in page
    assert 'lang="ru"' in page


def test_pages_require_login(client, db):
    assert client.get("/cases/").status_code == 302


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_runs_on_postgresql(db):
    assert connection.vendor == "postgresql"


def test_a_body_larger_than_any_form_needs_is_refused_before_it_is_read(client, world, settings):
    client.force_login(world.users["executor"])
    response = client.post(
        "/cases/1/do/submit_answer/",
        data=b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1),
    )
    assert response.status_code == 413
    assert "Слишком большой запрос" in response.content.decode()


def test_the_integration_account_cannot_sign_in_to_the_pages(client, world):
    response = client.post("/login/", {"username": "integration", "password": "pw"})
    assert response.status_code == 200
    assert "только через API" in response.content.decode()
    assert "_auth_user_id" not in client.session
    response = client.post("/login/", {"username": "administrator", "password": "pw"})
    assert response.status_code == 302


def test_a_wrong_password_is_said_in_russian(client, world):
    page = client.post("/login/", {"username": "administrator", "password": "nope"})
    assert "Неверное имя пользователя или пароль" in page.content.decode()


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
