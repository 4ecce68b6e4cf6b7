"""Case list, card and API over the generated cases, through gunicorn (median, p95, SQL).

Every scenario is requested ``--requests`` times (at most ``BUDGET_S`` seconds once
``MIN_REQUESTS`` are timed), after two warm-ups (the workers' first requests and the
queue-count cache), by a session signed in through the login page; the
SQL statements of a request come from the server's ``X-DB-Queries`` header (settings:
``DESK_BENCH_QUERY_COUNT``). Targets (issue «Scale»): p95 of every list page and of the API
< 100 ms, of the card < 50 ms; statements no more than the baselines pinned in
``tests/cases/query_counts.json``. ``python -m bench.explain`` prints the plans.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from urllib.parse import quote

from bench import record

TARGET_MS = {"list": 100, "card": 50, "api": 100}
PINNED = json.loads(
    (Path(__file__).resolve().parent.parent / "tests/cases/query_counts.json").read_text()
)
SEARCH_WORD = "контейнер"
#: per scenario: stop after this many seconds once MIN_REQUESTS are timed
BUDGET_S = 60
MIN_REQUESTS = 5
API_SEARCH_WORD = "ямы"


def scenarios(ctx) -> dict[str, tuple[str, str, str]]:
    """name → (kind, username, path) over the data set, for the demo head and executor."""
    ctx.dataset()
    from cases.models import Case
    from cases.pagination import cursor_encode
    from cases.queues import QUEUES_BY_ROLE
    from mcu.choices import Role
    from mcu.models import User

    head = User.objects.get(username="head")
    executor = User.objects.get(username="executor")
    theirs = Case.objects.filter(municipality=head.municipality_id)
    # Deep: half-way down the head's cases in the list's order, as ?after= reaches it.
    middle = theirs.count() // 2
    deep = theirs.order_by("-received_at", "-id").only("id", "received_at")[middle]
    card = theirs.filter(status="in_progress").order_by("-id").first() or theirs.last()
    found = {
        "list_first_page": ("list", "head", "/cases/"),
        **{
            f"list_queue_{q}": ("list", "head", f"/cases/?queue={q}")
            for q in QUEUES_BY_ROLE[Role.HEAD]
        },
        "list_filtered": ("list", "head", "/cases/?status=in_progress&kind=incident"),
        "list_search": ("list", "head", f"/cases/?q={quote(SEARCH_WORD)}"),
        "list_page_20": ("list", "head", "/cases/?page=20"),
        "list_deep_cursor": ("list", "head", f"/cases/?after={cursor_encode(deep)}"),
        "list_by_deadline": ("list", "head", "/cases/?ordering=deadline"),
        "list_executor": ("list", "executor", "/cases/"),
        "card": ("card", "head", f"/cases/{card.pk}/"),
        "api_list": ("api", "head", "/api/v1/cases/"),
        "api_search": ("api", "head", f"/api/v1/cases/?q={quote(API_SEARCH_WORD)}"),
        "api_cursor": ("api", "head", "/api/v1/cases/?cursor="),
    }
    assert executor.organisation_id, "the demo executor belongs to an organisation"
    return found


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def run(ctx) -> None:
    pages = scenarios(ctx)
    ctx.server()
    for name, (kind, who, path) in pages.items():
        browser = ctx.session(who)
        times, statements = [], []
        started = time.monotonic()
        for i in range(ctx.requests + 2):
            answer = browser.get(path)
            if answer.status != 200:
                raise RuntimeError(f"{name}: HTTP {answer.status} for {path}")
            if i >= 2:
                times.append(answer.ms)
                statements.append(int(answer.headers.get("x-db-queries", -1)))
            # A page of many seconds: enough requests for a median, not an hour.
            if len(times) >= MIN_REQUESTS and time.monotonic() - started > BUDGET_S:
                break
        target = TARGET_MS[kind]
        record(f"{name}.p95", p95(times), "ms", target=target)
        record(f"{name}.median", statistics.median(times), "ms", target=target)
        pinned = PINNED.get(name, PINNED["list_first_page"] if kind == "list" else None)
        # The usual request against the pinned baseline; the most of any request apart
        # (a request now and then also re-reads the calendar version, every 5 s, or
        # refills the queue counts, every 60 s: docs/performance.md).
        record(f"{name}.queries", statistics.mode(statements), "statements", target=pinned)
        record(f"{name}.queries_max", max(statements), "statements")
