"""The workflow's side of the deadline clocks: which clocks each step starts and meets.

``deadlines`` knows no workflow (DESIGN §7): it starts, meets, cancels and recomputes the
clocks it is told to. This module is the one place that says *when*, so the services read
as the lifecycle and the mapping to stages can be read at a glance:

| step | clocks |
|---|---|
| registration | incident: first_reply + answer; pos, hotline: answer; appeal: register + answer |
| assignment | appeal's register met; reassign_window started (Междуреченск §2, 30 min) |
| accept, interim answer | first_reply met |
| interim answer | answer met; promise started, due at the promised date |
| publication | answer and promise met; reaction started (Междуреченск 3.6, two days) |
| feedback, auto-close | reaction met |
| reopen | answer started again |
| reject, close | every running clock cancelled |
| fast-track toggled | recomputed |

All calls run inside the caller's transaction.
"""

from datetime import datetime

from django.utils import timezone

from deadlines import selectors as deadline_selectors
from deadlines import services as deadline_services
from deadlines.models import Deadline
from mcu.choices import CaseKind

FIRST_REPLY = "first_reply"
ANSWER = "answer"
REASSIGN_WINDOW = "reassign_window"
PROMISE = "promise"
REACTION = "reaction"
REGISTER = "register"

REGISTRATION_STAGES: dict[str, tuple[str, ...]] = {
    CaseKind.INCIDENT: (FIRST_REPLY, ANSWER),
    CaseKind.POS: (ANSWER,),
    CaseKind.HOTLINE: (ANSWER,),
    # 59-ФЗ ст. 8: registration within 3 days; ст. 12: the answer within 30 days.
    CaseKind.APPEAL: (REGISTER, ANSWER),
}


def start(case, stage: str, *, at: datetime | None = None, due_at: datetime | None = None):
    return deadline_services.deadline_start(case=case, stage=stage, started_at=at, due_at=due_at)


def meet(case, *stages: str, at: datetime | None = None) -> None:
    for stage in stages:
        # A stage that is not running (no rule, or met already) is a no-op update.
        deadline_services.deadline_meet(case=case, stage=stage, at=at)


def cancel(case, stage: str | None = None, *, at: datetime | None = None) -> None:
    deadline_services.deadline_cancel(case=case, stage=stage, at=at)


def recompute(case) -> None:
    deadline_services.deadlines_recompute(case=case)


def on_register(case) -> None:
    for stage in REGISTRATION_STAGES.get(case.kind, (ANSWER,)):
        start(case, stage, at=case.received_at)


def reassign_window_open(case, *, now: datetime | None = None) -> bool:
    """Междуреченск, прил. 1 §2: «в течение 30 минут» of the assignment, counted by the
    ``executor.reassign_window`` clock (30 working minutes)."""
    return deadline_selectors.deadline_reassign_allowed(case=case, at=now or timezone.now())


def for_case(case) -> list:
    """Every clock of the case, for the card and the API."""
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


def with_nearest_due(qs):
    """Cases annotated with ``nearest_due_at`` and their running clocks prefetched."""
    return deadline_selectors.with_nearest_due(qs)
