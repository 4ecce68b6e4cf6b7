"""The indicators of the analytics — each defined once, here (DESIGN §6).

Selectors only: nothing here writes. Every figure starts from ``Case.objects.visible_to(user)``
(an executor sees their organisation, an observer the region) and every clock is read
through ``deadlines.state`` (``q_was_breached``), so a figure never disagrees with a badge.

A period is ``[date_from, date_to]`` in local dates: it runs from the local midnight that
starts ``date_from`` to the local midnight that ends ``date_to``, each municipality in its
own zone (a region spans zones). A case received at 23:30 local of ``date_to`` is in; one
received at 00:30 local of the next day is not.

Each indicator has its formula in the docstring of ``INDICATORS`` entries and a Russian
«как считается» text beside it, shown on the pages. The numbers come from a fixed number
of queries whatever the number of organisations or categories: the rating's counts are
grouped in the database by period and organisation (``_per_period``); the reports that
need each case (TOP-5 samples, heat maps) fetch its rows once per period.
"""

from __future__ import annotations

import copy
import hashlib
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case as DbCase
from django.db.models import (
    Count,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Answer, Case, Feedback
from deadlines.choices import OBLIGATION_STAGES, Stage
from deadlines.models import Deadline
from deadlines.selectors import case_was_breached_condition
from deadlines.state import q_was_breached
from mcu.choices import CategoryLevel, Role
from mcu.models import Category, District, Municipality, Organisation
from mcu.querysets import q_rebased

from .models import DEFAULT_MIN_CASES, DEFAULT_WEIGHTS, RatingWeights

__all__ = [
    "INDICATORS",
    "Indicator",
    "Period",
    "Scope",
    "analytics_scope",
    "heatmap_district_category",
    "heatmap_weekday_hour",
    "poisson_tail",
    "rating_rows",
    "rising_problems",
    "top_problems",
]

DEFAULT_LOW_SATISFACTION_THRESHOLD = 2
#: the roles that see the analytics pages (an executor sees their own row only)
ANALYTICS_ROLES = (Role.CURATOR, Role.HEAD, Role.ADMINISTRATOR, Role.OBSERVER, Role.EXECUTOR)


def low_satisfaction_threshold() -> int:
    # The same setting the workflow reopens by (cases.services): one threshold for both.
    return int(getattr(settings, "LOW_SATISFACTION_THRESHOLD", DEFAULT_LOW_SATISFACTION_THRESHOLD))


# ---------------------------------------------------------------------------------------
# Periods and scope
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local dates ``[date_from, date_to]``, both included."""

    date_from: date
    date_to: date

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        return Period(self.date_from - timedelta(days=self.days), self.date_from - timedelta(1))

    def bounds(self, zone) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: the local midnights around the period."""
        start = datetime.combine(self.date_from, time(0), tzinfo=zone)
        end = datetime.combine(self.date_to + timedelta(days=1), time(0), tzinfo=zone)
        return start, end

    @classmethod
    def preset(cls, name: str, *, today: date) -> Period:
        """«неделя» — 7 дней по сегодня, «месяц» — 30, «квартал» — 91."""
        days = {"week": 7, "month": 30, "quarter": 91}[name]
        return cls(today - timedelta(days=days - 1), today)


@dataclass
class Scope:
    """What one user's figures are made of: the visible cases of the chosen municipalities
    (and sector), and the organisations whose rows are shown."""

    user: object
    municipalities: list[Municipality]
    sector: Category | None = None
    now: datetime = field(default_factory=timezone.now)

    def cases(self) -> QuerySet[Case]:
        return Case.objects.filter(self.case_q())

    def case_q(self, *, via: str = "") -> Q:
        """The scope's cases as a condition: on ``Case`` itself, or on the case a row joins
        (``via="case__"``: checked on the joined row rather than against a list of every
        visible case). User None: the whole municipality, for the weekly note built from
        the command line by the operator (never reachable from a page or the API)."""
        q = Q(**{f"{via}municipality_id__in": [m.pk for m in self.municipalities]})
        if self.user is not None:
            q &= Case.objects.visibility_q(self.user, via=via)
        if self.sector is not None:
            q &= Q(**{f"{via}category_id__in": Category.subtree_of([self.sector.pk])})
        return q

    def row_q(self) -> Q:
        """The scope as a condition on a clock, an answer or a feedback row, which carry
        their case's municipality and organisation (``mcu.models.CaseCopy``): the same
        condition as ``case_q(via="case__")``, with those two read on the row itself so a
        period's rows come from the row's own index, not each through a join to its case.
        What a row does not carry (an administrator's kinds, the sector's categories)
        still goes through the case."""
        return q_rebased(self.case_q(via="case__"), via="case__", own=ROW_COPIES)

    def in_period(self, period: Period, field_name: str, *, via: str = "") -> Q:
        """``field`` inside the period, each municipality's local midnights its own."""
        q = Q(pk__in=[])
        for m in self.municipalities:
            start, end = period.bounds(m.zone)
            q |= Q(
                **{
                    f"{via}municipality_id": m.pk,
                    f"{field_name}__gte": start,
                    f"{field_name}__lt": end,
                }
            )
        return q

    def organisations(self) -> list[Organisation]:
        base = Organisation.objects
        base = base.all() if self.user is None else base.visible_to(self.user)
        qs = base.filter(municipality_id__in=[m.pk for m in self.municipalities])
        if _is_executor(self.user):
            # An executor sees their own organisation's row, nothing of the others.
            qs = qs.filter(pk=self.user.organisation_id)
        return list(qs.order_by("name"))

    @property
    def zone(self):
        """The zone dates are shown in: the municipality's, or the default for a region."""
        if len(self.municipalities) == 1:
            return self.municipalities[0].zone
        return timezone.get_default_timezone()

    def today(self) -> date:
        return self.now.astimezone(self.zone).date()


#: the lookups of a case that its clocks, answers and feedback carry themselves
ROW_COPIES = ("municipality_id", "municipality__", "organisation_id")


def analytics_scope(
    *,
    user,
    municipality: str | None = None,
    sector: int | Category | None = None,
    now: datetime | None = None,
) -> Scope:
    """The scope of a user's analytics. ``municipality`` is a slug among the visible ones
    (none: all visible); an unknown or invisible slug gives an empty scope, never an error
    that would tell it exists."""
    muns = Municipality.objects.visible_to(user)
    if municipality:
        muns = muns.filter(slug=municipality)
    if isinstance(sector, int):
        sector = Category.objects.filter(pk=sector).first()
    return Scope(user=user, municipalities=list(muns), sector=sector, now=now or timezone.now())


def analytics_allowed(user) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or user.has_role(*ANALYTICS_ROLES))
    )


# ---------------------------------------------------------------------------------------
# The indicators: formula (docstring) and «как считается» (Russian, on the pages)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    how: str
    #: +1 when more is better, −1 when less is better, 0 when neither (a volume)
    direction: int = 0


INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in (
        # received = |{case : received_at ∈ period}|
        Indicator(
            "received",
            _("Поступило"),
            _(
                "Сообщения, поступившие в период (дата поступления по местному времени МО, "
                "от 00:00 первого дня до 24:00 последнего). Совпадает со списком сообщений с "
                "фильтрами «Исполнитель» и «Поступило с/по»."
            ),
        ),
        # answered = |{case : ∃ final answer with published_at ∈ period}|
        Indicator(
            "answered",
            _("Отвечено"),
            _("Сообщения, окончательный ответ на которые опубликован в период."),
        ),
        # answer_due = |{clock : stage = answer, due_at ∈ period, not cancelled clean}|
        Indicator(
            "answer_due",
            _("Сроков ответа"),
            _(
                "Сроки ответа (этап «Ответ»), истекающие в период. Остановленные без "
                "нарушения (сообщение отклонено, передано) не считаются."
            ),
        ),
        # on_time = |{clock ∈ answer_due : met_at ≤ due_at, never breached}|
        Indicator(
            "on_time",
            _("В срок"),
            _("Из них выполнены в срок: ответ опубликован не позже срока."),
            +1,
        ),
        # overdue = |{clock ∈ answer_due : deadlines.state.q_was_breached(now)}|
        Indicator(
            "overdue",
            _("Просрочено"),
            _(
                "Из них нарушены: выполнены с опозданием, отмечены нарушенными или ещё "
                "открыты после срока — ничего не отбрасывается."
            ),
            -1,
        ),
        # on_time_share = on_time / (on_time + overdue); clocks still running before their
        # due time are not yet decided and left out of both.
        Indicator(
            "on_time_share",
            _("Доля в срок"),
            _(
                "В срок ÷ (в срок + просрочено). Сроки, которые ещё идут и не истекли, "
                "в долю не входят, пока не решены."
            ),
            +1,
        ),
        # median / p90 of working_hours(received_at → first final publication in period)
        Indicator(
            "answer_hours_median",
            _("Медиана времени ответа, раб. ч"),
            _(
                "Рабочие часы (по графику и производственному календарю МО) от поступления "
                "до публикации окончательного ответа, для отвеченных в период; медиана."
            ),
            -1,
        ),
        Indicator(
            "answer_hours_p90",
            _("90-й перцентиль, раб. ч"),
            _("То же, 90-й перцентиль (ближайший ранг: 9 из 10 ответов не дольше)."),
            -1,
        ),
        # median of working_hours(received_at → first publication of any answer), for cases
        # whose first reply was published in the period
        Indicator(
            "first_reply_hours_median",
            _("Первичный ответ, раб. ч"),
            _(
                "Рабочие часы от поступления до первого опубликованного ответа "
                "(промежуточного или окончательного); медиана по первым ответам периода."
            ),
            -1,
        ),
        # interim = |{interim answer : published_at ∈ period}|
        Indicator(
            "interim",
            _("Промежуточных ответов"),
            _("Промежуточные ответы с обещанным сроком, опубликованные в период."),
        ),
        # broken_promises = |{clock : stage = promise, due_at ∈ period, q_was_breached}|
        Indicator(
            "broken_promises",
            _("Нарушено обещаний"),
            _("Обещанные сроки промежуточных ответов, истекшие в период и нарушенные."),
            -1,
        ),
        # returned_share = |returned final answers| / |final answers submitted in period|
        Indicator(
            "returned_share",
            _("Возвращено на доработку"),
            _(
                "Окончательные ответы, направленные на проверку в период, которые вернули "
                "на доработку, ÷ все направленные в период."
            ),
            -1,
        ),
        # reopened_share = |{feedback : reopened, at ∈ period}| / answered
        Indicator(
            "reopened_share",
            _("Открыто повторно"),
            _(
                "Повторные открытия после публикации (низкая оценка или комментарий "
                "заявителя) в период ÷ отвеченные в период."
            ),
            -1,
        ),
        # satisfaction = mean(rating of feedback at ∈ period)
        Indicator(
            "satisfaction",
            _("Средняя оценка"),
            _("Среднее оценок заявителей (1–5), полученных в период."),
            +1,
        ),
        # low_share = |{rating ≤ LOW_SATISFACTION_THRESHOLD}| / |ratings|
        Indicator(
            "low_share",
            _("Доля низких оценок"),
            _("Оценки не выше порога низкой удовлетворённости (по умолчанию 2) ÷ все оценки."),
            -1,
        ),
        # repeated = |{case received in period : repeat_count > 0 or repeats set}|
        Indicator(
            "repeated",
            _("Повторных"),
            _(
                "Поступившие в период сообщения, которые открывались повторно или повторяют "
                "более раннее (Саратов, п. 3.6)."
            ),
            -1,
        ),
        # score = 100 · Σ wᵢ·sᵢ / Σ wᵢ over the defined components (see score_of)
        Indicator(
            "score",
            _("Балл"),
            _(
                "100 × взвешенное среднее: доля в срок; полнота (отвечено ÷ поступило, не "
                "больше 1); 1 − доля возвратов; 1 − доля повторных открытий; (средняя "
                "оценка − 1) ÷ 4. Составляющая без данных не учитывается, веса остальных "
                "пересчитываются. Веса и минимум сообщений задаются в администрировании."
            ),
            +1,
        ),
        Indicator(
            "rank",
            _("Место"),
            _(
                "Место по баллу среди организаций, у которых поступило не меньше минимума "
                "(по умолчанию 2); остальные показаны без места. Изменение — против "
                "предыдущего периода той же длины."
            ),
        ),
    )
}


# ---------------------------------------------------------------------------------------
# Small arithmetic
# ---------------------------------------------------------------------------------------


def _rows(filter: Q | None = None) -> Count:
    """The rows counted (those matching ``filter``): the count of a column every row has
    and every covering index of the analytics holds (the municipality), so PostgreSQL
    counts a period from the index alone — Django's ``Count("*")`` takes no filter, and
    ``Count("id")`` would read each row from the table for its id."""
    return Count("municipality_id", filter=filter)


def share(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest rank: the smallest value with at least ``p`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


# ---------------------------------------------------------------------------------------
# The executor rating
# ---------------------------------------------------------------------------------------


@dataclass
class RatingRow:
    organization: int | None
    name: str
    municipality: int | None = None
    received: int = 0
    answered: int = 0
    answer_due: int = 0
    on_time: int = 0
    overdue: int = 0
    interim: int = 0
    broken_promises: int = 0
    submitted: int = 0
    returned: int = 0
    reopened: int = 0
    repeated: int = 0
    ratings: int = 0  # residents' ratings given
    ratings_sum: int = 0
    ratings_low: int = 0  # at or below ``low_satisfaction_threshold()``
    answer_hours: list[float] = field(default_factory=list)
    first_reply_hours: list[float] = field(default_factory=list)
    #: the answer and first-reply times were read (``_collect_periods(times=…)``): the
    #: rating's own period has them, the history's earlier periods do not
    times: bool = False
    score: float | None = None
    rank: int | None = None
    ranked: bool = False
    previous_rank: int | None = None
    previous_score: float | None = None

    @property
    def on_time_share(self) -> float | None:
        return share(self.on_time, self.on_time + self.overdue)

    @property
    def pending(self) -> int:
        return self.answer_due - self.on_time - self.overdue

    @property
    def answer_hours_median(self) -> float | None:
        return median(self.answer_hours)

    @property
    def answer_hours_p90(self) -> float | None:
        return percentile(self.answer_hours, 0.9)

    @property
    def first_reply_hours_median(self) -> float | None:
        return median(self.first_reply_hours)

    @property
    def returned_share(self) -> float | None:
        return share(self.returned, self.submitted)

    @property
    def reopened_share(self) -> float | None:
        return share(self.reopened, self.answered)

    @property
    def satisfaction(self) -> float | None:
        return self.ratings_sum / self.ratings if self.ratings else None

    @property
    def low_share(self) -> float | None:
        return share(self.ratings_low, self.ratings)

    @property
    def rank_change(self) -> int | None:
        """Places gained against the previous period (positive is better)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def score_change(self) -> float | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score

    def components(self) -> dict[str, float | None]:
        """The score's parts, each in [0, 1] with 1 the best (None: no data)."""
        answered = None if not self.received else min(1.0, self.answered / self.received)
        sat = self.satisfaction
        return {
            "on_time": self.on_time_share,
            "answered": answered,
            "not_returned": None if self.returned_share is None else 1 - self.returned_share,
            "not_reopened": None if self.reopened_share is None else 1 - self.reopened_share,
            "satisfaction": None if sat is None else (sat - 1) / 4,
        }

    def as_dict(self) -> dict:
        return {
            "organization": self.organization,
            "name": self.name,
            "received": self.received,
            "answered": self.answered,
            "answer_due": self.answer_due,
            "on_time": self.on_time,
            "overdue": self.overdue,
            "pending": self.pending,
            "on_time_share": _round(self.on_time_share, 4),
            "answer_hours_median": _round(self.answer_hours_median, 2),
            "answer_hours_p90": _round(self.answer_hours_p90, 2),
            "first_reply_hours_median": _round(self.first_reply_hours_median, 2),
            "interim": self.interim,
            "broken_promises": self.broken_promises,
            "submitted": self.submitted,
            "returned": self.returned,
            "returned_share": _round(self.returned_share, 4),
            "reopened": self.reopened,
            "reopened_share": _round(self.reopened_share, 4),
            "ratings": self.ratings,
            "satisfaction": _round(self.satisfaction, 2),
            "low_share": _round(self.low_share, 4),
            "repeated": self.repeated,
            "score": _round(self.score, 1),
            "rank": self.rank,
            "ranked": self.ranked,
            "previous_rank": self.previous_rank,
            "rank_change": self.rank_change,
            "score_change": _round(self.score_change, 1),
        }


#: the figures of ``RatingRow.as_dict`` that need the times (None without them)
TIME_FIELDS = ("answer_hours_median", "answer_hours_p90", "first_reply_hours_median")


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def score_of(row: RatingRow, weights: dict[str, float]) -> float | None:
    """score = 100 · Σ wᵢ·sᵢ / Σ wᵢ over the components sᵢ that have data."""
    total = weight = 0.0
    for name, value in row.components().items():
        w = weights.get(name, 0.0)
        if value is None or w <= 0:
            continue
        total += w * value
        weight += w
    return None if not weight else 100 * total / weight


def _weights_for(municipalities: Iterable[Municipality]) -> dict[int | None, RatingWeights]:
    ids = [m.pk for m in municipalities]
    rows = RatingWeights.objects.filter(Q(municipality_id__in=ids) | Q(municipality__isnull=True))
    return {w.municipality_id: w for w in rows}


def _weights(table: dict[int | None, RatingWeights], municipality_id) -> tuple[dict, int]:
    w = table.get(municipality_id) or table.get(None)
    if w is None:
        return DEFAULT_WEIGHTS, DEFAULT_MIN_CASES
    return w.as_dict(), w.min_cases


def _collect(scope: Scope, period: Period, orgs: list[Organisation]) -> dict:
    """Every per-organisation count of one period (``_collect_periods`` of one)."""
    return _collect_periods(scope, [period], orgs, times=(0,))[0]


def _zones(scope: Scope) -> dict[str, tuple]:
    """The scope's municipalities by zone: ``zone name → (zone, [municipality ids])``."""
    zones: dict[str, tuple] = {}
    for m in scope.municipalities:
        zones.setdefault(str(m.zone), (m.zone, []))[1].append(m.pk)
    return zones


def _per_period(scope, qs, field_name: str, periods: list[Period], *, values, **counts):
    """``qs`` counted in SQL per period and ``values`` (e.g. the organisation): rows of
    ``(period index, *values, *counts)``. A row's period is the one its ``field``'s local
    date falls in, in its municipality's zone — one statement per zone of the scope (one
    for a municipality), whatever the number of periods or organisations."""
    window = Period(min(p.date_from for p in periods), max(p.date_to for p in periods))
    for zone, mun_ids in _zones(scope).values():
        # The zone's local midnights as instants: each row compared as it is stored, no
        # conversion to a local date per row.
        index = DbCase(
            *(
                When(
                    **{f"{field_name}__gte": start, f"{field_name}__lt": end},
                    then=Value(i),
                )
                for i, (start, end) in enumerate(p.bounds(zone) for p in periods)
            ),
            default=Value(-1),
            output_field=IntegerField(),
        )
        rows = (
            qs.filter(scope.in_period(window, field_name))
            .filter(municipality_id__in=mun_ids)
            .annotate(_period=index)
            .values("_period", *values)
            .annotate(**counts)
            .order_by()
            .values_list("_period", *values, *counts)
        )
        for row in rows:
            if row[0] >= 0:
                yield row


def _collect_periods(
    scope: Scope, periods: list[Period], orgs: list[Organisation], *, times: Iterable[int] = ()
) -> list[dict]:
    """Every per-organisation count of each of ``periods`` (not overlapping), counted in
    the database — received, answers, clocks, submitted answers, feedback — each row in
    the period its local date (its municipality's zone) falls in: five grouped statements
    per zone however many periods, so the rating's change on the previous period and the
    8-period history cost about what one period does.

    The answer and first-reply times (median, 90th percentile: working hours on the
    municipality's calendar) are the one thing not summed: they are read answer by answer,
    and only for the periods of ``times`` (indexes into ``periods``; the rating table's
    period — the history and the previous period need only the score's counts)."""
    cases = scope.cases()
    by_org: list[dict[int | None, RatingRow]] = []
    totals: list[RatingRow] = []
    for _p in periods:
        by_org.append(
            {
                o.pk: RatingRow(organization=o.pk, name=str(o), municipality=o.municipality_id)
                for o in orgs
            }
        )
        totals.append(RatingRow(organization=None, name=str(_("Итого"))))

    def rows_for(i: int, org_id) -> list[RatingRow]:
        row = by_org[i].get(org_id)
        return [totals[i], row] if row is not None else [totals[i]]

    def add(i: int, org_id, **counts) -> None:
        for row in rows_for(i, org_id):
            for name, n in counts.items():
                setattr(row, name, getattr(row, name) + (n or 0))

    own = scope.row_q()  # the scope's rows, by what each row carries of its case
    org = ["organisation_id"]

    # 1. received; repeated (Саратов п. 3.6: «повторно поступившим … в случае представления
    #    заявителем низкой оценки удовлетворенности»)
    repeated = Q(repeat_count__gt=0) | Q(repeats_id__isnull=False)
    for i, org_id, received, rep in _per_period(
        scope, cases, "received_at", periods, values=org,
        received=_rows(), repeated=_rows(filter=repeated),
    ):  # fmt: skip
        add(i, org_id, received=received, repeated=rep)

    # 2. answers published in the period: answered (final; a case once a period), interim
    final, interim = Q(kind=Answer.Kind.FINAL), Q(kind=Answer.Kind.INTERIM)
    published = Answer.objects.filter(own, published_at__isnull=False)
    for i, org_id, answered, n_interim in _per_period(
        scope, published, "published_at", periods, values=org,
        answered=Count("case_id", distinct=True, filter=final),
        interim=_rows(filter=interim),
    ):  # fmt: skip
        add(i, org_id, answered=answered, interim=n_interim)

    # 3. answer and promise clocks due in the period, through deadlines.state
    clocks = (
        Deadline.objects.filter(own, stage__in=[Stage.ANSWER, Stage.PROMISE])
        # Stopped without a breach (case rejected, forwarded): no longer an obligation.
        .exclude(cancelled_at__isnull=False, met_at__isnull=True, breached_at__isnull=True)
    )
    breached = q_was_breached(scope.now)
    answer, promise = Q(stage=Stage.ANSWER), Q(stage=Stage.PROMISE)
    for i, org_id, due, overdue, on_time, broken in _per_period(
        scope, clocks, "due_at", periods, values=org,
        answer_due=_rows(filter=answer),
        overdue=_rows(filter=answer & breached),
        on_time=_rows(filter=answer & ~breached & Q(met_at__isnull=False)),
        broken_promises=_rows(filter=promise & breached),
    ):  # fmt: skip
        add(i, org_id, answer_due=due, overdue=overdue, on_time=on_time, broken_promises=broken)

    # 4. final answers submitted in the period, and which of them were returned
    submitted = Answer.objects.filter(own, kind=Answer.Kind.FINAL)
    for i, org_id, n, returned in _per_period(
        scope, submitted, "created_at", periods, values=org,
        submitted=_rows(), returned=_rows(filter=Q(status=Answer.Status.RETURNED)),
    ):  # fmt: skip
        add(i, org_id, submitted=n, returned=returned)

    # 5. the residents' feedback given in the period: ratings and reopenings
    rated = Q(rating__isnull=False)
    low = rated & Q(rating__lte=low_satisfaction_threshold())
    for i, org_id, reopened, n, total, n_low in _per_period(
        scope, Feedback.objects.filter(own), "at", periods, values=org,
        reopened=_rows(filter=Q(reopened=True)),
        ratings=_rows(filter=rated),
        ratings_sum=Sum("rating", filter=rated),
        ratings_low=_rows(filter=low),
    ):  # fmt: skip
        add(i, org_id, reopened=reopened, ratings=n, ratings_sum=total, ratings_low=n_low)

    # 6. the times, for the periods that show them
    for i in sorted(set(times)):
        for row in [totals[i], *by_org[i].values()]:
            row.times = True
        _collect_times(scope, own, periods[i], lambda org_id, i=i: rows_for(i, org_id))

    return [{"rows": list(by_org[i].values()), "total": totals[i]} for i in range(len(periods))]


def _collect_times(scope: Scope, own: Q, period: Period, rows_for) -> None:
    """Answer time (receipt → the case's first final answer published in the period) and
    first-reply time (receipt → its first published answer of any kind, when that falls
    in the period), in working hours of the municipality's calendar: what each answer
    recorded when it was published (``cases.copies.publication_facts``; None when the
    calendar had no data for a year of it — left out)."""
    in_period = scope.in_period(period, "published_at")
    answer_hours: dict[int | None, list[float]] = defaultdict(list)
    first_hours: dict[int | None, list[float]] = defaultdict(list)
    seen: set[int] = set()
    final = Answer.Kind.FINAL
    # One read of the period's published answers, in the index's own order (a case's
    # first final answer is its first by time; two at the same instant record the same
    # time), from the index alone.
    for case_id, org_id, kind, seconds, first_reply in (
        Answer.objects.filter(own, in_period, published_at__isnull=False)
        .order_by("municipality_id", "published_at")
        .values_list("case_id", "organisation_id", "kind", "working_seconds", "first_reply")
    ):
        first_final = kind == final and case_id not in seen
        if first_final:
            seen.add(case_id)
        if seconds is None:
            continue
        if first_reply:
            first_hours[org_id].append(seconds / 3600)
        if first_final:
            answer_hours[org_id].append(seconds / 3600)

    for org_id, hours in answer_hours.items():
        for row in rows_for(org_id):
            row.answer_hours.extend(hours)
    for org_id, hours in first_hours.items():
        for row in rows_for(org_id):
            row.first_reply_hours.extend(hours)


def _rank(rows: list[RatingRow], weights_table) -> None:
    for row in rows:
        weights, minimum = _weights(weights_table, row.municipality)
        row.score = score_of(row, weights)
        row.ranked = row.received >= minimum and row.score is not None
    ranked = sorted((r for r in rows if r.ranked), key=lambda r: -r.score)
    # Competition ranking: equal scores share a place, the next place skips (1, 2, 2, 4).
    for i, row in enumerate(ranked):
        if i and math.isclose(row.score, ranked[i - 1].score):
            row.rank = ranked[i - 1].rank
        else:
            row.rank = i + 1


@dataclass
class Rating:
    period: Period
    previous: Period
    rows: list[RatingRow]
    total: RatingRow
    ranks_shown: bool

    def as_dict(self) -> dict:
        return {
            "date_from": self.period.date_from.isoformat(),
            "date_to": self.period.date_to.isoformat(),
            "previous_from": self.previous.date_from.isoformat(),
            "previous_to": self.previous.date_to.isoformat(),
            "rows": [r.as_dict() for r in self.rows],
            "total": self.total.as_dict(),
        }


def rating_rows(*, scope: Scope, period: Period) -> Rating:
    """The executor rating of a period with the change against the previous period.

    Ставрополь п. 11 2): «рейтингование ответственных исполнителей по количеству, срокам
    рассмотрения и полноте реагирования по существу». Rows are the organisations of the
    scope, sorted by rank (the unranked after, by name). Cases are counted for the
    organisation they are assigned to now; «Итого» counts every visible case, assigned or
    not. An executor sees only their own row, and no rank: a place is a comparison with
    organisations whose cases they may not see.
    """
    orgs = scope.organisations()
    weights_table = _weights_for(scope.municipalities)
    # The previous period is past: its counts may come from the cache (``_past_counts``).
    [prev] = _past_counts(scope, [period.previous()], orgs)
    [current] = _collect_periods(scope, [period], orgs, times=(0,))
    return _rating_of(scope, period, current, prev, weights_table)


def _rating_of(scope: Scope, period: Period, current: dict, prev: dict, weights_table) -> Rating:
    """The rating of ``period`` from its counts and those of the period before (both of
    ``_collect_periods``; ``prev`` is ranked on copies, so the counts of one period can be
    the current of one rating and the previous of the next)."""
    _rank(current["rows"], weights_table)
    prev_rows = [copy.copy(r) for r in prev["rows"]]
    _rank(prev_rows, weights_table)
    previous_by_org = {r.organization: r for r in prev_rows}
    for row in current["rows"]:
        before = previous_by_org.get(row.organization)
        if before is not None:
            row.previous_rank, row.previous_score = before.rank, before.score
    ranks_shown = not _is_executor(scope.user)
    if not ranks_shown:
        for row in current["rows"]:
            row.rank = row.previous_rank = None
    weights, _m = _weights(
        weights_table, None if len(scope.municipalities) != 1 else scope.municipalities[0].pk
    )
    current["total"].score = score_of(current["total"], weights)
    rows = sorted(
        current["rows"],
        key=lambda r: (r.rank is None, r.rank or 0, r.name),
    )
    return Rating(
        period=period,
        previous=period.previous(),
        rows=rows,
        total=current["total"],
        ranks_shown=ranks_shown,
    )


def _is_executor(user) -> bool:
    return user is not None and user.role == Role.EXECUTOR and not user.is_superuser


# ---------------------------------------------------------------------------------------
# Problems: categories, TOP-5, heat maps, rising
# ---------------------------------------------------------------------------------------


def _problem_of(category_id: int | None, tree: dict) -> int | None:
    """The problem a case counts for: its category at level 2 (a subcategory rolls up to
    its category; a case marked with a sector only stays with the sector)."""
    lineage = Category.lineage_of(category_id, tree)
    if not lineage:
        return None
    # lineage is nearest first: [subcategory, category, sector] or shorter
    return lineage[-2] if len(lineage) >= 2 else lineage[-1]


def _counted(scope: Scope, cases: QuerySet[Case], *fields: str):
    """``(*fields, cases, of them overdue)`` rows: ``cases`` grouped by ``fields`` in the
    database (overdue: ``case_was_breached_condition``, the analytics' «просрочено» of a
    case read on its row)."""
    return (
        cases.values(*fields)
        .annotate(_n=_rows(), _overdue=_rows(filter=case_was_breached_condition(scope.now)))
        .order_by()
        .values_list(*fields, "_n", "_overdue")
    )


def _most_common(counter: Counter, n: int) -> list[tuple[str, int]]:
    """The ``n`` largest, ties by name (the database's grouping has no order of its own)."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass
class Problem:
    category: int
    name: str
    sector: str
    count: int = 0
    previous: int = 0
    overdue: int = 0
    districts: list[tuple[str, int]] = field(default_factory=list)
    addresses: list[tuple[str, int]] = field(default_factory=list)
    executors: list[tuple[str, int]] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)

    @property
    def growth(self) -> int:
        return self.count - self.previous

    @property
    def growth_share(self) -> float | None:
        return share(self.count - self.previous, self.previous)

    @property
    def overdue_share(self) -> float | None:
        return share(self.overdue, self.count)

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "name": self.name,
            "sector": self.sector,
            "count": self.count,
            "previous": self.previous,
            "growth": self.growth,
            "growth_share": _round(self.growth_share, 4),
            "overdue": self.overdue,
            "overdue_share": _round(self.overdue_share, 4),
            "districts": [{"name": n, "count": c} for n, c in self.districts],
            "addresses": [{"address": n, "count": c} for n, c in self.addresses],
            "executors": [{"name": n, "count": c} for n, c in self.executors],
            "samples": self.samples,
        }


def top_problems(
    *, scope: Scope, period: Period, limit: int = 5, with_samples: bool = True
) -> list[Problem]:
    """Саратов п. 3.6 в): «о ТОП-5 проблемных вопросах» — the categories with the most cases
    received in the period, with the growth against the previous period of equal length,
    the overdue share (cases with an obligation clock ever breached), the main districts,
    addresses and executors, and two sample texts. Ties by name."""
    tree = Category.tree()
    cases = scope.cases()
    current = cases.filter(scope.in_period(period, "received_at"))
    counts: dict[int, Problem] = {}
    members: dict[int, list[int]] = defaultdict(list)  # problem → its categories seen
    for cat, n, overdue in _counted(scope, current, "category_id"):
        problem = _problem_of(cat, tree)
        if problem is None:
            continue
        p = counts.get(problem)
        if p is None:
            sector = Category.lineage_of(problem, tree)[-1]
            p = counts[problem] = Problem(
                category=problem, name=tree[problem][1], sector=tree[sector][1]
            )
        p.count += n
        p.overdue += overdue
        members[problem].append(cat)
    for cat, n in (
        cases.filter(scope.in_period(period.previous(), "received_at"))
        .values("category_id")
        .annotate(n=_rows())
        .order_by()
        .values_list("category_id", "n")
    ):
        problem = _problem_of(cat, tree)
        if problem in counts:
            counts[problem].previous += n
    top = sorted(counts.values(), key=lambda p: (-p.count, p.name))[:limit]
    problem_of = {cat: p.category for p in top for cat in members[p.category]}
    mine = current.filter(category_id__in=list(problem_of))
    per: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for key, field_names, exclude in (
        ("districts", ["district__name"], Q(district__isnull=True)),
        ("addresses", ["address"], Q(address="")),
        ("executors", ["organisation__short_name", "organisation__name"], Q(organisation=None)),
    ):
        for cat, *label, n in (
            mine.exclude(exclude)
            .values("category_id", *field_names)
            .annotate(n=_rows())
            .order_by()
            .values_list("category_id", *field_names, "n")
        ):
            per[problem_of[cat]][key][next((x for x in label if x), "")] += n
    for p in top:
        for key in ("districts", "addresses", "executors"):
            setattr(p, key, _most_common(per[p.category][key], 3))
        if with_samples:
            texts = (
                mine.filter(category_id__in=members[p.category])
                .order_by("-received_at", "-pk")
                .values_list("text", flat=True)[:2]
            )
            p.samples = [text[:300] for text in texts]
    return top


def sectors() -> list[Category]:
    return list(Category.objects.filter(level=CategoryLevel.SECTOR, is_active=True))


@dataclass
class HeatCell:
    count: int = 0
    overdue: int = 0
    ratings: int = 0  # cases with a satisfaction
    ratings_sum: int = 0

    @property
    def overdue_share(self) -> float | None:
        return share(self.overdue, self.count)

    @property
    def satisfaction(self) -> float | None:
        return self.ratings_sum / self.ratings if self.ratings else None

    def value(self, metric: str) -> float | None:
        return {
            "count": self.count,
            "overdue": self.overdue_share,
            "satisfaction": self.satisfaction,
        }[metric]


@dataclass
class HeatMap:
    rows: list[tuple[int | None, str]]
    columns: list[tuple[int, str]]
    cells: dict[tuple[int | None, int], HeatCell]

    def cell(self, row, column) -> HeatCell:
        return self.cells.get((row, column)) or HeatCell()


def heatmap_district_category(*, scope: Scope, period: Period) -> HeatMap:
    """District × category (level 2) of the cases received in the period: the count, the
    overdue share (an obligation clock ever breached) and the mean satisfaction (the
    latest rating of the case). Cases without a category are left out; without a district
    they form the row «Район не указан» (key None)."""
    tree = Category.tree()
    current = scope.cases().filter(scope.in_period(period, "received_at"))
    cells: dict[tuple[int | None, int], HeatCell] = {}
    used_rows: set[int | None] = set()
    rated = Q(satisfaction__isnull=False)
    for cat, district_id, n, overdue, rated_n, rated_sum in (
        current.values("category_id", "district_id")
        .annotate(
            n=_rows(),
            overdue=_rows(filter=case_was_breached_condition(scope.now)),
            rated_n=_rows(filter=rated),
            rated_sum=Sum("satisfaction", filter=rated),
        )
        .order_by()
        .values_list("category_id", "district_id", "n", "overdue", "rated_n", "rated_sum")
    ):
        problem = _problem_of(cat, tree)
        if problem is None:
            continue
        cell = cells.setdefault((district_id, problem), HeatCell())
        cell.count += n
        cell.overdue += overdue
        cell.ratings += rated_n
        cell.ratings_sum += rated_sum or 0
        used_rows.add(district_id)
    names = dict(
        District.objects.filter(pk__in=[d for d in used_rows if d]).values_list("pk", "name")
    )
    rows = sorted(((d, names.get(d, "")) for d in used_rows if d), key=lambda r: r[1])
    if None in used_rows:
        rows.append((None, str(_("Район не указан"))))
    columns = sorted({(c, tree[c][1]) for _d, c in cells}, key=lambda c: c[1])
    return HeatMap(rows=rows, columns=columns, cells=cells)


WEEKDAYS = (_("Пн"), _("Вт"), _("Ср"), _("Чт"), _("Пт"), _("Сб"), _("Вс"))


def _arrivals_by_weekday_hour(scope: Scope, period: Period):
    """The period's cases of each zone of the scope, annotated with the local weekday of
    their arrival (``_weekday``, 0 = Monday) and hour (``_hour``): one definition for the
    map and the cases behind a cell, counted in the database."""
    for zone, mun_ids in _zones(scope).values():
        yield (
            scope.cases()
            .filter(scope.in_period(period, "received_at"), municipality_id__in=mun_ids)
            .annotate(
                _weekday=ExtractIsoWeekDay("received_at", tzinfo=zone) - 1,
                _hour=ExtractHour("received_at", tzinfo=zone),
            )
        )


def heatmap_weekday_hour(*, scope: Scope, period: Period) -> list[list[int]]:
    """Arrivals by weekday (0 = Monday) × hour, both in the municipality's local time."""
    grid = [[0] * 24 for _ in range(7)]
    for qs in _arrivals_by_weekday_hour(scope, period):
        for weekday, hour, n in (
            qs.values("_weekday", "_hour")
            .annotate(n=_rows())
            .order_by()
            .values_list("_weekday", "_hour", "n")
        ):
            grid[weekday][hour] += n
    return grid


def cases_at_weekday_hour(*, scope: Scope, period: Period, weekday: int, hour: int) -> list[Case]:
    """The cases behind one weekday × hour cell (same definition as the map)."""
    ids: list[int] = []
    for qs in _arrivals_by_weekday_hour(scope, period):
        ids += qs.filter(_weekday=weekday, _hour=hour).values_list("pk", flat=True)
    return list(
        Case.objects.filter(pk__in=ids)
        .select_related("municipality", "category", "organisation")
        .order_by("-received_at", "-pk")
    )


#: the rule of «Растущие проблемы», written on the page
RISING_WEEKS = 8
RISING_P = 0.01
RISING_MIN = 5
RISING_RULE = _(
    "Категория растёт, если за последние 7 дней поступило x ≥ 5 сообщений и вероятность "
    "получить не меньше x при пуассоновском потоке со средним λ за 8 предыдущих недель "
    "меньше 0,01: P(X ≥ x | λ) < 0,01."
)


def poisson_tail(x: int, lam: float) -> float:
    """P(X ≥ x) for X ~ Poisson(λ)."""
    if x <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    term = math.exp(-lam)
    below = term
    for k in range(1, x):
        term *= lam / k
        below += term
    return max(0.0, 1.0 - below)


@dataclass
class Rising:
    category: int
    name: str
    sector: str
    weeks: list[int]
    count: int
    baseline: float
    p_value: float
    rising: bool

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "name": self.name,
            "sector": self.sector,
            "weeks": self.weeks,
            "count": self.count,
            "baseline": round(self.baseline, 3),
            "p_value": self.p_value,
            "rising": self.rising,
        }


def rising_problems(*, scope: Scope, date_to: date, only_rising: bool = True) -> list[Rising]:
    """Ставрополь п. 9 3): «выявляет причины и факторы роста количества обращений».

    The last week is the 7 local days ending ``date_to``; the baseline the 8 weeks before
    it. λ = mean weekly count of the baseline, x = the last week's count; a category rises
    when x ≥ RISING_MIN and P(X ≥ x | λ) < RISING_P. Sorted by p, then by count."""
    tree = Category.tree()
    first = date_to - timedelta(days=7 * (RISING_WEEKS + 1) - 1)
    periods = [
        Period(first + timedelta(days=7 * k), first + timedelta(days=7 * k + 6))
        for k in range(RISING_WEEKS + 1)
    ]
    weeks: dict[int, list[int]] = defaultdict(lambda: [0] * (RISING_WEEKS + 1))
    for index, cat, n in _per_period(
        scope, scope.cases(), "received_at", periods, values=["category_id"], n=_rows()
    ):
        problem = _problem_of(cat, tree)
        if problem is not None:
            weeks[problem][index] += n
    found = []
    for problem, counts in weeks.items():
        x, lam = counts[-1], sum(counts[:-1]) / RISING_WEEKS
        p = poisson_tail(x, lam)
        is_rising = x >= RISING_MIN and p < RISING_P
        if only_rising and not is_rising:
            continue
        sector = Category.lineage_of(problem, tree)[-1]
        found.append(
            Rising(problem, tree[problem][1], tree[sector][1], counts, x, lam, p, is_rising)
        )
    return sorted(found, key=lambda r: (r.p_value, -r.count, r.name))


# ---------------------------------------------------------------------------------------
# The weekly note's own tables (Ставрополь п. 11 1); Саратов п. 3.6 а))
# ---------------------------------------------------------------------------------------


@dataclass
class Totals:
    by_channel: list[tuple[str, int, int]]
    by_kind: list[tuple[str, int, int]]
    total: int
    previous: int


def totals_by_channel_and_kind(*, scope: Scope, period: Period) -> Totals:
    """Cases received in the period and in the previous one, by channel and by kind:
    (label, count, previous count), largest first."""
    from cases.choices import CaseKind, Channel

    def counted(p: Period) -> Counter:
        return Counter(
            {
                (channel, kind): n
                for channel, kind, n in scope.cases()
                .filter(scope.in_period(p, "received_at"))
                .values("channel", "kind")
                .annotate(n=_rows())
                .order_by()
                .values_list("channel", "kind", "n")
            }
        )

    cur, prev = counted(period), counted(period.previous())

    def by(index: int, labels) -> list[tuple[str, int, int]]:
        now, before = Counter(), Counter()
        for key, n in cur.items():
            now[key[index]] += n
        for key, n in prev.items():
            before[key[index]] += n
        keys = sorted(set(now) | set(before), key=lambda k: (-now[k], str(k)))
        return [(str(labels.get(k, k)), now[k], before[k]) for k in keys]

    return Totals(
        by_channel=by(0, dict(Channel.choices)),
        by_kind=by(1, dict(CaseKind.choices)),
        total=sum(cur.values()),
        previous=sum(prev.values()),
    )


def overdue_cases(*, scope: Scope, period: Period) -> list[Case]:
    """Cases with an obligation clock due in the period and breached (q_was_breached),
    with their location, executor and problem — Саратов п. 3.6 а): «просроченных
    сообщений (с указанием местоположения, исполнителей и проблематики вопроса)»."""
    clocks = Deadline.objects.filter(scope.row_q(), stage__in=OBLIGATION_STAGES).filter(
        scope.in_period(period, "due_at"), q_was_breached(scope.now)
    )
    return list(
        scope.cases()
        .filter(pk__in=clocks.values("case_id"))
        .select_related("municipality", "district", "category", "organisation")
        .order_by("received_at", "pk")
    )


def repeated_cases(*, scope: Scope, period: Period) -> list[Case]:
    """Cases received in the period that were reopened or repeat an earlier case."""
    return list(
        scope.cases()
        .filter(scope.in_period(period, "received_at"))
        .filter(Q(repeat_count__gt=0) | Q(repeats__isnull=False))
        .select_related("municipality", "district", "category", "organisation")
        .order_by("received_at", "pk")
    )


# ---------------------------------------------------------------------------------------
# The quarter: key problems per sector; the summary (Сводка); histories (sparklines)
# ---------------------------------------------------------------------------------------

#: the names a catch-all category goes by («Прочие по направлению», «Иные вопросы»)
OTHER_PREFIXES = ("проч", "иные", "иное", "другое", "другие")
KEY_PROBLEMS_PER_SECTOR = 3


def is_other_category(name: str) -> bool:
    return name.strip().lower().startswith(OTHER_PREFIXES)


@dataclass
class KeyProblem:
    category: int
    name: str
    count: int = 0
    previous: int = 0
    overdue: int = 0
    is_other: bool = False
    #: a catch-all's decomposition: (subcategory or district, count), largest first
    parts: list[tuple[str, int]] = field(default_factory=list)
    parts_by: str = ""

    @property
    def growth(self) -> int:
        return self.count - self.previous


@dataclass
class SectorProblems:
    sector: int
    name: str
    total: int
    problems: list[KeyProblem]


def key_problems_by_sector(
    *, scope: Scope, period: Period, per_sector: int = KEY_PROBLEMS_PER_SECTOR
) -> list[SectorProblems]:
    """Саратов п. 3.6: «ежеквартально определяют не менее трех категорий региональных
    проблем по отраслевой тематике (наиболее значимых)» — per sector, its ``per_sector``
    categories (level 2) with the most cases received in the period, with the previous
    period and the overdue count.

    Саратов п. 5.4: «В случае, если … в приоритет системы попадает категория „Прочие по
    направлению“, производится декомпозиция конкретных проблем и определяются наиболее
    значимые из них» — a catch-all category (``is_other_category``) among them is
    decomposed into its subcategories, or, when its cases carry none, by district.
    Sectors by their total, largest first."""
    tree = Category.tree()
    current = scope.cases().filter(scope.in_period(period, "received_at"))
    problems: dict[int, KeyProblem] = {}
    totals: Counter = Counter()
    parts: dict[int, Counter] = defaultdict(Counter)
    districts: dict[int, Counter] = defaultdict(Counter)
    for cat, district, n, overdue in _counted(scope, current, "category_id", "district__name"):
        lineage = Category.lineage_of(cat, tree)
        if len(lineage) < 2:
            continue  # no category, or a sector only: not a problem of its own
        problem, sector = lineage[-2], lineage[-1]
        p = problems.get(problem)
        if p is None:
            name = tree[problem][1]
            p = problems[problem] = KeyProblem(problem, name, is_other=is_other_category(name))
        p.count += n
        p.overdue += overdue
        totals[sector] += n
        if len(lineage) == 3:
            parts[problem][tree[lineage[0]][1]] += n
        districts[problem][district or str(_("Район не указан"))] += n
    for cat, n in (
        scope.cases()
        .filter(scope.in_period(period.previous(), "received_at"))
        .values("category_id")
        .annotate(n=_rows())
        .order_by()
        .values_list("category_id", "n")
    ):
        lineage = Category.lineage_of(cat, tree)
        if len(lineage) >= 2 and lineage[-2] in problems:
            problems[lineage[-2]].previous += n
    by_sector: dict[int, list[KeyProblem]] = defaultdict(list)
    for p in problems.values():
        by_sector[Category.lineage_of(p.category, tree)[-1]].append(p)
    result = []
    for sector, items in by_sector.items():
        top = sorted(items, key=lambda p: (-p.count, p.name))[:per_sector]
        for p in top:
            if p.is_other:
                if parts[p.category]:
                    p.parts, p.parts_by = _most_common(parts[p.category], 5), "subcategory"
                else:
                    p.parts, p.parts_by = _most_common(districts[p.category], 5), "district"
        result.append(SectorProblems(sector, tree[sector][1], totals[sector], top))
    return sorted(result, key=lambda s: (-s.total, s.name))


def periods_back(period: Period, n: int) -> list[Period]:
    """``n`` periods of equal length ending with ``period``, oldest first."""
    periods = [period]
    while len(periods) < n:
        periods.append(periods[-1].previous())
    return periods[::-1]


HISTORY_PERIODS = 8


def rating_history(
    *, scope: Scope, period: Period, n: int = HISTORY_PERIODS, last: Rating | None = None
) -> tuple[list[Period], dict[int | None, list]]:
    """The rating of the last ``n`` periods (``period`` the last): ``organisation id →
    [RatingRow or None per period]``, key None for «Итого». The sparklines of the rating
    table and the trends of the summary read it; every figure is ``rating_rows``'.

    The periods before the last are past: their counts come from ``_past_counts`` (kept
    ``settings.ANALYTICS_HISTORY_CACHE_SECONDS``); the last is counted now, or is ``last``,
    the rating of ``period`` the caller already has."""
    periods = periods_back(period, n)
    history: dict[int | None, list] = defaultdict(lambda: [None] * n)
    orgs = scope.organisations()
    weights_table = _weights_for(scope.municipalities)
    # Each earlier period with the one before it (its change); the first's own previous too.
    past = _past_counts(scope, [periods[0].previous(), *periods[:-1]], orgs)
    ratings = [
        _rating_of(scope, p, past[i + 1], past[i], weights_table)
        for i, p in enumerate(periods[:-1])
    ]
    if last is None:
        current = _collect_periods(scope, [periods[-1]], orgs, times=(0,))[0]
        last = _rating_of(scope, periods[-1], current, past[-1], weights_table)
    ratings.append(last)
    for i, rating in enumerate(ratings):
        for row in rating.rows:
            history[row.organization][i] = row
        history[None][i] = rating.total
    return periods, dict(history)


def _past_counts(scope: Scope, periods: list[Period], orgs: list[Organisation]) -> list[dict]:
    """``_collect_periods`` of past periods, each kept in the cache for a few minutes per
    scope (the periods missing from it are counted together, in one set of statements).

    A past period's counts hardly move (every clock due in it is met or overdue by now);
    what can move them — a case reassigned to another organisation, feedback given late —
    shows within ``ANALYTICS_HISTORY_CACHE_SECONDS`` (600 by default; 0 switches the cache
    off). The key is what the figures are made of: the user's visibility condition
    (``visibility_q``), the municipalities, the sector, the organisations and the period.
    The rating's previous period and the history's periods share the entries."""
    ttl = settings.ANALYTICS_HISTORY_CACHE_SECONDS
    if ttl <= 0:
        return _collect_periods(scope, periods, orgs)
    seen = "all" if scope.user is None else repr(Case.objects.visibility_q(scope.user))
    base = "|".join(
        (
            seen,
            ",".join(str(m.pk) for m in scope.municipalities),
            str(getattr(scope.sector, "pk", "")),
            ",".join(str(o.pk) for o in orgs),
        )
    )
    keys = [
        "analytics:past-counts:v1:"
        + hashlib.sha256(f"{base}|{p.date_from}:{p.date_to}".encode()).hexdigest()
        for p in periods
    ]
    found = cache.get_many(keys)
    missing = [i for i, key in enumerate(keys) if key not in found]
    if missing:
        counted = _collect_periods(scope, [periods[i] for i in missing], orgs)
        fresh = {keys[i]: counts for i, counts in zip(missing, counted, strict=True)}
        cache.set_many(fresh, ttl)
        found.update(fresh)
    return [found[key] for key in keys]


def channel_history(*, scope: Scope, periods: list[Period]) -> dict[str, list[int]]:
    """Cases received per channel in each of ``periods`` (label → counts), counted in the
    database (one statement per zone)."""
    from cases.choices import Channel

    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(periods))
    labels = dict(Channel.choices)
    for i, channel, n in _per_period(
        scope, scope.cases(), "received_at", periods, values=["channel"], n=_rows()
    ):
        series[str(labels.get(channel, channel))][i] += n
    return dict(sorted(series.items(), key=lambda kv: -sum(kv[1])))


def overdue_now(*, scope: Scope, limit: int = 50) -> tuple[int, list[Case]]:
    """What is overdue now: visible cases with an obligation clock past due and still
    running (``deadlines.selectors.case_overdue_condition`` — the list's «Просрочено»),
    the count and the oldest ``limit`` of them."""
    from deadlines.selectors import case_overdue_condition

    qs = scope.cases().filter(case_overdue_condition(scope.now))
    return qs.count(), list(
        qs.select_related("municipality", "category", "organisation", "district").order_by(
            "received_at", "pk"
        )[:limit]
    )
