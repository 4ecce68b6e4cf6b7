"""The workflow's side of the deadline clocks: which clocks each step starts and meets.

``deadlines`` knows no workflow (DESIGN §7): it starts, meets, cancels and recomputes the
clocks it is told to. This module is the one place that says *when*, so the services read
as the lifecycle and the mapping to stages can be read at a glance (DESIGN §3, «which step
meets which clock»):

| step | clocks |
|---|---|
| registration (intake) | incident: first_reply + answer; pos, hotline: answer; appeal: register |
| appeal registered (59-ФЗ ст. 8) | register met; answer (30 d, ст. 12), forward (7 d) |
| assignment | reassign_window started (Междуреченск §2, 30 min); an appeal's forward cancelled |
| accept, interim answer written | reassign_window met — accepting is internal (3.7) |
| interim answer published (3.10) | first_reply, answer met; promise due at its date |
| final answer published (3.8) | first_reply, answer, promise met; reaction (3.6) |
| forwarded (59-ФЗ ст. 8 ч. 3) | forward met, the rest cancelled |
| extended (59-ФЗ ст. 12 ч. 2) | answer lengthened by the days given |
| feedback, auto-close | reaction met |
| reopen | answer started again |
| reject, close | every running clock cancelled (a clock that had run out keeps its breach) |
| moderation changed category, kind or channel | policies re-selected |
| fast-track marked or cleared by the curator | recomputed, breached clocks included |

All calls run inside the caller's transaction.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deadlines import selectors as deadline_selectors
from deadlines import services as deadline_services
from deadlines.choices import Stage
from deadlines.engine import CalendarDataMissing
from deadlines.models import Deadline
from mcu.choices import CaseKind, Role
from mcu.notifications import notify

logger = logging.getLogger(__name__)

# The stages are deadlines' own; short names here so the services read as the lifecycle.
FIRST_REPLY = Stage.FIRST_REPLY
ANSWER = Stage.ANSWER
REASSIGN_WINDOW = Stage.REASSIGN_WINDOW
PROMISE = Stage.PROMISE
REACTION = Stage.REACTION
REGISTER = Stage.REGISTER
FORWARD = Stage.FORWARD

REGISTRATION_STAGES: dict[str, tuple[str, ...]] = {
    CaseKind.INCIDENT: (FIRST_REPLY, ANSWER),
    CaseKind.POS: (ANSWER,),
    CaseKind.HOTLINE: (ANSWER,),
    # 59-ФЗ ст. 8 ч. 2: registration within 3 days of receipt. The answer's 30 days run
    # from the registration (ст. 12 ч. 1), so that clock starts at the registration step.
    CaseKind.APPEAL: (REGISTER,),
}


def start(case, stage: str, *, at: datetime | None = None, due_at: datetime | None = None):
    """Start a clock. A term that needs a year without production-calendar data does not
    stop the workflow (a resident's case is never lost for it): the clock is not started,
    and the heads of the centre are told, once a year, to load the calendar."""
    try:
        return deadline_services.deadline_start(
            case=case, stage=stage, started_at=at, due_at=due_at
        )
    except CalendarDataMissing as exc:
        logger.warning("case %s: %s clock not started: %s", case.pk, stage, exc)
        _alert_calendar_missing(case, exc.year)
        return None


def _alert_calendar_missing(case, year: int) -> None:
    heads = get_user_model().objects.filter(
        municipality_id=case.municipality_id, role=Role.HEAD, is_active=True
    )
    notify(
        recipients=heads,
        event="calendar.missing",
        subject=f"{case.municipality_id}:{year}",
        title=str(
            _("Нет производственного календаря на %(year)s год: сроки не рассчитываются")
            % {"year": year}
        ),
        body=str(_("Загрузите календарь в разделе «Сроки → Производственный календарь».")),
        url=reverse("admin:deadlines_calendarday_changelist"),
    )


def meet(case, *stages: str, at: datetime | None = None) -> None:
    for stage in stages:
        # A stage that is not running (no rule, or met already) is a no-op update.
        deadline_services.deadline_meet(case=case, stage=stage, at=at)
    if PROMISE in stages:
        _promise_over(case, at)


def cancel(case, stage: str | None = None, *, at: datetime | None = None) -> None:
    deadline_services.deadline_cancel(case=case, stage=stage, at=at)
    if stage in (None, PROMISE):
        _promise_over(case, at)


def _promise_over(case, at: datetime | None) -> None:
    """The promised date no longer stands (a new date, the answer published, the case
    rejected or closed): the administrators' reminder for it is withdrawn."""
    from .notify import promise_reminders_withdraw

    promise_reminders_withdraw(case, at=at)


def recompute(case, *, at: datetime | None = None, include_breached: bool = False) -> None:
    deadline_services.deadlines_recompute(case=case, now=at, include_breached=include_breached)


def extend(case, stage: str, *, days: int, at: datetime) -> None:
    deadline_services.deadline_extend(case=case, stage=stage, days=days, at=at)


def running(case, stage: str):
    return deadline_selectors.deadline_running(case=case, stage=stage)


def promise_max_days() -> int | None:
    """The ceiling of a promised date, from the ``case.promise`` policy (default 30)."""
    return deadline_selectors.policy_max_days("case.promise")


@dataclass
class RegistrationClocks:
    """The clocks a registration starts, planned before the cases' rows are written."""

    cases: list
    started: list[Deadline]
    not_started: list
    by_case: dict[int, list[Deadline]]


def on_register_plan(cases) -> RegistrationClocks:
    """The clocks of new cases (their ids known, their rows not yet written): none runs
    yet, so they are planned set-based (the rules read once) rather than one ``start``
    each, and each case gets its nearest term (``next_due_at``) to be written with it."""
    from deadlines.bulk import deadlines_plan_many

    started, not_started = deadlines_plan_many(
        starts=[
            (case, stage, case.received_at)
            for case in cases
            for stage in REGISTRATION_STAGES.get(case.kind, (ANSWER,))
        ]
    )
    by_case: dict[int, list[Deadline]] = {case.pk: [] for case in cases}
    for clock in started:
        by_case[clock.case.pk].append(clock)
    for case in cases:
        case.next_due_at = deadline_services.next_due_of(by_case[case.pk])
    return RegistrationClocks(list(cases), started, not_started, by_case)


def on_register_write(plan: RegistrationClocks) -> None:
    """Write the planned clocks, once their cases' rows are in (one INSERT or COPY). A
    term that needs a year without calendar data is reported as ``start`` reports it:
    logged, the heads told once a year, the case kept."""
    from deadlines.bulk import deadlines_insert_many

    deadlines_insert_many(plan.started)
    # These are every clock of a new case: ``for_case`` answers from them, as from a
    # prefetch, without reading them back (the ingest's 201 shows them).
    for case in plan.cases:
        case._prefetched_objects_cache = {
            **getattr(case, "_prefetched_objects_cache", {}),
            "deadlines": plan.by_case[case.pk],
        }
    for miss in plan.not_started:
        logger.warning("case %s: %s clock not started: %s", miss.case.pk, miss.stage, miss.error)
        _alert_calendar_missing(miss.case, miss.error.year)


def on_appeal_registered(case, *, at: datetime) -> None:
    """59-ФЗ ст. 8, 12: the registration is met at its date; the 30 days of the answer
    and the 7 days of forwarding run from it."""
    meet(case, REGISTER, at=at)
    start(case, ANSWER, at=at)
    start(case, FORWARD, at=at)


def reassign_window_open(case, *, now: datetime | None = None) -> bool:
    """Междуреченск, прил. 1 §2: «в течение 30 минут» of the assignment, counted by the
    ``executor.reassign_window`` clock (30 working minutes)."""
    return deadline_selectors.deadline_reassign_allowed(case=case, at=now or timezone.now())


def for_case(case) -> list:
    """Every clock of the case, for the card and the API, oldest first: the prefetched
    ones when the case carries them (a case just registered does), else read."""
    prefetched = getattr(case, "_prefetched_objects_cache", {}).get("deadlines")
    if prefetched is not None:
        return sorted(prefetched, key=lambda c: (c.started_at, c.pk))
    return list(deadline_selectors.deadlines_for_case(case))


def expired_reaction_case_ids(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Cases whose ``reaction`` clock ran out (two days with no word from the resident),
    whether or not the sweep has marked it breached yet; at most ``limit`` of them."""
    return list(
        Deadline.objects.running()
        .filter(stage=REACTION, due_at__lte=now or timezone.now())
        .order_by("due_at")
        .values_list("case_id", flat=True)[:limit]
    )
