"""Analytics pages, ``/api/v1/analytics/*`` and the weekly note over the generated cases.

Through gunicorn, as ``bench.bench_list`` does: every page (Рейтинг, ТОП-5, тепловые
карты and their drill-down, растущие проблемы, Квартал, Сводка) at its default period and
every endpoint for a week, a month and a quarter, for the head of the largest municipality
and for the observer (the whole region); median and p95 over ``--requests`` after two
warm-ups, and the SQL statements of each request (``X-DB-Queries``). The weekly note is
built in-process for the largest municipality's last full ISO week (``note_content_build``,
the engine of ``manage.py weekly_note`` and of beat, without saving a revision) and
rendered to PDF. Then the heaviest statement of the heaviest report is shown with
``EXPLAIN (ANALYZE, BUFFERS)`` (``bench.explain.print_plan``).

Targets (issue #10 «Performance»): each endpoint and page p95 < 300 ms, the note < 3 s;
statements recorded without a target (they must not grow with organisations or
categories, nor with the periods of the history — ``tests/analytics/test_pages_and_api.py``
and ``test_quarter_summary.py`` pin that).
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from bench import record
from bench.bench_list import BUDGET_S, MIN_REQUESTS, p95

#: a request slower than this counts from the first (no warm-up) and three are enough
SLOW_MS = 3000
SLOW_REQUESTS = 3

TARGET_MS = 300
NOTE_TARGET_S = 3
PAGES = {
    "rating": "/analytics/rating/",
    "top": "/analytics/top/",
    "heatmap": "/analytics/heatmap/",
    "heatmap_cases": "/analytics/heatmap/cases/?weekday=1&hour=10",
    "rising": "/analytics/rising/",
    "quarter": "/analytics/quarter/",
    "summary": "/analytics/summary/",
}
ENDPOINTS = {
    "rating": "/api/v1/analytics/rating/",
    "top_problems": "/api/v1/analytics/top-problems/",
    "heatmap": "/api/v1/analytics/heatmap/",
    "rising": "/api/v1/analytics/rising/",
}
PRESETS = ("week", "month", "quarter")


def who(ctx) -> dict[str, tuple[str, str]]:
    """label → (username, municipality slug or "") : the head of the municipality with
    the most cases (their own), and an observer (the whole region)."""
    ctx.dataset()
    from django.db.models import Count

    from cases.models import Case
    from mcu.choices import Role
    from mcu.models import Municipality, User

    largest = (
        Case.objects.values("municipality_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("municipality_id", flat=True)
        .first()
    )
    mun = Municipality.objects.get(pk=largest)
    head = (
        User.objects.filter(role=Role.HEAD, municipality=mun, is_active=True).order_by("pk").first()
    )
    if head is None:
        raise RuntimeError(f"no head in the largest municipality {mun.slug}")
    observer = User.objects.filter(role=Role.OBSERVER, is_active=True).order_by("pk").first()
    if observer is None:
        raise RuntimeError("no observer among the demo users")
    return {"head": (head.username, mun.slug), "observer": (observer.username, "")}


def scenarios(ctx) -> dict[str, tuple[str, str]]:
    """name → (username, path)."""
    found = {}
    for label, (username, slug) in who(ctx).items():
        mun = f"municipality={slug}" if slug else ""
        for page, path in PAGES.items():
            sep = "&" if "?" in path else "?"
            found[f"analytics.{label}.page_{page}"] = (
                username,
                path + (sep + mun if mun else ""),
            )
        for endpoint, path in ENDPOINTS.items():
            for preset in PRESETS:
                query = "&".join(q for q in (f"preset={preset}", mun) if q)
                found[f"analytics.{label}.api_{endpoint}.{preset}"] = (username, f"{path}?{query}")
    return found


def time_requests(ctx, name: str, username: str, path: str) -> tuple[float, float, int]:
    browser = ctx.session(username)
    times, statements = [], []
    started = time.monotonic()
    for i in range(ctx.requests + 2):
        answer = browser.get(path)
        if answer.status != 200:
            raise RuntimeError(f"{name}: HTTP {answer.status} for {path}")
        if i >= 2 or answer.ms > SLOW_MS:
            times.append(answer.ms)
            statements.append(int(answer.headers.get("x-db-queries", -1)))
        if len(times) >= MIN_REQUESTS and time.monotonic() - started > BUDGET_S:
            break
        # A report of many seconds is far off its target: three timings say so, without
        # spending minutes on each of the region's reports.
        if len(times) >= SLOW_REQUESTS and min(times) > SLOW_MS:
            break
    return p95(times), statistics.median(times), max(statements)


def note_build(ctx, slug: str) -> None:
    """The weekly note of the last full ISO week of the municipality, built and rendered
    to PDF, in-process (the engine of ``manage.py weekly_note``), with its statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from analytics.documents import note_render
    from analytics.models import NoteKind, WeeklyNote
    from analytics.notes import iso_week, note_content_build
    from mcu.models import Municipality

    mun = Municipality.objects.get(slug=slug)
    today = timezone.now().astimezone(mun.zone).date()
    year, week, _ = (today - timedelta(days=7)).isocalendar()
    label = f"{year}-W{week:02d}"
    period = iso_week(label)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        content = note_content_build(municipality=mun, kind=NoteKind.WEEKLY, period=period)
    built = time.perf_counter() - started
    note = WeeklyNote(
        municipality=mun,
        kind=NoteKind.WEEKLY,
        period=label,
        date_from=period.date_from,
        date_to=period.date_to,
        content=content,
        built_at=timezone.now(),
    )
    note_render(note, "pdf")
    total = time.perf_counter() - started
    record("analytics.note.build", built, "s", target=NOTE_TARGET_S)
    record("analytics.note.build_and_pdf", total, "s", target=NOTE_TARGET_S)
    record("analytics.note.queries", len(captured.captured_queries), "statements")


def explain_heaviest(ctx, timed: dict[str, float], found: dict[str, tuple[str, str]]) -> None:
    """The slowest statement of the slowest report, rendered in-process, with its plan."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.explain import print_plan
    from mcu.models import User

    name = max(timed, key=timed.get)
    username, path = found[name]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    selects = [
        q
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    print(f"\n  heaviest report: {name} ({path}), {len(selects)} SELECTs; slowest statements:")
    for query in sorted(selects, key=lambda q: -float(q["time"]))[:2]:
        print_plan(connection, query["sql"], float(query["time"]) * 1000)


def run(ctx) -> None:
    found = scenarios(ctx)
    ctx.server()
    timed = {}
    for name, (username, path) in found.items():
        p95_ms, median_ms, statements = time_requests(ctx, name, username, path)
        timed[name] = p95_ms
        record(f"{name}.p95", p95_ms, "ms", target=TARGET_MS)
        record(f"{name}.median", median_ms, "ms", target=TARGET_MS)
        record(f"{name}.queries", statements, "statements")
    note_build(ctx, who(ctx)["head"][1])
    explain_heaviest(ctx, timed, found)
