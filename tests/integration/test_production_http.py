"""The production settings under gunicorn, asked by a real HTTP client as the TLS proxy and
the container's health check ask them.

What it proves: the documented stack can go healthy (``/healthz`` answers plain HTTP —
it is exempt from the HTTPS redirect — on 127.0.0.1, as the compose health check asks),
every other page redirects to HTTPS, and behind the proxy (``X-Forwarded-Proto: https``)
pages come with HSTS, the Content-Security-Policy and no caching. The database is a file
SQLite built in ``tmp_path``; nothing outside the test's folder is touched.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import urllib.error
import urllib.request

import pytest

from tests.integration.desk import collected_static, gunicorn

pytestmark = pytest.mark.integration


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, **headers):
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=headers)
    try:
        return opener.open(request, timeout=30)
    except urllib.error.HTTPError as exc:
        return exc


@pytest.fixture(scope="module")
def production_server(tmp_path_factory, sqlite_template):
    tmp_path = tmp_path_factory.mktemp("production")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "EMAIL_")) and k != "SECRET_KEY"
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="mcu.settings",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="desk.example.org",
        EMAIL_DISABLED="true",
        VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'desk.sqlite3'}",
    )
    # The schema is the run's migrated template (the same migrations, whatever the
    # settings); the static files are collected as the image's build does, once for as
    # long as their sources and settings stay the same (``collected_static``).
    shutil.copyfile(sqlite_template, tmp_path / "desk.sqlite3")
    env["STATIC_ROOT"] = str(collected_static(env))
    with gunicorn(env, workers=1) as base:
        yield base


def test_the_health_check_answers_plain_http_and_the_rest_goes_to_https(production_server):
    health = _get(f"{production_server}/healthz")
    assert health.status == 200, health.read()[:200]
    assert b'"status": "ok"' in health.read()
    page = _get(f"{production_server}/login/", Host="desk.example.org")
    assert page.status == 301
    assert page.headers["Location"] == "https://desk.example.org/login/"


def test_behind_the_tls_proxy_pages_carry_hsts_csp_and_no_cache(production_server):
    page = _get(
        f"{production_server}/login/", Host="desk.example.org", **{"X-Forwarded-Proto": "https"}
    )
    assert page.status == 200
    assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    # The page names its CSS by the hashed name (only hashed files are collected), and
    # whitenoise serves it pre-compressed.
    html = page.read().decode()
    css = re.search(r'href="(/static/css/desk\.[0-9a-f]{12}\.css)"', html)
    assert css, "the desk's stylesheet is not linked by its hashed name"
    proxied = {"Host": "desk.example.org", "X-Forwarded-Proto": "https"}
    asset = _get(f"{production_server}{css.group(1)}", **proxied, **{"Accept-Encoding": "br"})
    assert asset.status == 200
    assert asset.headers["Content-Encoding"] == "br"
    assert _get(f"{production_server}/static/css/desk.css", **proxied).status == 404
    docs = _get(
        f"{production_server}/api/schema/",
        Host="desk.example.org",
        **{"X-Forwarded-Proto": "https"},
    )
    # The schema needs a login in production: a 401 naming the scheme.
    assert docs.status == 401
    assert docs.headers["WWW-Authenticate"] == "Token"
