"""Who the benchmarks are: a browser session signed in through the login page, and the
integration account's API token. The one place the benchmarks make credentials."""

from __future__ import annotations

import re

from bench.http import Browser

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def login_session(base_url: str, username: str, password: str) -> Browser:
    """Sign in as a browser does: GET the login page (CSRF cookie and form token), POST
    the form, keep the session cookie. Raises if the desk did not let the user in."""
    browser = Browser(base_url)
    page = browser.get("/login/")
    match = CSRF_FIELD.search(page.text)
    if page.status != 200 or not match:
        raise RuntimeError(f"login page: HTTP {page.status}, no CSRF token")
    answer = browser.post_form(
        "/login/",
        {"csrfmiddlewaretoken": match.group(1), "username": username, "password": password},
        headers={"Referer": f"{base_url}/login/"},
    )
    if answer.status != 302 or "sessionid" not in browser.cookies:
        raise RuntimeError(f"login as {username}: HTTP {answer.status}, not signed in")
    return browser


def integration_token(username: str = "integration") -> str:
    """A fresh API key of the integration account (Django set up), issued through
    ``mcu.tokens`` (only its digest is stored, so the key is known only here)."""
    from mcu.models import User
    from mcu.tokens import api_token_create

    user = User.objects.get(username=username)
    return api_token_create(user=user, name="bench")[1]
