"""Screenshots of the desk for every role: the list, a card and the notices, at 1440×900
and 390×844 (``make screenshots``).

Runs against a desk that is already serving the demo data (``seed_demo``)::

    python -m tests.browser.screenshots --base-url http://127.0.0.1:8000 --out var/screenshots

Files are named ``<role>-<page>-<width>.png``. Nothing is asserted: the pictures are for
people to look at (the accessibility and behaviour checks are the browser tests).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

ROLES = ("administrator", "executor", "curator", "head", "observer", "executor2")
SIZES = ((1440, 900), (390, 844))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shoot(base: str, out: Path, roles=ROLES, password: str = "demo", full_page=False) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        for role in roles:
            for width, height in SIZES:
                context = browser.new_context(
                    locale="ru-RU", viewport={"width": width, "height": height}
                )
                page = context.new_page()
                _login(page, base, role, password)
                page.goto(f"{base}/cases/")
                path = out / f"{role}-list-{width}.png"
                page.screenshot(path=str(path), full_page=full_page)
                made.append(path)
                link = page.locator("a[data-case-link]").first
                if link.count():
                    link.click()
                    page.wait_for_load_state("networkidle")
                    path = out / f"{role}-card-{width}.png"
                    page.screenshot(path=str(path), full_page=full_page)
                    made.append(path)
                page.goto(f"{base}/notifications/")
                path = out / f"{role}-notices-{width}.png"
                page.screenshot(path=str(path), full_page=full_page)
                made.append(path)
                context.close()
        browser.close()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="var/screenshots")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--role", action="append", help="only these roles (repeatable)")
    parser.add_argument("--full-page", action="store_true")
    ns = parser.parse_args()
    made = shoot(
        ns.base_url.rstrip("/"),
        Path(ns.out),
        roles=ns.role or ROLES,
        password=ns.password,
        full_page=ns.full_page,
    )
    for path in made:
        print(path)


if __name__ == "__main__":
    main()
