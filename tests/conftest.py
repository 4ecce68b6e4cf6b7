"""Shared fixtures: one persona per role in two municipalities (Healthchecks' alice/bob/
charlie, NetBox's constrained-permission tests)."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the live server's ORM calls
# are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from mcu.choices import Role
from tests.factories import (
    MunicipalityFactory,
    OrganisationFactory,
    UserFactory,
)


class World:
    """Two municipalities of one region and one of another, a persona for every role.

    ``world.users["executor"]`` belongs to ``world.org``; ``executor_other`` to ``org2``.
    """

    def __init__(self):
        self.mun = MunicipalityFactory(
            slug="mzh", name="Междуреченск", timezone="Asia/Novokuznetsk", region="Кузбасс"
        )
        self.mun_same_region = MunicipalityFactory(
            slug="nvk", name="Новокузнецк", timezone="Asia/Novokuznetsk", region="Кузбасс"
        )
        self.mun_other = MunicipalityFactory(
            slug="srt", name="Саратов", timezone="Europe/Saratov", region="Саратовская"
        )
        self.org = OrganisationFactory(municipality=self.mun, name="Отдел ЖКХ")
        self.org2 = OrganisationFactory(municipality=self.mun, name="Водоканал")
        self.org_other = OrganisationFactory(municipality=self.mun_other, name="Саратов ЖКХ")
        m = self.mun
        self.users = {
            "curator": UserFactory(username="curator", role=Role.CURATOR, municipality=m),
            "head": UserFactory(username="head", role=Role.HEAD, municipality=m),
            "administrator": UserFactory(
                username="administrator", role=Role.ADMINISTRATOR, municipality=m
            ),
            "admin_incidents": UserFactory(
                username="admin_incidents",
                role=Role.ADMINISTRATOR,
                municipality=m,
                kinds=["incident"],
            ),
            "executor": UserFactory(
                username="executor", role=Role.EXECUTOR, municipality=m, organisation=self.org
            ),
            "executor_other": UserFactory(
                username="executor_other",
                role=Role.EXECUTOR,
                municipality=m,
                organisation=self.org2,
            ),
            "observer": UserFactory(
                username="observer", role=Role.OBSERVER, municipality=None, region="Кузбасс"
            ),
            "integration": UserFactory(
                username="integration", role=Role.INTEGRATION, municipality=m
            ),
            "curator_other": UserFactory(
                username="curator_other", role=Role.CURATOR, municipality=self.mun_other
            ),
            "norole": UserFactory(username="norole", role="", municipality=m),
        }


@pytest.fixture
def world(db):
    return World()


@pytest.fixture(autouse=True)
def _shipped_defaults(request):
    """The data migrations' policies, rules and calendar, for every test that uses the DB.

    A transactional test (browser, concurrency) flushes the tables at its end, data
    migrations included; the loaders are idempotent, so this just puts back what is missing.
    """
    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in names
        or "live_server" in names
        or (marker is not None and marker.kwargs.get("transaction", False))
    )
    if not (marker or "db" in names or transactional):
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from deadlines.calendars import calendars_invalidate
    from deadlines.services import deadline_defaults_load, production_calendar_load

    deadline_defaults_load()
    production_calendar_load()
    calendars_invalidate()


@pytest.fixture(autouse=True)
def _russian_after_each_test():
    """A request in English leaves English active in the thread; the next test of the same
    worker must start in the desk's language again."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The local-memory cache outlives a test (queue counts are cached per scope, and ids
    come back after a rollback): every test starts from an empty one."""
    from django.core.cache import cache

    cache.clear()
    yield
