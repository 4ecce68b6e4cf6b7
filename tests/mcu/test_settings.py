"""Settings come from the environment, strictly; production refuses to start half-set."""

import os
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from mcu.settings.env import env_bool, env_int, env_list, env_secret


def test_env_bool_rejects_anything_but_true_or_false(monkeypatch):
    monkeypatch.setenv("X_FLAG", "True")
    assert env_bool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "off")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG")


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a.example, b.example ,")
    assert env_int("X_INT", 1) == 12
    assert env_list("X_LIST") == ["a.example", "b.example"]
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 1)


def test_env_secret_reads_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_secret("X_SECRET") == "s3cret"
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured):
        env_secret("X_SECRET")


def _check_production(**env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "EMAIL_BACKEND",
            "EMAIL_DISABLED",
        )
    }
    base.update(DJANGO_ENV="production", DJANGO_SETTINGS_MODULE="mcu.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key_and_hosts():
    result = _check_production(ALLOWED_HOSTS="desk.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    result = _check_production(SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_passes_check_deploy_once_key_hosts_and_email_are_set():
    result = _check_production(
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="desk.example.org",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_the_console_mail_backend_unless_mail_is_switched_off():
    """The console backend marks notices sent and prints residents' data in the log."""
    key = secrets.token_urlsafe(60)
    result = _check_production(SECRET_KEY=key, ALLOWED_HOSTS="desk.example.org")
    assert result.returncode != 0 and "EMAIL_BACKEND" in result.stderr
    result = _check_production(
        SECRET_KEY=key, ALLOWED_HOSTS="desk.example.org", EMAIL_DISABLED="true"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_language_and_time_zone_defaults(settings):
    assert settings.LANGUAGE_CODE == "ru"
    assert [code for code, _ in settings.LANGUAGES] == ["ru", "en"]
    assert settings.USE_TZ is True


@pytest.mark.django_db
def test_database_matches_database_url():
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else ("sqlite")
    )
    assert connection.vendor == expected


def test_every_variable_the_settings_read_is_documented_in_env_example(settings):
    import re

    root = settings.BASE_DIR
    read = set()
    for path in (root / "mcu" / "settings").glob("*.py"):
        read |= set(
            re.findall(
                r'env_(?:str|bool|int|list|secret)\("([A-Z0-9_]+)"',
                path.read_text(encoding="utf-8"),
            )
        )
    documented = (root / ".env.example").read_text(encoding="utf-8")
    assert read, "no variables found: the pattern is stale"
    assert sorted(v for v in read if v not in documented) == []


def test_the_desk_app_config_stays_and_static_leaves_out_redoc():
    """``mcu``'s own config stays the app's (its ``ready`` makes the local folders),
    staticfiles is registered under its own name (pytest-django's live server looks for
    it), and collectstatic skips the unused ReDoc bundle."""
    from django.apps import apps
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    from mcu.apps import McuConfig

    assert type(apps.get_app_config("mcu")) is McuConfig
    assert "django.contrib.staticfiles" in settings.INSTALLED_APPS
    ignore = apps.get_app_config("staticfiles").ignore_patterns
    collected = [path for finder in get_finders() for path, _ in finder.list(ignore)]
    assert any(p.startswith("drf_spectacular_sidecar/swagger-ui-dist/") for p in collected)
    assert not any("/redoc/" in p for p in collected)
