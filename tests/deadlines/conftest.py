"""Fixtures of the deadlines tests that touch the database."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from deadlines.calendars import calendars_invalidate
from mcu.choices import Role
from tests.factories import CaseFactory, UserFactory

NSK = ZoneInfo("Asia/Novokuznetsk")  # Междуреченск, the world's municipality


def nsk(*args) -> datetime:
    """A local time of Междуреченск: ``nsk(2026, 5, 18, 9)``."""
    return datetime(*args, tzinfo=NSK)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    # Each test sees its own calendar rows, not a calendar cached by the previous test.
    calendars_invalidate()
    yield
    calendars_invalidate()


@pytest.fixture
def defaults(db):
    """The shipped policies, rules, schedule and calendar: built once per test database
    (tests/reference.py) and put back after a transactional test, so only the database."""


@pytest.fixture
def make_case(world, defaults):
    """An incident of Междуреченск assigned to ``world.org`` unless told otherwise."""

    def make(**fields):
        fields.setdefault("municipality", world.mun)
        fields.setdefault("organisation", world.org)
        fields.setdefault("kind", "incident")
        fields.setdefault(
            "channel",
            {"incident": "vk", "pos": "pos", "appeal": "letter", "hotline": "phone"}[
                fields["kind"]
            ],
        )
        return CaseFactory(**fields)

    return make


@pytest.fixture
def org_head(world):
    """The head of ``world.org``: gets breaches and the first escalation."""
    return UserFactory(
        username="org_head",
        role=Role.EXECUTOR,
        municipality=world.mun,
        organisation=world.org,
        is_organisation_head=True,
    )
