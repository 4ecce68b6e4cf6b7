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
from django.db.models import Case as DbCase
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
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
from .choices import OBLIGATION_STAGES, CalendarDayKind, PolicyUnit
from .models import (
    CalendarDay,
    Deadline,
    DeadlinePolicy,
    DeadlineRule,
    MunicipalCalendarException,
    RecomputeRequest,
    WorkInterval,
    WorkSchedule,
)
from .selectors import (
    deadline_rule_for,
    deadline_rules_active,
    deadline_rules_forget,
    deadline_running,
)
from .state import q_breach_on_record
from .sweep import SweepResult, deadlines_sweep

__all__ = [
    "SweepResult",
    "calendar_changed",
    "cases_breach_marks_refresh_all",
    "cases_next_due_refresh",
    "cases_next_due_refresh_all",
    "deadline_cancel",
    "deadline_defaults_load",
    "deadline_extend",
    "deadline_meet",
    "deadline_start",
    "deadlines_recompute",
    "deadlines_recompute_all",
    "deadlines_recompute_for_municipality",
    "deadlines_recompute_for_policy",
    "deadlines_recompute_for_rule",
    "deadlines_sweep",
    "next_due_of",
    "production_calendar_expiry_warn",
    "production_calendar_import",
    "production_calendar_load",
]

logger = logging.getLogger(__name__)

RECOMPUTE_BATCH = 2000
NEXT_DUE_BATCH = 1000


def _next_due():
    """The earliest due time of the case's (``OuterRef("pk")``) running obligation clocks."""
    return Subquery(
        Deadline.objects.running()
        .obligations()
        .filter(case=OuterRef("pk"))
        .order_by("due_at")
        .values("due_at")[:1]
    )


def _breach_recorded():
    """Whether an obligation clock of the case (``OuterRef("pk")``) has a breach on record
    (``state.q_breach_on_record``): ``Case.breach_recorded``."""
    return Exists(
        Deadline.objects.obligations().filter(case=OuterRef("pk")).filter(q_breach_on_record())
    )


def next_due_of(clocks: Iterable[Deadline]) -> datetime | None:
    """``_next_due`` of clocks in memory (planned, not yet written: a registration writes
    its case with its nearest term): the earliest due time of the running obligation
    clocks, None when none runs. The same rule as the subquery, read in Python."""
    return min(
        (
            c.due_at
            for c in clocks
            if c.stage in OBLIGATION_STAGES and c.met_at is None and c.cancelled_at is None
        ),
        default=None,
    )


def _cases():
    # ``deadlines`` reaches the case table through ``Deadline.case`` (DESIGN §7).
    return Deadline._meta.get_field("case").related_model.objects


def cases_next_due_refresh(*, case_ids: Iterable[int]) -> int:
    """Keep ``Case.next_due_at``: the earliest due time of the case's running obligation
    clocks (breached ones included: they are the most urgent), NULL when none runs. The
    one definition of a case's nearest term, written by every service here that starts,
    stops or moves a clock, so the list sorts «по сроку» through an index
    (``case_mun_next_due``) instead of a subquery per case. ``Case.breach_recorded`` is
    kept by the same UPDATE (``selectors.case_was_breached_condition``). One UPDATE per
    thousand cases."""
    ids = sorted({int(pk) for pk in case_ids})
    return sum(
        _cases()
        .filter(pk__in=ids[i : i + NEXT_DUE_BATCH])
        .update(next_due_at=_next_due(), breach_recorded=_breach_recorded())
        for i in range(0, len(ids), NEXT_DUE_BATCH)
    )


def cases_next_due_refresh_all(*, breach_marks: bool = True) -> int:
    """``cases_next_due_refresh`` for every case at once, set-based (a data generator, a
    repair after a restore): the term of the cases whose stored term is set or that run a
    clock, then (``breach_marks``) ``cases_breach_marks_refresh_all``. Returns the number
    of cases whose term was written."""
    running = Deadline.objects.running().obligations().values("case_id")
    written = (
        _cases()
        .filter(Q(next_due_at__isnull=False) | Q(pk__in=running))
        .update(next_due_at=_next_due())
    )
    if breach_marks:
        cases_breach_marks_refresh_all()
    return written


def cases_breach_marks_refresh_all() -> None:
    """``Case.breach_recorded`` of every case as two semi-joins: set where a breach is on
    record and the mark is not, cleared where it is and none is (no subquery per case, no
    index on the clocks needed: ``generate_cases`` runs it before building them)."""
    on_record = Deadline.objects.obligations().filter(q_breach_on_record()).values("case_id")
    _cases().filter(breach_recorded=False, pk__in=on_record).update(breach_recorded=True)
    _cases().filter(breach_recorded=True).exclude(pk__in=on_record).update(breach_recorded=False)


def _next_due_moved(*, case, stage: str | None, changed: int = 1) -> None:
    if changed and (stage is None or stage in OBLIGATION_STAGES):
        cases_next_due_refresh(case_ids=[case.pk])


def _check_aware(value: datetime | None, name: str) -> None:
    if value is not None and timezone.is_naive(value):
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")


def clock_times(
    *,
    policy: DeadlinePolicy,
    started_at: datetime,
    calendar,
    due_at: datetime | None = None,
    extension_days: int = 0,
) -> dict[str, datetime | None]:
    """due_at, warn_at and the escalation times of a clock of ``policy`` from ``started_at``.

    Working units are measured on the municipality's calendar, also for the warning (a
    share of the *working* time); calendar units and explicit dates in plain time.
    ``extension_days`` (59-ФЗ ст. 12 ч. 2) lengthens a term counted in days.
    """
    if due_at is None:
        if policy.unit == PolicyUnit.EXPLICIT:
            raise ValueError(f"policy {policy.code}: the due time must be given (due_at)")
        amount = policy.amount
        if extension_days:
            if policy.unit != PolicyUnit.CALENDAR_DAYS:
                raise ValueError(f"policy {policy.code}: only a term in days can be extended")
            amount += extension_days
        due_at = compute_due(started_at, amount, Unit(policy.unit), calendar)
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


def clock_base(*, rule, started_at: datetime, case) -> datetime:
    """The instant a clock's term runs from. A fast-track term (a rule with the condition
    «повышенная важность») runs from the curator's mark, not from the receipt
    (Междуреченск 3.8: «на вопросы с повышенной важностью (фаст трек) – 4 часа.
    Повышенная важность определяется куратором»): ``case.fast_track_at``."""
    marked = getattr(case, "fast_track_at", None)
    if rule is not None and rule.fast_track is True and marked is not None:
        return max(started_at, marked)
    return started_at


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
        started_at=clock_base(rule=rule, started_at=started_at, case=case),
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
    _next_due_moved(case=case, stage=stage)
    return deadline


def _breach_if_past_due(at: datetime):
    """``breached_at`` for a clock stopped at ``at``: kept if the sweep marked it, else
    its due time when it had run out by then (the breach stays on record, DESIGN §3: «a
    breached promise stays breached»), else none."""
    return Coalesce(
        "breached_at",
        DbCase(When(due_at__lt=at, then=F("due_at")), default=Value(None)),
    )


@transaction.atomic
def deadline_meet(*, case, stage: str, at: datetime | None = None) -> int:
    """Mark the running clocks of ``stage`` met; return how many.

    A breached clock can still be met: it keeps (or gets) ``breached_at`` and shows
    «выполнено с опозданием».
    """
    _check_aware(at, "at")
    at = at or timezone.now()
    met = (
        Deadline.objects.running()
        .filter(case=case, stage=stage)
        .update(met_at=at, breached_at=_breach_if_past_due(at))
    )
    _next_due_moved(case=case, stage=stage, changed=met)
    return met


@transaction.atomic
def deadline_cancel(*, case, stage: str | None = None, at: datetime | None = None) -> int:
    """Stop running clocks without meeting them (all stages if ``stage`` is None).

    For rejection, closure, reassignment, a promise replaced by a new one. A clock that had
    run out keeps its breach. Returns how many were stopped.
    """
    _check_aware(at, "at")
    at = at or timezone.now()
    qs = Deadline.objects.running().filter(case=case)
    if stage is not None:
        qs = qs.filter(stage=stage)
    stopped = qs.update(cancelled_at=at, breached_at=_breach_if_past_due(at))
    _next_due_moved(case=case, stage=stage, changed=stopped)
    return stopped


@transaction.atomic
def deadline_extend(*, case, stage: str, days: int, at: datetime | None = None) -> Deadline:
    """Lengthen the running clock of ``stage`` by ``days`` calendar days (59-ФЗ ст. 12 ч. 2:
    «вправе продлить срок рассмотрения не более чем на 30 дней»). The extension is kept on
    the clock, so a later recompute keeps it. Raises ``ValueError`` when nothing runs."""
    clock = deadline_running(case=case, stage=stage)
    if clock is None:
        raise ValueError(f"no running {stage} clock to extend")
    clock.extension_days += int(days)
    times = clock_times(
        policy=clock.policy,
        started_at=clock.started_at,
        calendar=calendar_for(case.municipality),
        extension_days=clock.extension_days,
    )
    now = at or timezone.now()
    for name, value in times.items():
        setattr(clock, name, value)
    if clock.due_at > now:
        # The new term has not run out: the clock is running again (its warning too).
        clock.breached_at, clock.escalation_level, clock.escalated_at = None, 0, None
        if clock.warn_at is None or clock.warn_at > now:
            clock.warned_at = None
    clock.save()
    _next_due_moved(case=case, stage=stage)
    return clock


# ---------------------------------------------------------------------------------------
# Recomputation: fast-track toggled, a policy or rule edited, a calendar edited
# ---------------------------------------------------------------------------------------

_RECOMPUTED_FIELDS = [
    "policy",
    "due_at",
    "warn_at",
    "warned_at",
    "escalate_1_at",
    "escalate_2_at",
    "breached_at",
    "escalation_level",
    "escalated_at",
]


def _recompute(
    qs: QuerySet[Deadline], *, now: datetime | None = None, include_breached: bool = False
) -> int:
    """Recompute the clocks of ``qs`` in bounded batches; return how many changed.

    Only open clocks (not met, not breached, not cancelled) move: history stays. Each
    clock keeps its ``started_at`` and gets the policy the rules give *now* (fast-track
    on: incident.answer 480 wm → incident.fast_track 240 cm, and back).

    ``include_breached`` also moves running clocks that are breached: when the curator
    clears the fast-track mark, a breached 4-hour clock becomes the ordinary 8 working
    hours again and is no longer breached if that term has not run out (DESIGN §3).
    """
    now = now or timezone.now()
    rules = deadline_rules_active()
    category_memo: dict = {}
    changed = 0
    last_pk = 0
    base = (qs.running() if include_breached else qs.open()).select_related(
        "policy", "case__municipality"
    )
    base = base.order_by("pk")
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
                    started_at=clock_base(rule=rule, started_at=clock.started_at, case=case),
                    calendar=calendar_for(case.municipality),
                    due_at=clock.due_at if explicit else None,
                    extension_days=clock.extension_days
                    if policy.unit == PolicyUnit.CALENDAR_DAYS
                    else 0,
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
            if clock.breached_at is not None:
                if times["due_at"] > now:
                    # The new term has not run out: not breached (any more).
                    new.update(breached_at=None, escalation_level=0, escalated_at=None)
                else:
                    new["breached_at"] = times["due_at"]
            if any(getattr(clock, f) != v for f, v in new.items()):
                for field, value in new.items():
                    setattr(clock, field, value)
                updates.append(clock)
        Deadline.objects.bulk_update(updates, _RECOMPUTED_FIELDS)
        cases_next_due_refresh(
            case_ids=[c.case_id for c in updates if c.stage in OBLIGATION_STAGES]
        )
        changed += len(updates)
    return changed


@transaction.atomic
def deadlines_recompute(
    *, case, now: datetime | None = None, include_breached: bool = False
) -> int:
    """Recompute the case's running clocks (after moderation changed the category, kind
    or channel, or the curator changed the fast-track mark)."""
    return _recompute(
        Deadline.objects.filter(case=case), now=now, include_breached=include_breached
    )


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
def deadline_municipal_rules_load(*, municipality) -> int:
    """Create the shipped rules that belong to one municipality only (Мещовск, прил. 2:
    comments within 90 minutes); idempotent. Call when the municipality is set up."""
    created = defaults.load_municipal_rules(
        DeadlinePolicy=DeadlinePolicy, DeadlineRule=DeadlineRule, municipality=municipality
    )
    if created:
        deadlines_recompute_for_municipality(municipality=municipality)
    return created


# ---------------------------------------------------------------------------------------
# Configuration: calendars, exceptions, schedules, policies and rules
# ---------------------------------------------------------------------------------------

#: a request claimed this long ago and not done: its worker died, run it again
RECOMPUTE_STALE = timedelta(minutes=10)


def _recompute_enqueue(request_id: int) -> None:
    """After the commit, ask a worker to run the request now. A broker that is down is
    not the user's problem: the edit is saved, the beat sweep runs the request later."""

    def enqueue() -> None:
        from .tasks import recompute_deadlines

        try:
            recompute_deadlines.delay(request_id=request_id)
        except Exception as exc:  # kombu's connection errors differ by transport
            logger.warning("recompute %s not enqueued (beat will run it): %s", request_id, exc)

    transaction.on_commit(enqueue)


def recompute_request(
    *,
    municipality_id: int | None = None,
    policy_id: int | None = None,
    rule_id: int | None = None,
    everything: bool = False,
    reason: str = "",
) -> RecomputeRequest:
    """Record, in the caller's transaction, that open clocks must be recomputed."""
    request = RecomputeRequest.objects.create(
        municipality_id=municipality_id,
        policy_id=policy_id,
        rule_id=rule_id,
        everything=everything or not (municipality_id or policy_id or rule_id),
        reason=reason[:200],
    )
    _recompute_enqueue(request.pk)
    return request


def recompute_request_run(*, request_id: int, now: datetime | None = None) -> int | None:
    """Run one recompute request unless someone else has (or is running it); return how
    many clocks changed, None when there was nothing to do. Idempotent."""
    now = now or timezone.now()
    claimable = Q(started_at__isnull=True) | Q(started_at__lt=now - RECOMPUTE_STALE)
    claimed = RecomputeRequest.objects.filter(
        claimable, pk=request_id, done_at__isnull=True
    ).update(started_at=now)
    if claimed != 1:
        return None
    request = RecomputeRequest.objects.select_related("municipality", "policy", "rule").get(
        pk=request_id
    )
    with transaction.atomic():
        if request.everything:
            changed = calendar_changed(municipality=None, now=now)
        elif request.municipality_id:
            changed = calendar_changed(municipality=request.municipality, now=now)
        elif request.policy_id:
            changed = deadlines_recompute_for_policy(policy=request.policy, now=now)
        elif request.rule_id:
            changed = deadlines_recompute_for_rule(rule=request.rule, now=now)
        else:
            changed = 0
        RecomputeRequest.objects.filter(pk=request_id).update(
            done_at=timezone.now(), changed=changed
        )
    return changed


def recompute_requests_pending_run(*, now: datetime | None = None, limit: int = 50) -> int:
    """Beat's catch-up: run the requests a down broker or a killed worker left behind."""
    now = now or timezone.now()
    ids = list(
        RecomputeRequest.objects.filter(done_at__isnull=True)
        .filter(Q(started_at__isnull=True) | Q(started_at__lt=now - RECOMPUTE_STALE))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in ids:
        if recompute_request_run(request_id=pk, now=now) is not None:
            done += 1
    return done


def _config_scope(obj, *, changed_fields=()) -> dict:
    """Which open clocks an edit of ``obj`` may move (DESIGN §4: «recomputed when … the
    policy changes or the calendar is edited»)."""
    if isinstance(obj, CalendarDay):
        return {"everything": True, "reason": f"calendar {obj.date}"}
    if isinstance(obj, MunicipalCalendarException | WorkSchedule):
        if obj.municipality_id:
            return {"municipality_id": obj.municipality_id, "reason": f"calendar of {obj}"}
        return {"everything": True, "reason": f"default schedule {obj}"}
    if isinstance(obj, DeadlinePolicy):
        return {"policy_id": obj.pk, "reason": f"policy {obj.code}"}
    if isinstance(obj, DeadlineRule):
        if {"stage", "kind", "municipality"} & set(changed_fields):
            # It may also have stopped applying where it used to: everything covers both.
            return {"everything": True, "reason": f"rule {obj.pk} moved"}
        return {"rule_id": obj.pk, "reason": f"rule {obj.pk}"}
    raise TypeError(f"not a deadline configuration object: {obj!r}")


@transaction.atomic
def deadline_config_save(*, obj, changed_fields=(), is_new: bool = False):
    """Save a calendar day, exception, schedule, policy or rule and record the recompute
    it needs (a new policy moves no clock until a rule names it)."""
    obj.full_clean()
    obj.save()
    if isinstance(obj, WorkSchedule):
        # The intervals may change without the schedule row: a new stamp tells the cached
        # calendars of every process that there is a new version.
        WorkSchedule.objects.filter(pk=obj.pk).update(updated_at=timezone.now())
    if not (is_new and isinstance(obj, DeadlinePolicy)):
        recompute_request(**_config_scope(obj, changed_fields=changed_fields))
    calendars_invalidate()
    deadline_rules_forget()
    return obj


@transaction.atomic
def deadline_config_delete(*, objs) -> int:
    """Delete configuration rows and record the recomputes they need."""
    scopes = []
    for obj in objs:
        scope = _config_scope(obj)
        if isinstance(obj, DeadlineRule | DeadlinePolicy):
            scope = {"everything": True, "reason": f"deleted {obj}"}
        scopes.append(scope)
        obj.delete()
    seen = set()
    for scope in scopes:
        key = tuple(sorted((k, v) for k, v in scope.items() if k != "reason"))
        if key not in seen:
            seen.add(key)
            recompute_request(**scope)
    calendars_invalidate()
    deadline_rules_forget()
    return len(scopes)


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
