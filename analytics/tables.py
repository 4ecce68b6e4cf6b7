"""The analytics tables as headers and rows: the pages' downloads and the weekly note."""

from django.utils.translation import gettext as _

from .indicators import INDICATORS, WEEKDAYS, HeatMap, Problem, Rating, Rising, SectorProblems

RATING_COLUMNS = (
    "received",
    "answered",
    "answer_due",
    "on_time",
    "overdue",
    "on_time_share",
    "answer_hours_median",
    "answer_hours_p90",
    "first_reply_hours_median",
    "interim",
    "broken_promises",
    "returned_share",
    "reopened_share",
    "satisfaction",
    "low_share",
    "repeated",
    "score",
)
SHARES = {"on_time_share", "returned_share", "reopened_share", "low_share"}
TIMES = {"answer_hours_median", "answer_hours_p90", "first_reply_hours_median"}


def percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def rating_value(row, code: str):
    value = getattr(row, code)
    if code in SHARES:
        return percent(value)
    if isinstance(value, float):
        return round(value, 1 if code == "score" else 2)
    return value


def rating_table(rating: Rating) -> tuple[list[str], list[list]]:
    headers = [_("Место"), _("Организация")]
    headers += [str(INDICATORS[c].label) + (", %" if c in SHARES else "") for c in RATING_COLUMNS]
    headers += [_("Изменение места")]
    rows = []
    for row in [*rating.rows, rating.total]:
        rows.append(
            [row.rank, row.name]
            + [rating_value(row, c) for c in RATING_COLUMNS]
            + [row.rank_change]
        )
    return headers, rows


def top_table(problems: list[Problem]) -> tuple[list[str], list[list]]:
    headers = [
        _("№"),
        _("Категория"),
        _("Отраслевой блок"),
        _("Поступило"),
        _("Было"),
        _("Рост"),
        _("Просрочено, %"),
        _("Районы"),
        _("Адреса"),
        _("Исполнители"),
    ]
    rows = []
    for i, p in enumerate(problems, 1):
        rows.append(
            [
                i,
                p.name,
                p.sector,
                p.count,
                p.previous,
                p.growth,
                percent(p.overdue_share),
                ", ".join(f"{n} ({c})" for n, c in p.districts),
                ", ".join(f"{n} ({c})" for n, c in p.addresses),
                ", ".join(f"{n} ({c})" for n, c in p.executors),
            ]
        )
    return headers, rows


def heatmap_table(heat: HeatMap, metric: str) -> tuple[list[str], list[list]]:
    headers = [_("Район")] + [name for _pk, name in heat.columns]
    rows = []
    for row_key, row_name in heat.rows:
        values = []
        for col_key, _n in heat.columns:
            v = heat.cell(row_key, col_key).value(metric)
            values.append(
                percent(v) if metric == "overdue" else (round(v, 2) if isinstance(v, float) else v)
            )
        rows.append([row_name, *values])
    return headers, rows


def weekday_hour_table(grid: list[list[int]]) -> tuple[list[str], list[list]]:
    headers = [_("День")] + [f"{h:02d}" for h in range(24)]
    return headers, [[str(WEEKDAYS[d]), *grid[d]] for d in range(7)]


def rising_table(items: list[Rising]) -> tuple[list[str], list[list]]:
    headers = [
        _("Категория"),
        _("Отраслевой блок"),
        _("За неделю (x)"),
        _("Среднее (λ)"),
        _("P(X ≥ x | λ)"),
        _("По неделям"),
    ]
    return headers, [
        [
            r.name,
            r.sector,
            r.count,
            round(r.baseline, 2),
            f"{r.p_value:.2g}",
            " ".join(str(w) for w in r.weeks),
        ]
        for r in items
    ]


def key_problems_table(items: list[SectorProblems]) -> tuple[list[str], list[list]]:
    """Квартал: one row per key problem of each sector; a catch-all's decomposition in
    the last column (Саратов п. 5.4)."""
    headers = [
        _("Отраслевой блок"),
        _("№"),
        _("Категория"),
        _("Поступило"),
        _("Было"),
        _("Рост"),
        _("Просрочено"),
        _("Декомпозиция «прочего»"),
    ]
    rows = []
    for s in items:
        for i, p in enumerate(s.problems, 1):
            parts = ", ".join(f"{n} ({c})" for n, c in p.parts)
            rows.append([s.name, i, p.name, p.count, p.previous, p.growth, p.overdue, parts])
    return headers, rows
