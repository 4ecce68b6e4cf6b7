"""Query-count baselines per page (NetBox's ``query_counts.json``): a page that performs
more SQL statements than pinned in ``tests/cases/query_counts.json`` fails.

A new query on purpose: raise its figure in the JSON (or run with
``UPDATE_QUERY_COUNTS=1`` to rewrite the file) and say why in the commit. A figure that
drops is good news: lower it, so it stays pinned.
"""

import json
import os
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.pagination import cursor_encode

BASELINES = Path(__file__).with_name("query_counts.json")
PINNED = json.loads(BASELINES.read_text())
MEASURED: dict[str, int] = {}


@pytest.fixture
def cases(world, make_case):
    made = [make_case(text=f"Яма на дороге у дома {n}, ул. Ленина") for n in range(6)]
    made += [make_case("pos", text=f"Не вывозят мусор {n}") for n in range(3)]
    return made


def _scenarios(world, cases):
    newest = sorted(cases, key=lambda c: (c.received_at, c.pk))[-3]
    return {
        "list_first_page": ("head", "/cases/", {}),
        "list_queue_moderation": ("administrator", "/cases/", {"queue": "moderation"}),
        "list_queue_overdue": ("administrator", "/cases/", {"queue": "overdue"}),
        "list_filtered": ("head", "/cases/", {"status": "new", "kind": "incident"}),
        "list_search": ("head", "/cases/", {"q": "яма ленина"}),
        "list_deep_cursor": ("head", "/cases/", {"after": cursor_encode(newest)}),
        "list_by_deadline": ("head", "/cases/", {"ordering": "deadline"}),
        "list_executor": ("executor", "/cases/", {}),
        "card": ("head", f"/cases/{cases[0].pk}/", {}),
        "api_list": ("head", "/api/v1/cases/", {}),
        "api_search": ("head", "/api/v1/cases/", {"q": "мусор"}),
        "api_cursor": ("head", "/api/v1/cases/", {"cursor": ""}),
    }


SCENARIOS = list(PINNED)


def _calendar_version_check(sql: str) -> bool:
    return sql.startswith('SELECT (SELECT COUNT(*) FROM "deadlines_calendarday")')


@pytest.mark.parametrize("name", SCENARIOS)
def test_page_performs_no_more_queries_than_pinned(name, client, world, cases):
    persona, url, params = _scenarios(world, cases)[name]
    client.force_login(world.users[persona])
    client.get(url, params)  # warm: session, queue counts in the cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    # The calendar cache re-reads its version at most every CALENDAR_VERSION_TTL seconds
    # (deadlines.calendars): a statement of the clock, not of the page, which a slow run
    # meets now and then. It is not counted against the page.
    n = sum(1 for q in ctx.captured_queries if not _calendar_version_check(q["sql"]))
    if os.environ.get("UPDATE_QUERY_COUNTS"):
        PINNED[name] = n
        BASELINES.write_text(json.dumps(PINNED, indent=2, sort_keys=True) + "\n")
        return
    queries = "\n".join(q["sql"][:200] for q in ctx.captured_queries)
    assert n <= PINNED[name], f"{name}: {n} queries, pinned {PINNED[name]}:\n{queries}"


def test_every_scenario_is_pinned(world, cases):
    assert set(_scenarios(world, cases)) == set(PINNED)


def test_queue_counts_come_from_the_cache_until_a_transition(
    client, world, cases, django_capture_on_commit_callbacks
):
    client.force_login(world.users["administrator"])
    first = client.get("/cases/").content.decode()
    assert "На модерации" in first
    with CaptureQueriesContext(connection) as warm:
        client.get("/cases/")
    aggregates = [
        q
        for q in warm.captured_queries
        if "COUNT(" in q["sql"].upper() and "cases_case" in q["sql"]
    ]
    # Only the capped count of the page itself, not the queue aggregate.
    assert len(aggregates) == 1, [q[:120] for q in aggregates]
    case = cases[0]
    # The service invalidates the counts once its transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/cases/{case.pk}/do/reject/",
            {"reason_kind": "spam", "reason": "", "version": case.version},
        )
    assert response.status_code in (200, 302), response.content[:300]
    case.refresh_from_db()
    assert case.status == "rejected"
    with CaptureQueriesContext(connection) as after:
        client.get("/cases/")
    # The card's action invalidated the counts: the aggregate runs again.
    recounted = [
        q
        for q in after.captured_queries
        if "COUNT(" in q["sql"].upper() and "cases_case" in q["sql"]
    ]
    assert len(recounted) == 2, [q["sql"][:120] for q in recounted]
