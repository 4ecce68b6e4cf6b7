"""Analytics pages: thin views over ``analytics.indicators`` (DESIGN §6, §8).

Every page is role-scoped (the selectors start from ``visible_to``), takes the same
parameters as the API (``analytics.forms``) and downloads its table with ``?format=csv``
or ``?format=xlsx``.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.permissions import can_see_personal_data

from . import tables
from .exports import export_formats, table_response
from .forms import PRESETS, analytics_params
from .indicators import (
    INDICATORS,
    RISING_RULE,
    WEEKDAYS,
    Period,
    analytics_allowed,
    cases_at_weekday_hour,
    channel_history,
    heatmap_district_category,
    heatmap_weekday_hour,
    key_problems_by_sector,
    overdue_now,
    rating_history,
    rating_rows,
    rising_problems,
    sectors,
    top_problems,
)

HEAT_LEVELS = 5


def heat_level(value, values, direction: int) -> int | None:
    """0 (worst) … 4 (best) within the column; for a volume (direction 0), 0 … 4 by size.
    None when the cell has no value: the page writes «—» without a colour."""
    present = [v for v in values if v is not None]
    if value is None or not present:
        return None
    # A volume is shaded from zero; a rate from the column's worst to its best.
    lo, hi = (0 if not direction else min(present)), max(present)
    if hi == lo:
        return 2 if direction else (4 if hi else 0)
    level = round((HEAT_LEVELS - 1) * (value - lo) / (hi - lo))
    return HEAT_LEVELS - 1 - level if direction < 0 else level


def sparkline(values: list) -> dict:
    """Bars of 0–100 % of the row's own best (``None``: no score in that period)."""
    present = [v for v in values if v is not None]
    peak = max(present) if present else 0
    return {
        "bars": [None if v is None else (round(100 * v / peak) if peak else 0) for v in values],
        "values": ["—" if v is None else f"{v:.0f}" for v in values],
    }


def _case_list_url(period, **filters) -> str:
    params = {k: v for k, v in filters.items() if v not in (None, "")}
    params["received_after"] = period.date_from.isoformat()
    params["received_before"] = period.date_to.isoformat()
    return reverse("cases:list") + "?" + urlencode(params)


def _forbidden():
    return HttpResponse(_("Аналитика недоступна для вашей роли."), status=403)


def _context(request, form, scope, period, **extra) -> dict:
    query = request.GET.copy()
    query.pop("format", None)
    return {
        "form": form,
        "scope": scope,
        "period": period,
        "presets": PRESETS,
        "sectors": sectors(),
        "municipalities": scope.municipalities if scope else [],
        "formats": export_formats(),
        "query": query.urlencode(),
        # Past periods' counts (sparklines, trends) are cached this long (_past_counts).
        "history_minutes": settings.ANALYTICS_HISTORY_CACHE_SECONDS // 60,
        **extra,
    }


def _bad_params(request, form, template):
    return render(request, template, _context(request, form, None, None), status=400)


def _download(request, filename, title, table):
    headers, rows = table
    return table_response(
        request.GET.get("format", ""), filename=filename, title=title, headers=headers, rows=rows
    )


@login_required
@require_GET
def rating_view(request):
    if not analytics_allowed(request.user):
        return _forbidden()
    scope, period, form = analytics_params(user=request.user, data=request.GET)
    if scope is None:
        return _bad_params(request, form, "analytics/rating.html")
    rating = rating_rows(scope=scope, period=period)
    filename = f"rating_{period.date_from}_{period.date_to}"
    response = _download(request, filename, _("Рейтинг"), tables.rating_table(rating))
    if response is not None:
        return response
    sort = request.GET.get("sort", "")
    desc = sort.startswith("-")
    key = sort.lstrip("-")
    rows = list(rating.rows)
    if key in tables.RATING_COLUMNS or key == "name":
        present = [r for r in rows if getattr(r, key) is not None]
        missing = [r for r in rows if getattr(r, key) is None]
        present.sort(key=lambda r: getattr(r, key), reverse=desc)
        rows = present + missing
    # The score of the last 8 periods of equal length, for the sparkline of each row.
    periods, history = rating_history(scope=scope, period=period, last=rating)
    columns = []
    for code in tables.RATING_COLUMNS:
        values = [getattr(r, code) for r in rating.rows]
        columns.append((code, INDICATORS[code], values))
    # Better / worse colours only for rates, times, the mean rating and the score: a raw
    # count grows with the size of an organisation, so counts are shaded as volumes.
    judged = {*tables.SHARES, *tables.TIMES, "satisfaction", "score"}
    table = []
    for row in rows:
        cells = []
        for code, indicator, values in columns:
            value = getattr(row, code)
            cells.append(
                {
                    "code": code,
                    "value": tables.rating_value(row, code),
                    "share": code in tables.SHARES,
                    "level": heat_level(
                        value, values, indicator.direction if code in judged else 0
                    ),
                    "volume": code not in judged,
                }
            )
        received_url = _case_list_url(period, organization=row.organization)
        table.append(
            {
                "row": row,
                "cells": cells,
                "received_url": received_url,
                "spark": sparkline(
                    [getattr(r, "score", None) for r in history.get(row.organization, [])]
                ),
            }
        )
    total_cells = [
        {"value": tables.rating_value(rating.total, c), "share": c in tables.SHARES}
        for c in tables.RATING_COLUMNS
    ]
    context = _context(
        request,
        form,
        scope,
        period,
        rating=rating,
        columns=columns,
        table=table,
        total_cells=total_cells,
        total_url=_case_list_url(period),
        sort=sort,
        spark_periods=periods,
        indicators=[INDICATORS[c] for c in (*tables.RATING_COLUMNS, "rank")],
    )
    return render(request, "analytics/rating.html", context)


@login_required
@require_GET
def top_view(request):
    if not analytics_allowed(request.user):
        return _forbidden()
    scope, period, form = analytics_params(user=request.user, data=request.GET)
    if scope is None:
        return _bad_params(request, form, "analytics/top.html")
    problems = top_problems(
        scope=scope, period=period, with_samples=can_see_personal_data(request.user)
    )
    filename = f"top5_{period.date_from}_{period.date_to}"
    response = _download(request, filename, _("ТОП-5"), tables.top_table(problems))
    if response is not None:
        return response
    items = [{"p": p, "url": _case_list_url(period, category=p.category)} for p in problems]
    return render(
        request, "analytics/top.html", _context(request, form, scope, period, items=items)
    )


METRICS = (
    ("count", _("Количество"), 0),
    ("overdue", _("Доля просроченных"), -1),
    ("satisfaction", _("Удовлетворённость"), +1),
)


@login_required
@require_GET
def heatmap_view(request):
    if not analytics_allowed(request.user):
        return _forbidden()
    scope, period, form = analytics_params(user=request.user, data=request.GET)
    if scope is None:
        return _bad_params(request, form, "analytics/heatmap.html")
    metric = request.GET.get("metric", "count")
    if metric not in {m for m, _l, _d in METRICS}:
        metric = "count"
    direction = {m: d for m, _l, d in METRICS}[metric]
    heat = heatmap_district_category(scope=scope, period=period)
    grid = heatmap_weekday_hour(scope=scope, period=period)
    which = request.GET.get("table", "districts")
    table = (
        tables.weekday_hour_table(grid) if which == "hours" else tables.heatmap_table(heat, metric)
    )
    filename = f"heatmap_{which}_{period.date_from}_{period.date_to}"
    response = _download(request, filename, _("Тепловая карта"), table)
    if response is not None:
        return response
    values = [heat.cell(r, c).value(metric) for r, _n in heat.rows for c, _m in heat.columns]
    rows = []
    for row_key, row_name in heat.rows:
        cells = []
        for col_key, _name in heat.columns:
            cell = heat.cell(row_key, col_key)
            value = cell.value(metric)
            if row_key is None:
                url = _drill_url(request, category=col_key, district="none")
            else:
                url = _case_list_url(period, district=row_key, category=col_key)
            cells.append(
                {
                    "count": cell.count,
                    "value": tables.percent(value) if metric == "overdue" else value,
                    "level": heat_level(value, values, direction),
                    "url": url if cell.count else "",
                }
            )
        rows.append({"name": row_name, "cells": cells})
    flat = [v for day in grid for v in day]
    hours = [
        {
            "day": WEEKDAYS[d],
            "cells": [
                {
                    "count": grid[d][h],
                    "level": heat_level(grid[d][h], flat, 0),
                    "url": _drill_url(request, weekday=d, hour=h) if grid[d][h] else "",
                }
                for h in range(24)
            ],
        }
        for d in range(7)
    ]
    context = _context(
        request,
        form,
        scope,
        period,
        heat=heat,
        rows=rows,
        hours=hours,
        hour_labels=[f"{h:02d}" for h in range(24)],
        metric=metric,
        metrics=METRICS,
        share_metric=metric == "overdue",
    )
    return render(request, "analytics/heatmap.html", context)


def _drill_url(request, **params) -> str:
    query = request.GET.copy()
    for name in ("format", "metric", "table", "sort"):
        query.pop(name, None)
    for k, v in params.items():
        query[k] = v
    return reverse("analytics:cases") + "?" + query.urlencode()


@login_required
@require_GET
def heatmap_cases_view(request):
    """The cases behind a cell the case list cannot filter for (weekday × hour, no
    district): the same selectors, listed with links to the cards."""
    if not analytics_allowed(request.user):
        return _forbidden()
    scope, period, form = analytics_params(user=request.user, data=request.GET)
    if scope is None:
        return _bad_params(request, form, "analytics/cases.html")
    try:
        weekday = int(request.GET["weekday"])
        hour = int(request.GET["hour"])
    except (KeyError, ValueError):
        weekday = hour = None
    if weekday is not None:
        cases = cases_at_weekday_hour(scope=scope, period=period, weekday=weekday, hour=hour)
        title = _("%(day)s, %(hour)02d:00–%(hour)02d:59 (местное время)") % {
            "day": WEEKDAYS[weekday % 7],
            "hour": hour % 24,
        }
    else:
        qs = scope.cases().filter(scope.in_period(period, "received_at"), district__isnull=True)
        category = request.GET.get("category")
        if category and category.isdigit():
            from mcu.models import Category

            qs = qs.filter(category_id__in=Category.subtree_of([int(category)]))
        cases = list(qs.select_related("municipality", "category", "organisation")[:500])
        title = _("Район не указан")
    return render(
        request,
        "analytics/cases.html",
        _context(request, form, scope, period, cases=cases, title=title),
    )


@login_required
@require_GET
def rising_view(request):
    if not analytics_allowed(request.user):
        return _forbidden()
    scope, period, form = analytics_params(
        user=request.user, data=request.GET, default_preset="week"
    )
    if scope is None:
        return _bad_params(request, form, "analytics/rising.html")
    items = rising_problems(scope=scope, date_to=period.date_to)
    filename = f"rising_{period.date_to}"
    response = _download(request, filename, _("Растущие проблемы"), tables.rising_table(items))
    if response is not None:
        return response
    peak = max([max(r.weeks) for r in items] or [1]) or 1
    # The count links to the cases of the last week, the 7 days the rule reads.
    week = Period(period.date_to - timedelta(days=6), period.date_to)
    rows = [
        {
            "r": r,
            "bars": [round(100 * w / peak) for w in r.weeks],
            "url": _case_list_url(week, category=r.category),
        }
        for r in items
    ]
    return render(
        request,
        "analytics/rising.html",
        _context(request, form, scope, period, rows=rows, rule=RISING_RULE),
    )


@login_required
@require_GET
def quarter_view(request):
    """Квартал: the key problems of each sector (Саратов п. 3.6, п. 5.4)."""
    if not analytics_allowed(request.user):
        return _forbidden()
    scope, period, form = analytics_params(
        user=request.user, data=request.GET, default_preset="quarter"
    )
    if scope is None:
        return _bad_params(request, form, "analytics/quarter.html")
    sectors_ = key_problems_by_sector(scope=scope, period=period)
    filename = f"quarter_{period.date_from}_{period.date_to}"
    response = _download(request, filename, _("Квартал"), tables.key_problems_table(sectors_))
    if response is not None:
        return response
    items = [
        {
            "s": s,
            "problems": [
                {"p": p, "url": _case_list_url(period, category=p.category)} for p in s.problems
            ],
        }
        for s in sectors_
    ]
    chart = {
        "type": "bar",
        "labels": [s.name for s in sectors_],
        "datasets": [{"label": str(_("Поступило за период")), "data": [s.total for s in sectors_]}],
    }
    return render(
        request,
        "analytics/quarter.html",
        _context(request, form, scope, period, items=items, chart=chart),
    )


@login_required
@require_GET
def summary_view(request):
    """Сводка — the head's start page: volumes by channel over the last 8 periods, the
    on-time share and the rating trend over them, and what is overdue now."""
    if not analytics_allowed(request.user):
        return _forbidden()
    scope, period, form = analytics_params(
        user=request.user, data=request.GET, default_preset="week"
    )
    if scope is None:
        return _bad_params(request, form, "analytics/summary.html")
    periods, history = rating_history(scope=scope, period=period)
    channels = channel_history(scope=scope, periods=periods)
    labels = [p.date_to.strftime("%d.%m") for p in periods]
    totals = history.get(None, [])

    def pct(row):
        return (
            None if row is None or row.on_time_share is None else round(100 * row.on_time_share, 1)
        )

    orgs = [k for k in history if k is not None]
    last = {k: history[k][-1] for k in orgs}
    leaders = sorted(
        (k for k in orgs if last[k] is not None and last[k].score is not None),
        key=lambda k: (-last[k].score, last[k].name),
    )[:5]
    overdue_count, overdue = overdue_now(scope=scope, limit=20)
    table = (
        [_("Канал"), *labels],
        [[name, *counts] for name, counts in channels.items()],
    )
    response = _download(request, f"summary_{period.date_to}", _("Сводка"), table)
    if response is not None:
        return response
    charts = {
        "channels": {
            "type": "bar",
            "stacked": True,
            "labels": labels,
            "datasets": [{"label": n, "data": c} for n, c in channels.items()],
        },
        "on_time": {
            "type": "line",
            "labels": labels,
            "percent": True,
            "datasets": [{"label": str(_("Ответов в срок, %")), "data": [pct(r) for r in totals]}],
        },
        "rating": {
            "type": "line",
            "labels": labels,
            "datasets": [
                {
                    "label": last[k].name,
                    "data": [
                        None if r is None or r.score is None else round(r.score, 1)
                        for r in history[k]
                    ],
                }
                for k in leaders
            ],
        },
    }
    current = totals[-1] if totals else None
    context = _context(
        request,
        form,
        scope,
        period,
        charts=charts,
        periods=periods,
        channels=channels,
        labels=labels,
        current=current,
        on_time_now=pct(current),
        overdue_count=overdue_count,
        overdue=overdue,
        overdue_url=reverse("cases:list") + "?overdue=true",
        can_see_pd=can_see_personal_data(request.user),
    )
    return render(request, "analytics/summary.html", context)
