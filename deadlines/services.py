"""Writes of clocks, rules and calendars (STYLE §6.2). The workflow calls these.

Every service is keyword-only and runs inside the caller's transaction
(``@transaction.atomic`` nests as a savepoint). ``deadlines`` never imports ``cases``
(DESIGN §7): the case is whatever object the workflow passes, read through its fields.

Clock lifecycle: ``deadline_start`` → (``deadlines_sweep`` warns, breaches, escalates) →
``deadline_meet`` or ``deadline_cancel``. A breached clock still runs and can be met late.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deadlines.engine import CalendarDataMissing, Unit, compute_due, working_seconds_between
from mcu.choices import Role
from mcu.models import User
from mcu.notifications import notify

from . import defaults
from .calendar_import import CalendarDiff, ImportedDay, calendar_diff
from .calendars import calendar_for, calendars_invalidate, national_calendar
from .choices import CalendarDayKind, PolicyUnit
from .models import (
    CalendarDay,
    Deadline,
    DeadlinePolicy,
    DeadlineRule,
    WorkInterval,
    WorkSchedule,
)
from .selectors import deadline_rule_for, deadline_rules_active, deadline_running
from .sweep import SweepResult, deadlines_sweep

__all__ = [
    "SweepResult",
    "calendar_changed",
    "deadline_cancel",
    "deadline_defaults_load",
    "deadline_meet",
    "deadline_start",
    "deadlines_recompute",
    "deadlines_recompute_all",
    "deadlines_recompute_for_municipality",
    "deadlines_recompute_for_policy",
    "deadlines_recompute_for_rule",
    "deadlines_sweep",
    "production_calendar_expiry_warn",
    "production_calendar_import",
    "production_calendar_load",
]

logger = logging.getLogger(__name__)

RECOMPUTE_BATCH = 2000


def _check_aware(value: datetime | None, name: str) -> None:
    if value is not None and timezone.is_naive(value):
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")


def clock_times(
    *,
    policy: DeadlinePolicy,
    started_at: datetime,
    calendar,
    due_at: datetime | None = None,
) -> dict[str, datetime | None]:
    """due_at, warn_at and the escalation times of a clock of ``policy`` from ``started_at``.

    Working units are measured on the municipality's calendar, also for the warning (a
    share of the *working* time); calendar units and explicit dates in plain time.
    """
    if due_at is None:
        if policy.unit == PolicyUnit.EXPLICIT:
            raise ValueError(f"policy {policy.code}: the due time must be given (due_at)")
        due_at = compute_due(started_at, policy.amount, Unit(policy.unit), calendar)
    warn_at = None
    if policy.warn_share is not None and due_at > started_at:
        share = float(policy.warn_share)
        if policy.is_working_time:
            seconds = working_seconds_between(started_at, due_at, calendar)
            warn_at = compute_due(
                started_at, int(seconds * share) // 60, Unit.WORKING_MINUTES, calendar
            )
        else:
            warn_at = started_at + (due_at - started_at) * share
    escalate_1_at = escalate_2_at = None
    if policy.notify and policy.escalation_1_delay is not None:
        escalate_1_at = due_at + timedelta(minutes=policy.escalation_1_delay)
        if policy.escalation_2_delay is not None:
            escalate_2_at = escalate_1_at + timedelta(minutes=policy.escalation_2_delay)
    return {
        "due_at": due_at,
        "warn_at": warn_at,
        "escalate_1_at": escalate_1_at,
        "escalate_2_at": escalate_2_at,
    }


@transaction.atomic
def deadline_start(
    *,
    case,
    stage: str,
    started_at: datetime | None = None,
    due_at: datetime | None = None,
) -> Deadline | None:
    """Start the clock of ``stage`` for ``case``; return it, or None if no rule applies.

    The policy comes from the most specific active DeadlineRule; due and warning times are
    computed on the case municipality's calendar. ``due_at`` is the explicit due time of a
    policy with unit «explicit» (the ``promise`` stage: the date promised in an interim
    answer); given for another policy it overrides the computed term. Starting a stage
    that already runs is a no-op that returns the running clock (also when two requests
    race: the partial unique constraint lets one insert win).

    Raises ``CalendarDataMissing`` when the term needs a year without production-calendar
    data, and ``ValueError`` for an explicit policy without ``due_at`` or naive datetimes.
    """
    _check_aware(started_at, "started_at")
    _check_aware(due_at, "due_at")
    running = deadline_running(case=case, stage=stage)
    if running is not None:
        return running
    rule = deadline_rule_for(case=case, stage=stage)
    if rule is None:
        return None
    started_at = started_at or timezone.now()
    times = clock_times(
        policy=rule.policy,
        started_at=started_at,
        calendar=calendar_for(case.municipality),
        due_at=due_at,
    )
    deadline = Deadline(case=case, stage=stage, policy=rule.policy, started_at=started_at, **times)
    try:
        with transaction.atomic():
            deadline.save()
    except IntegrityError:
        # Someone else started the same stage in between: theirs is the running clock.
        return Deadline.objects.running().get(case=case, stage=stage)
    return deadline


@transaction.atomic
def deadline_meet(*, case, stage: str, at: datetime | None = None) -> int:
    """Mark the running clocks of ``stage`` met; return how many.

    A breached clock can still be met: it keeps ``breached_at`` and shows «выполнено с
    опозданием».
    """
    _check_aware(at, "at")
    return (
        Deadline.objects.running()
        .filter(case=case, stage=stage)
        .update(met_at=at or timezone.now())
    )


@transaction.atomic
def deadline_cancel(*, case, stage: str | None = None, at: datetime | None = None) -> int:
    """Stop running clocks without meeting them (all stages if ``stage`` is None).

    For rejection, closure, reassignment. Returns how many were stopped.
    """
    _check_aware(at, "at")
    qs = Deadline.objects.running().filter(case=case)
    if stage is not None:
        qs = qs.filter(stage=stage)
    return qs.update(cancelled_at=at or timezone.now())


# ---------------------------------------------------------------------------------------
# Recomputation: fast-track toggled, a policy or rule edited, a calendar edited
# ---------------------------------------------------------------------------------------

_RECOMPUTED_FIELDS = ["policy", "due_at", "warn_at", "warned_at", "escalate_1_at", "escalate_2_at"]


def _recompute(qs: QuerySet[Deadline], *, now: datetime | None = None) -> int:
    """Recompute the open clocks of ``qs`` in bounded batches; return how many changed.

    Only open clocks (not met, not breached, not cancelled) move: history stays. Each
    clock keeps its ``started_at`` and gets the policy the rules give *now* (fast-track
    on: incident.answer 480 wm → incident.fast_track 240 cm, and back).
    """
    now = now or timezone.now()
    rules = deadline_rules_active()
    category_memo: dict = {}
    changed = 0
    last_pk = 0
    base = qs.open().select_related("policy", "case__municipality").order_by("pk")
    while True:
        batch = list(base.filter(pk__gt=last_pk)[:RECOMPUTE_BATCH])
        if not batch:
            break
        last_pk = batch[-1].pk
        updates = []
        for clock in batch:
            case = clock.case
            rule = deadline_rule_for(
                case=case, stage=clock.stage, rules=rules, category_memo=category_memo
            )
            # No rule any more (switched off): the clock keeps the policy it started with.
            policy = rule.policy if rule is not None else clock.policy
            explicit = policy.unit == PolicyUnit.EXPLICIT or (
                clock.policy.unit == PolicyUnit.EXPLICIT
            )
            try:
                times = clock_times(
                    policy=policy,
                    started_at=clock.started_at,
                    calendar=calendar_for(case.municipality),
                    due_at=clock.due_at if explicit else None,
                )
            except CalendarDataMissing as exc:
                # One clock in a year without data must not block every other one.
                logger.warning("deadline %s not recomputed: %s", clock.pk, exc)
                continue
            if times["warn_at"] is None or times["warn_at"] > now:
                times["warned_at"] = None  # the warning moved into the future: warn again
            else:
                times["warned_at"] = clock.warned_at
            new = {"policy": policy, **times}
            if any(getattr(clock, f) != v for f, v in new.items()):
                for field, value in new.items():
                    setattr(clock, field, value)
                updates.append(clock)
        Deadline.objects.bulk_update(updates, _RECOMPUTED_FIELDS)
        changed += len(updates)
    return changed


@transaction.atomic
def deadlines_recompute(*, case, now: datetime | None = None) -> int:
    """Recompute the case's open clocks (after fast-track or category changed)."""
    return _recompute(Deadline.objects.filter(case=case), now=now)


@transaction.atomic
def deadlines_recompute_for_municipality(*, municipality, now: datetime | None = None) -> int:
    """After the municipality's calendar, schedule or zone changed."""
    return _recompute(Deadline.objects.filter(case__municipality=municipality), now=now)


@transaction.atomic
def deadlines_recompute_for_policy(*, policy: DeadlinePolicy, now: datetime | None = None) -> int:
    """After a policy's amount, unit, warning share or delays changed."""
    return _recompute(Deadline.objects.filter(policy=policy), now=now)


@transaction.atomic
def deadlines_recompute_for_rule(*, rule: DeadlineRule, now: datetime | None = None) -> int:
    """After a rule was added, edited or switched: the open clocks of its stage it may
    concern (narrowed by the rule's kind and municipality; its old values are passed by
    the admin as a second call when they changed)."""
    qs = Deadline.objects.filter(stage=rule.stage)
    if rule.kind:
        qs = qs.filter(case__kind=rule.kind)
    if rule.municipality_id:
        qs = qs.filter(case__municipality_id=rule.municipality_id)
    return _recompute(qs, now=now)


@transaction.atomic
def deadlines_recompute_all(*, now: datetime | None = None) -> int:
    """After the national production calendar or the default schedule changed."""
    return _recompute(Deadline.objects.all(), now=now)


def calendar_changed(*, municipality=None, now: datetime | None = None) -> int:
    """Call after any calendar edit: drops cached calendars, recomputes the open clocks
    of that municipality (or of all, for national data and the default schedule)."""
    calendars_invalidate()
    if municipality is None:
        return deadlines_recompute_all(now=now)
    return deadlines_recompute_for_municipality(municipality=municipality, now=now)


# ---------------------------------------------------------------------------------------
# Defaults and the production calendar
# ---------------------------------------------------------------------------------------


@transaction.atomic
def deadline_defaults_load() -> int:
    """Create the shipped default policies, rules and schedule that are missing.

    Idempotent; never overwrites an edited row. Returns how many rows were created.
    """
    created = defaults.load_defaults(
        DeadlinePolicy=DeadlinePolicy,
        DeadlineRule=DeadlineRule,
        WorkSchedule=WorkSchedule,
        WorkInterval=WorkInterval,
    )
    if created:
        calendars_invalidate()
    return created


@transaction.atomic
def production_calendar_load(*, years: Iterable[int] | None = None) -> int:
    """Load the shipped production calendar's dates that the table does not have yet.

    Idempotent; dates already in the table (maybe corrected in the admin) are kept.
    Returns how many rows were added.
    """
    added = defaults.load_calendar(CalendarDay, list(years) if years is not None else None)
    if added:
        calendars_invalidate()
    return added


@transaction.atomic
def production_calendar_import(
    *, year: int, days: Iterable[ImportedDay], now: datetime | None = None
) -> CalendarDiff:
    """Replace the production calendar rows of ``year`` with ``days``; return the diff.

    ``days`` come validated from ``deadlines.calendar_import`` (the ``import_calendar``
    command): every date of the year that differs from the 5-day week. Atomic: the old
    rows are deleted, the new ones written and the open clocks recomputed on the new
    calendar (``calendar_changed``), or nothing happens. Rows edited in the admin for that
    year are replaced too: the official file wins.
    """
    days = list(days)
    seen: set = set()
    for day in days:
        if day.date.year != year:
            raise ValueError(f"{day.date} is not in {year}")
        if day.date in seen:
            raise ValueError(f"{day.date} is given twice")
        if day.kind not in CalendarDayKind.values:
            raise ValueError(f"{day.date}: unknown kind {day.kind!r}")
        seen.add(day.date)
    diff = calendar_diff(year=year, days=days)
    CalendarDay.objects.filter(year=year).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=day.date, year=year, kind=day.kind, note=day.note[:300]) for day in days
    )
    diff.recomputed = calendar_changed(municipality=None, now=now)
    logger.info(
        "production calendar %s imported: +%s -%s ~%s, %s clocks recomputed",
        year,
        len(diff.added),
        len(diff.removed),
        len(diff.changed),
        diff.recomputed,
    )
    return diff


#: How long before the loaded calendar ends the heads are told to load the next year.
CALENDAR_EXPIRY_WARN_DAYS = 90


def production_calendar_covered_until(*, today: date) -> date:
    """The last date of the calendar years that follow each other from ``today``'s year.

    With 2025–2027 loaded: 31.12.2027. A year missing in between ends the coverage there
    (terms cannot be computed across it); a calendar that does not cover today's year at
    all gives 31 December of the year before.
    """
    years = set(national_calendar())
    year = today.year
    while year in years:
        year += 1
    return date(year - 1, 12, 31)


def production_calendar_expiry_warn(*, now: datetime | None = None) -> int:
    """Warn the heads of the centres when the calendar ends within 90 days; once a year.

    From ``covered_until - 90 days`` on (2 October of the last covered year) every active
    user with role «руководитель МЦУ» gets one notice; its key (event, the missing year,
    recipient) makes the daily task send nothing twice. Returns how many notices were new.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    covered_until = production_calendar_covered_until(today=today)
    if today < covered_until - timedelta(days=CALENDAR_EXPIRY_WARN_DAYS):
        return 0
    next_year = covered_until.year + 1
    heads = User.objects.filter(role=Role.HEAD, is_active=True)
    return notify(
        recipients=heads,
        event="calendar.expiring",
        subject=next_year,
        title=str(
            _(
                "Производственный календарь загружен только до %(until)s: загрузите "
                "календарь на %(year)s год"
            )
            % {"until": f"{covered_until:%d.%m.%Y}", "year": next_year}
        ),
        body=str(
            _(
                "Без него сроки с 1 января %(year)s года не рассчитываются. Загрузите "
                "официальный календарь (XML или JSON): manage.py import_calendar ФАЙЛ "
                "--apply, или внесите дни в разделе «Сроки → Производственный календарь»."
            )
            % {"year": next_year}
        ),
        url=reverse("admin:deadlines_calendarday_changelist"),
    )
