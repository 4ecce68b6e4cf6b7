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
    """A fresh API token of the integration account (Django set up). Made through DRF's
    token model: the account's old token is replaced, so the key is known here."""
    from rest_framework.authtoken.models import Token

    from mcu.models import User

    user = User.objects.get(username=username)
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user).key
