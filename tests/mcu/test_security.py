"""Trust: login throttling, no password oracle, CSP and caching headers, production
refusals (docs/security.md)."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import CaseFactory


@pytest.fixture
def known(world):
    user = world.users["administrator"]
    user.set_password("правильный-пароль")
    user.save()
    return user


def _login(client, url, username, password):
    return client.post(url, {"username": username, "password": password})


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_repeated_wrong_passwords_lock_the_login_even_with_the_right_one_after(
    client, known, settings, url
):
    """60 wrong passwords, then the right one, used to log in. Now the pair (user name,
    address) is locked after AXES_FAILURE_LIMIT failures, on the desk's page and the
    admin's alike."""
    if url.startswith("/admin/"):
        known.is_staff = True
        known.save()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, url, known.username, "неверный")
        assert response.status_code == 200
    assert _login(client, url, known.username, "неверный").status_code == 429
    response = _login(client, url, known.username, "правильный-пароль")
    assert response.status_code == 429
    assert "Вход временно заблокирован" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(client, known, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "/login/", known.username, "неверный")
    assert _login(client, "/login/", known.username, "правильный-пароль").status_code == 302
    client.logout()
    assert _login(client, "/login/", known.username, "неверный").status_code == 200


def test_the_integration_accounts_refusal_does_not_confirm_its_password(client, world):
    user = world.users["integration"]
    user.set_password("токен-не-пароль")
    user.save()
    right = _login(client, "/login/", user.username, "токен-не-пароль")
    wrong = _login(client, "/login/", user.username, "что-то-другое")
    assert right.status_code == wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    def error(response):
        return re.search(r'role="alert">(.*?)</p>', response.content.decode(), re.S).group(1)

    assert error(right) == error(wrong)


def test_pages_send_a_strict_script_policy_and_no_inline_script(client, world):
    case = CaseFactory(municipality=world.mun)
    client.force_login(world.users["administrator"])
    for url in ("/cases/", f"/cases/{case.pk}/", reverse("notifications"), "/login/"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\son(click|change|submit|load)=", html), url


def test_pages_and_api_answers_with_personal_data_are_not_cached(client, world):
    case = CaseFactory(municipality=world.mun, author_name="Иван Петров")
    client.force_login(world.users["administrator"])
    for url in (f"/cases/{case.pk}/", "/api/v1/cases/"):
        response = client.get(url)
        assert response["Cache-Control"] == "private, no-store", url
        assert "camera=(self)" in response["Permissions-Policy"]


def test_seed_demo_refuses_in_production(settings, db):
    settings.DJANGO_ENV = "production"
    with pytest.raises(CommandError):
        call_command("seed_demo", quiet=True)


def test_a_task_whose_worker_dies_is_redelivered_not_lost(settings):
    """Late acknowledgement plus reject-on-worker-lost: the broker keeps the message."""
    from mcu.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True


def test_a_large_json_body_is_refused_before_it_is_read_even_for_an_observer(client, world):
    """A read-only observer's 22 MB request grew a worker by 550 MB: refused with 413
    before parsing and before any role check."""
    client.force_login(world.users["observer"])
    response = client.generic(
        "POST",
        "/api/v1/cases/1/assign/",
        b"[" * 10,
        content_type="application/json",
        CONTENT_LENGTH=str(22 * 1024 * 1024),
    )
    assert response.status_code == 413


def test_deeply_nested_json_is_a_400_not_a_500(client, world):
    client.force_login(world.users["administrator"])
    case = CaseFactory(municipality=world.mun)
    body = b"[" * 100_000 + b"]" * 100_000
    response = client.generic(
        "POST", f"/api/v1/cases/{case.pk}/assign/", body, content_type="application/json"
    )
    assert response.status_code == 400
    nested = b'{"a":' * 50 + b"1" + b"}" * 50
    response = client.generic(
        "POST", f"/api/v1/cases/{case.pk}/reject/", nested, content_type="application/json"
    )
    assert response.status_code == 400
    assert "вложенность" in response.json()["detail"]


def test_json_depth_counts_brackets_outside_strings_only():
    from mcu.api.parsers import json_depth_exceeds

    assert not json_depth_exceeds(b'{"text": "[[[[[[[[[[ \\" [[["}', 3)
    assert json_depth_exceeds(b"[[[[1]]]]", 3)
    assert not json_depth_exceeds(b"[[[1]]]", 3)


def test_every_user_changes_their_own_password(client, known):
    client.force_login(known)
    page = client.get("/password/")
    assert page.status_code == 200 and "Смена пароля" in page.content.decode()
    wrong = client.post(
        "/password/",
        {
            "old_password": "не тот",
            "new_password1": "Кедр-2026-сосна",
            "new_password2": "Кедр-2026-сосна",
        },
    )
    assert wrong.status_code == 200 and "old_password" in wrong.context["form"].errors
    done = client.post(
        "/password/",
        {
            "old_password": "правильный-пароль",
            "new_password1": "Кедр-2026-сосна",
            "new_password2": "Кедр-2026-сосна",
        },
    )
    assert done.status_code == 302
    known.refresh_from_db()
    assert known.check_password("Кедр-2026-сосна")
