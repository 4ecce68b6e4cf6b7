"""Fixtures of the ingest tests: the integration account's token client, an item that
is valid now, a frozen clock for the tests that read computed terms, and a clean throttle
cache around every test."""

import datetime as dt
import itertools
import zoneinfo

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import api_key_for

NOVOKUZNETSK = zoneinfo.ZoneInfo("Asia/Novokuznetsk")
# Inside 2026, which the shipped production calendar covers: a Friday, 16:30 local time.
FROZEN_AT = dt.datetime(2026, 5, 8, 16, 30, tzinfo=NOVOKUZNETSK)

_external_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _clean_throttle_cache():
    # The throttle's history lives in the (locmem) cache: no test inherits another's.
    cache.clear()
    yield
    cache.clear()


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(user)}")
    return client


@pytest.fixture
def integration(world):
    return world.users["integration"]


@pytest.fixture
def api(integration):
    return token_client(integration)


def received(hours_ago: float = 1) -> str:
    """An ISO 8601 time with offset, an hour before now (whatever now is), whole minutes."""
    at = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=hours_ago)
    return at.astimezone(NOVOKUZNETSK).isoformat()


def make_item(**overrides) -> dict:
    item = {
        "channel": "vk",
        "external_id": f"wall-1_{next(_external_ids)}",
        "received_at": received(),
        "text": "Во дворе дома 5 по ул. Кузнецкой третий день не вывозят мусор",
        "author": {
            "name": "Пётр Жителев",
            "profile_url": "https://vk.com/id777",
            "phone": "+7 900 111-22-33",
            "email": "petr@example.org",
        },
        "url": "https://vk.com/wall-1_1",
        "address": "ул. Кузнецкая, 5",
        "latitude": 53.6866123456,
        "longitude": 88.0702,
        "attachments": ["https://example.org/photo1.jpg", "https://example.org/photo2.jpg"],
    }
    for key, value in overrides.items():
        if value is ...:
            item.pop(key, None)
        else:
            item[key] = value
    return item


@pytest.fixture
def item():
    return make_item


@pytest.fixture
def frozen():
    """The clock stopped at FROZEN_AT (a term computed on the 2026 calendar)."""
    time_machine = pytest.importorskip("time_machine")
    with time_machine.travel(FROZEN_AT, tick=False) as traveller:
        yield traveller
