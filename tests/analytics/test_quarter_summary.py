"""Квартал (Саратов п. 3.6, п. 5.4), Сводка and the rating's sparklines — all from
``analytics.indicators``."""

import datetime as dt
import json
import re

from django.urls import reverse

from analytics.indicators import (
    Period,
    Scope,
    is_other_category,
    key_problems_by_sector,
    overdue_now,
    periods_back,
    rating_history,
)
from tests.factories import CategoryFactory

from .conftest import PERIOD, local


def _scope(world):
    from .conftest import NOW

    return Scope(user=None, municipalities=[world.mun], now=NOW)


def test_other_names():
    assert is_other_category("Прочие по направлению") and is_other_category("Иные вопросы")
    assert not is_other_category("Ямы")


def test_key_problems_per_sector_decompose_the_catch_all(dataset, world, flow, cats):
    other = CategoryFactory(code="a-other", name="Прочие по направлению", parent=cats["roads"])
    signs = CategoryFactory(code="a-signs", name="Дорожные знаки", parent=other)
    lights = CategoryFactory(code="a-lights", name="Освещение дорог", parent=other)
    for i, sub in enumerate([signs, signs, lights, other]):
        case = flow.register(local(5, 9 + i))
        flow.assign(case, local(5, 9 + i, 5), category=sub)
    sectors = key_problems_by_sector(scope=_scope(world), period=Period(*PERIOD))
    assert [(s.name, s.total) for s in sectors] == [("Дороги", 8), ("Водоснабжение", 1)]
    roads = sectors[0]
    assert [(p.name, p.count, p.previous, p.is_other) for p in roads.problems] == [
        ("Прочие по направлению", 4, 0, True),
        ("Ямы", 4, 2, False),
    ]
    # Саратов 5.4: the catch-all among the key problems is decomposed.
    assert roads.problems[0].parts == [("Дорожные знаки", 2), ("Освещение дорог", 1)]
    assert roads.problems[0].parts_by == "subcategory"
    assert roads.problems[1].parts == []
    water = sectors[1]
    assert [(p.name, p.count, p.overdue) for p in water.problems] == [("Протечки", 1, 1)]


def test_no_cases_no_sectors(world):
    empty = Period(dt.date(2025, 2, 3), dt.date(2025, 2, 9))
    assert key_problems_by_sector(scope=_scope(world), period=empty) == []


def test_rating_history_is_the_rating_of_each_period(dataset, world):
    period = Period(*PERIOD)
    periods, history = rating_history(scope=_scope(world), period=period, n=3)
    assert periods == periods_back(period, 3) and periods[-1] == period
    totals = history[None]
    # 2 cases in the week before (p1, p2), 5 in the week (c1, c2, c3, c5, c8).
    assert [t.received for t in totals] == [0, 2, 5]
    assert [t.on_time_share for t in totals][1:] == [1.0, 0.6]


def test_overdue_now(dataset, world):
    count, cases = overdue_now(scope=_scope(world))
    # On 20.02: c2's new answer clock (due Wed 04.02), c8's broken promise (Thu 05.02
    # 12:00) and the clocks of c3 and c4 (received Sunday night and Monday 00:30, never
    # answered) run past due — the case list's «Просрочено».
    assert count == 4
    assert [c.registration_number for c in cases] == [
        dataset[k].registration_number for k in ("c2", "c8", "c3", "c4")
    ]


def _chart(html: str, name: str) -> dict:
    match = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_pages(dataset, world, client):
    client.force_login(world.users["head"])
    q = f"?date_from={PERIOD[0]}&date_to={PERIOD[1]}"
    summary = client.get(reverse("analytics:summary") + q)
    assert summary.status_code == 200
    html = summary.content.decode()
    assert _chart(html, "chart-channels")["datasets"] == [
        {"label": "ВКонтакте", "data": [0, 0, 0, 0, 0, 0, 2, 5]}
    ]
    assert _chart(html, "chart-on-time")["datasets"][0]["data"][-2:] == [100.0, 60.0]
    assert "chart.umd.min.js" in html and "<script>" not in html  # CSP: no inline script
    quarter = client.get(reverse("analytics:quarter") + q)
    assert quarter.status_code == 200 and "Ямы" in quarter.content.decode()
    csv = client.get(reverse("analytics:quarter") + q + "&format=csv").content.decode("utf-8-sig")
    assert csv.splitlines()[1].split(";")[:4] == ["Дороги", "1", "Ямы", "4"]
    rating = client.get(reverse("analytics:rating") + q).content.decode()
    assert 'aria-label="балл по периодам: —, —, —, —, —, —, ' in rating
    client.force_login(world.users["executor"])
    assert client.get(reverse("analytics:summary") + q).status_code == 200
    bad = client.get(reverse("analytics:summary") + "?date_from=2026-02-10&date_to=2026-02-01")
    assert bad.status_code == 400


def test_summary_overdue_times_are_the_municipality_s_own(dataset, world, client, frozen):
    """The observer works in no municipality (the default zone, Moscow, is active for
    them); c4 arrived at 00:30 in Междуреченск (UTC+7) on Monday 09.02 — 20:30 of Sunday
    in Moscow. The overdue table shows the municipality's own date and time, as the card
    does, for the observer and for the head alike."""
    c4 = dataset["c4"]
    assert c4.received_at == local(9, 0, 30)
    for who in ("observer", "head"):
        client.force_login(world.users[who])
        html = client.get(reverse("analytics:summary") + "?municipality=mzh").content.decode()
        row = re.search(rf"{re.escape(c4.registration_number)}</a></th><td>([^<]*)</td>", html)
        assert row, who
        assert row.group(1) == "09.02.2026 00:30 (МСК+4)", who


def test_rating_history_is_rating_rows_of_each_period_in_constant_queries(
    dataset, world, django_assert_max_num_queries
):
    """The history is collected in one set of statements for all its periods (not a
    rating of each, twice over); each period's rows are exactly ``rating_rows``' — ranks
    hidden for the executor in every period. The answer and first-reply times are read
    for the last period only (the sparklines show scores): earlier periods have none."""
    from analytics.indicators import TIME_FIELDS, analytics_scope, rating_rows

    def without_times(row: dict) -> dict:
        return {k: v for k, v in row.items() if k not in TIME_FIELDS}

    period = Period(*PERIOD)
    for who in ("curator", "executor"):
        scope = analytics_scope(user=world.users[who], municipality="mzh")
        periods, history = rating_history(scope=scope, period=period, n=3)
        for i, p in enumerate(periods):
            last = i == len(periods) - 1
            trim = (lambda row: row) if last else without_times
            expected = rating_rows(scope=scope, period=p)
            got = {k: v[i] for k, v in history.items() if k is not None}
            assert {r.organization: trim(r.as_dict()) for r in expected.rows} == {
                k: trim(r.as_dict()) for k, r in got.items()
            }
            assert trim(history[None][i].as_dict()) == trim(expected.total.as_dict())
            assert all(r.times == last for r in got.values())
            if not last:
                assert all(r.as_dict()["answer_hours_median"] is None for r in got.values())
    from django.core.cache import cache

    scope = analytics_scope(user=world.users["curator"], municipality="mzh")
    rating_history(scope=scope, period=period, n=2)  # warms the calendars' cache
    cache.clear()
    # Cold: the past periods' counts (5 grouped statements) and the last one's (5, and
    # 2 for its answer times), the organisations and the weights.
    with django_assert_max_num_queries(14) as few:
        rating_history(scope=scope, period=period, n=2)
    cache.clear()
    # +1: the calendar cache re-checks its version once in a while (deadlines.calendars).
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        rating_history(scope=scope, period=period, n=8)
    # Warm: the past periods come from the cache; only the last is counted.
    with django_assert_max_num_queries(len(few.captured_queries) - 4):
        rating_history(scope=scope, period=period, n=8)


def test_past_counts_are_cached_per_scope_and_follow_within_the_ttl(dataset, world, settings):
    """The history's past periods are kept ``ANALYTICS_HISTORY_CACHE_SECONDS``: another
    visibility (an executor) never reads the curator's entry, and with the cache off a
    change shows at once."""
    from django.core.cache import cache

    from analytics.indicators import analytics_scope

    period = Period(*PERIOD)
    curator = analytics_scope(user=world.users["curator"], municipality="mzh")
    executor = analytics_scope(user=world.users["executor"], municipality="mzh")
    cache.clear()
    _, mine = rating_history(scope=curator, period=period, n=3)
    _, theirs = rating_history(scope=executor, period=period, n=3)
    assert set(theirs) - {None} == {world.users["executor"].organisation_id}
    assert len(set(mine) - {None}) > 1
    settings.ANALYTICS_HISTORY_CACHE_SECONDS = 0
    _, fresh = rating_history(scope=curator, period=period, n=3)
    assert [r and r.as_dict() for r in fresh[None]] == [r and r.as_dict() for r in mine[None]]
