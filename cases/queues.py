"""Work queues of the case list (DESIGN §8: «counts on every queue»).

A queue is a named condition on visible cases; which queues a role sees is the role's
day: the administrator moderates and reviews, the curator approves, the executor answers.
"""

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mcu.choices import Role

from .choices import CaseStatus
from .models import Answer

QUEUE_LABELS = {
    "moderation": _("На модерации"),
    "mine": _("Мои"),
    "to_accept": _("Ждут принятия"),
    "overdue": _("Просроченные"),
    "review": _("На проверке"),
    "ready": _("Готово к публикации"),
    "approval": _("На согласовании"),
    "fast_track": _("Повышенная важность"),
    "fast_track_proposals": _("Предложена важность"),
}

QUEUES_BY_ROLE = {
    Role.ADMINISTRATOR: ["moderation", "review", "approval", "ready", "overdue", "fast_track"],
    Role.HEAD: [
        "moderation",
        "review",
        "approval",
        "ready",
        "overdue",
        "fast_track_proposals",
        "fast_track",
    ],
    Role.CURATOR: ["approval", "fast_track_proposals", "fast_track", "overdue", "moderation"],
    Role.EXECUTOR: ["mine", "to_accept", "overdue", "fast_track"],
    Role.OBSERVER: ["overdue", "fast_track"],
}

OPEN = CaseStatus.open_values()


def queues_for(user) -> list[str]:
    if user.is_superuser:
        return QUEUES_BY_ROLE[Role.HEAD]
    return QUEUES_BY_ROLE.get(user.role, [])


def _overdue_q() -> Q:
    # Imported lazily so that the filterset module stays import-light.
    from deadlines.selectors import case_overdue_condition

    return Q(case_overdue_condition()) & Q(status__in=OPEN)


def queue_q(name: str, user) -> Q:
    """The condition of queue ``name`` for ``user`` (cases are already visible to them)."""
    if name == "moderation":
        return Q(status=CaseStatus.NEW)
    if name == "mine":
        # The user's own cases (taken into work by them), not their whole organisation's;
        # for the executor, the ones still to answer.
        if user.role == Role.EXECUTOR:
            return Q(assignee_id=user.pk, status__in=[CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS])
        return Q(assignee_id=user.pk, status__in=OPEN)
    if name == "to_accept":
        # Assigned to the executor's organisation, nobody has taken it into work yet.
        return Q(status=CaseStatus.ASSIGNED)
    if name == "overdue":
        return _overdue_q()
    if name == "review":
        # Answers to check and interim answers waiting for the administrator
        # (Междуреченск 3.8: only publication counts); approved answers are «ready».
        # The few cases with one are read first (the partial index
        # ``answer_pending_interim``), so the queue is two index lookups OR-ed, not a
        # per-row EXISTS over every open case of the municipality.
        pending_interim = Answer.objects.filter(
            kind=Answer.Kind.INTERIM, status=Answer.Status.SUBMITTED, case__status__in=OPEN
        ).values_list("case_id", flat=True)
        return Q(status=CaseStatus.ON_REVIEW) | Q(pk__in=list(pending_interim))
    if name == "ready":
        # Approved answers waiting for the administrator to publish them.
        return Q(status=CaseStatus.APPROVED)
    if name == "fast_track_proposals":
        # Междуреченск 3.8: the administrator proposes, the curator decides.
        return Q(fast_track_proposed=True, fast_track=False, status__in=OPEN)
    if name == "approval":
        return Q(status=CaseStatus.ON_APPROVAL)
    if name == "fast_track":
        return Q(fast_track=True, status__in=OPEN)
    return Q(pk__in=[])


def queue_apply(queryset: QuerySet, name: str, user) -> QuerySet:
    return queryset.filter(queue_q(name, user))


def queue_counts(queryset: QuerySet, user) -> dict[str, int]:
    """Counts of every queue of the user's role in one query."""
    names = queues_for(user)
    if not names:
        return {}
    aggregates = {name: Count("pk", filter=queue_q(name, user)) for name in names}
    return queryset.order_by().aggregate(**aggregates)
