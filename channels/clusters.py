"""Duplicates, repeats and problem clusters (DESIGN §5).

One pothole, forty posts. A new case is compared with the municipality's earlier cases
of the window (``DUPLICATE_WINDOW_DAYS``, default 7):

1. **repeat** — the same author (profile link, contacts or name), near-same text, about a
   case already answered (published or closed) within ``REPEAT_WINDOW_DAYS`` (default
   90): the new case is linked to it (``Case.repeats``, the link
   ``analytics.indicators`` counts as «повторные», Саратов п. 3.6) and goes through
   moderation like any other;
2. **duplicate** — the same author with near-same text, or similar text at the same
   address or in the same district, of a case not answered yet: both go into one
   ``ProblemCluster`` (the candidate's, or a new one with the candidate as its main
   case), *proposed* until the administrator confirms it or takes members out.

Answering: the main case is answered through the normal workflow; once its answer is
published, «ответить всем» publishes a copy to every other open member of the confirmed
cluster through ``cases.services.case_publish_cluster_answer`` — one event per case,
clocks met. Similarity: ``channels.similarity`` (pg_trgm on PostgreSQL, rapidfuzz on
SQLite). Every change to a cluster writes a «cluster» event on the cases it touches.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.choices import CaseStatus, EventAction
from cases.models import Answer, Case
from cases.selectors import case_get_for_user
from cases.services import (
    case_link_repeat,
    case_publish_cluster_answer,
    case_role_may,
    event_record,
)
from mcu.exceptions import DeskError, InvalidInput, NotAllowed, NotFound, StateConflict

from .models import ClusterMembership, LinkRequest, ProblemCluster
from .similarity import scored, threshold

logger = logging.getLogger(__name__)

__all__ = [
    "case_by_reference",
    "cases_link_duplicates",
    "cluster_add",
    "cluster_answer",
    "cluster_confirm",
    "cluster_for_case",
    "cluster_remove",
    "clusters_to_join",
]

R = ClusterMembership.Reason
ANSWERED = [CaseStatus.PUBLISHED, CaseStatus.CLOSED]
#: not answered yet, still to be worked on: what a new post may be a duplicate of
UNANSWERED = [s for s in CaseStatus.open_values() if s != CaseStatus.PUBLISHED]


def duplicate_window() -> timedelta:
    return timedelta(days=int(getattr(settings, "DUPLICATE_WINDOW_DAYS", 7)))


def repeat_window() -> timedelta:
    return timedelta(days=int(getattr(settings, "REPEAT_WINDOW_DAYS", 90)))


def _same_author(case: Case) -> Q | None:
    q = Q()
    if case.author_url:
        q |= Q(author_url=case.author_url)
    if case.author_contacts:
        q |= Q(author_contacts=case.author_contacts)
    if case.author_name:
        q |= Q(author_name=case.author_name)
    return q or None


def _earlier(case: Case, window: timedelta):
    return (
        Case.objects.filter(
            municipality_id=case.municipality_id,
            received_at__gte=case.received_at - window,
            received_at__lte=case.received_at,
        )
        .exclude(pk=case.pk)
        .exclude(text="")
    )


#: the most recent candidates of one look-up that are scored: a common name («Иванов
#: Иван») or a busy district has thousands of cases in the window, and each score is a
#: trigram comparison of two texts
LINK_CANDIDATES = 200


def _best(candidates, case: Case, kind: str) -> tuple[int, float] | None:
    recent = candidates.order_by("-received_at", "-pk").values("pk")[:LINK_CANDIDATES]
    best = next(iter(scored(Case.objects.filter(pk__in=recent), case.text)), None)
    if best is None or best[1] < threshold(kind):
        return None
    return best


def _find_repeat(case: Case) -> tuple[int, float] | None:
    author = _same_author(case)
    if author is None:
        return None
    return _best(
        _earlier(case, repeat_window()).filter(author, status__in=ANSWERED), case, "author"
    )


def _find_duplicate(case: Case) -> tuple[int, float, str] | None:
    """The best earlier unanswered case this one duplicates, and why; the same author's
    near-same text first, then the same address, then the same district."""
    earlier = _earlier(case, duplicate_window()).filter(status__in=UNANSWERED)
    author = _same_author(case)
    tries = []
    if author is not None:
        tries.append((earlier.filter(author), "author", R.SAME_AUTHOR))
    if case.address:
        tries.append((earlier.filter(address=case.address), "place", R.SAME_ADDRESS))
    if case.district_id:
        tries.append((earlier.filter(district_id=case.district_id), "place", R.SAME_DISTRICT))
    for candidates, kind, reason in tries:
        best = _best(candidates, case, kind)
        if best is not None:
            return best[0], best[1], reason
    return None


def _event(case: Case, *, op: str, cluster: ProblemCluster, actor=None, at, **extra) -> None:
    event_record(
        case=case,
        action=EventAction.CLUSTER,
        actor=actor,
        from_status=case.status,
        to_status=case.status,
        payload={"op": op, "cluster": cluster.pk, **extra},
        at=at,
    )


@transaction.atomic
def case_link_duplicates(case: Case, *, at: datetime | None = None) -> str | None:
    """Link one newly registered case: as a repeat, into a cluster, or not at all.
    Returns ``"repeat"``, ``"cluster"`` or None. A case already linked is left alone, so
    running it twice links nothing twice."""
    at = at or timezone.now()
    if case.repeats_id or ClusterMembership.objects.filter(case=case).exists():
        return None
    found = _find_repeat(case)
    if found is not None:
        original = Case.objects.get(pk=found[0])
        case_link_repeat(case, original=original, similarity=found[1], at=at)
        return "repeat"
    dup = _find_duplicate(case)
    if dup is None:
        return None
    other_id, similarity, reason = dup
    other = Case.objects.select_related("cluster_membership__cluster").get(pk=other_id)
    membership = getattr(other, "cluster_membership", None)
    if membership is None:
        cluster = ProblemCluster.objects.create(municipality_id=case.municipality_id, primary=other)
        ClusterMembership.objects.create(cluster=cluster, case=other, reason=R.PRIMARY)
        _event(other, op="created", cluster=cluster, at=at)
    else:
        cluster = membership.cluster
    ClusterMembership.objects.create(
        cluster=cluster, case=case, reason=reason, similarity=round(similarity, 3)
    )
    _event(
        case,
        op="linked",
        cluster=cluster,
        at=at,
        reason=reason,
        similar_to=other.pk,
        similarity=round(similarity, 3),
    )
    return "cluster"


def cases_link_duplicates(case_ids: list[int]) -> dict[str, int]:
    """Link each of the cases (in the order received), each in its own transaction."""
    counts = {"repeat": 0, "cluster": 0}
    for case in Case.objects.filter(pk__in=case_ids).order_by("received_at", "pk"):
        linked = case_link_duplicates(case)
        if linked:
            counts[linked] += 1
    return counts


#: a request started this long ago and not done is taken again (its worker died)
LINK_STALE = timedelta(minutes=10)
#: done requests are kept this long (to look into), then the sweep deletes them: one row
#: per ingest request would otherwise pile up for ever
LINK_KEEP = timedelta(days=7)
LINK_PRUNE_BATCH = 5000


def _link_enqueue(request_id: int) -> None:
    """After the commit, ask a worker to link now. A broker that is down is not the
    resident's problem: the cases are stored, the beat sweep links them later."""

    def enqueue() -> None:
        from .tasks import link_duplicates

        try:
            link_duplicates.delay(request_id=request_id)
        except Exception as exc:  # kombu's connection errors differ by transport
            logger.warning("link request %s not enqueued (beat will run it): %s", request_id, exc)

    transaction.on_commit(enqueue)


def link_duplicates_after_commit(case_ids: list[int]) -> LinkRequest | None:
    """Record, in the caller's transaction, that the just registered cases are to be
    linked (an outbox row, ``LinkRequest``), and enqueue the linking once committed.
    Nothing is lost when the broker is down: ``link_requests_pending_run`` (beat) runs
    the rows left behind."""
    if not case_ids:
        return None
    request = LinkRequest.objects.create(case_ids=[int(pk) for pk in case_ids])
    _link_enqueue(request.pk)
    return request


def link_request_run(*, request_id: int, now: datetime | None = None) -> dict | None:
    """Run one link request unless someone else has (or is running it); the counts, or
    None when there was nothing to do. Idempotent: a case already linked is skipped."""
    now = now or timezone.now()
    claimable = Q(started_at__isnull=True) | Q(started_at__lt=now - LINK_STALE)
    claimed = LinkRequest.objects.filter(claimable, pk=request_id, done_at__isnull=True).update(
        started_at=now
    )
    if claimed != 1:
        return None
    case_ids = LinkRequest.objects.values_list("case_ids", flat=True).get(pk=request_id)
    counts = cases_link_duplicates(list(case_ids))
    LinkRequest.objects.filter(pk=request_id).update(
        done_at=timezone.now(), linked=sum(counts.values())
    )
    return counts


def link_requests_pending_run(*, now: datetime | None = None, limit: int = 50) -> int:
    """Beat's catch-up: run the link requests a down broker or a killed worker left, and
    delete the ones done more than ``LINK_KEEP`` ago."""
    now = now or timezone.now()
    ids = list(
        LinkRequest.objects.filter(done_at__isnull=True)
        .filter(Q(started_at__isnull=True) | Q(started_at__lt=now - LINK_STALE))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = sum(1 for pk in ids if link_request_run(request_id=pk, now=now) is not None)
    old = list(
        LinkRequest.objects.filter(done_at__lt=now - LINK_KEEP)
        .order_by("pk")
        .values_list("pk", flat=True)[:LINK_PRUNE_BATCH]
    )
    if old:
        LinkRequest.objects.filter(pk__in=old).delete()
    return done


# ---------------------------------------------------------------------------------------
# The administrator's decisions
# ---------------------------------------------------------------------------------------


def cluster_for_case(*, case: Case) -> ProblemCluster | None:
    """The cluster of a case (the caller has checked the case is visible to the user)."""
    membership = (
        ClusterMembership.objects.filter(case=case).select_related("cluster__primary").first()
    )
    return membership.cluster if membership else None


def _cluster_for_admin(cluster_id, *, actor) -> ProblemCluster:
    """The cluster, locked, when the actor moderates its main case; 404/403 otherwise."""
    cluster = ProblemCluster.objects.select_for_update().filter(pk=cluster_id).first()
    if cluster is None:
        raise NotFound()
    case_get_for_user(user=actor, pk=cluster.primary_id)  # 404 outside the actor's scope
    if not case_role_may(actor, "assign"):
        raise NotAllowed()
    return cluster


@transaction.atomic
def cluster_confirm(cluster_id, *, actor, at: datetime | None = None) -> ProblemCluster:
    """The administrator confirms the desk's proposal: these posts are one problem."""
    at = at or timezone.now()
    cluster = _cluster_for_admin(cluster_id, actor=actor)
    if cluster.status == ProblemCluster.Status.CONFIRMED:
        return cluster
    cluster.status = ProblemCluster.Status.CONFIRMED
    cluster.confirmed_at, cluster.confirmed_by = at, actor
    cluster.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    for m in cluster.memberships.select_related("case"):
        _event(m.case, op="confirmed", cluster=cluster, actor=actor, at=at)
    return cluster


def case_by_reference(*, user, reference: str) -> Case | None:
    """A case the user sees, by its registration number or its id («#123» or «123»)."""
    ref = (reference or "").strip().lstrip("#").strip()
    if not ref:
        return None
    visible = Case.objects.visible_to(user)
    found = visible.filter(registration_number__iexact=ref).first()
    if found is None and ref.isdigit() and len(ref) < 12:
        found = visible.filter(pk=int(ref)).first()
    return found


def clusters_to_join(*, case: Case, user, limit: int = 20) -> list[ProblemCluster]:
    """The clusters of the case's municipality an administrator may add it to: those whose
    main case the user sees, the most recent first (the card's «add to cluster» list)."""
    return list(
        ProblemCluster.objects.filter(
            municipality_id=case.municipality_id,
            primary__in=Case.objects.visible_to(user).filter(status__in=UNANSWERED),
        )
        .select_related("primary")
        .order_by("-created_at", "-id")[:limit]
    )


@transaction.atomic
def cluster_add(cluster_id, *, actor, case_id, at: datetime | None = None) -> ProblemCluster:
    """The administrator adds a post the desk did not link (other words, another
    address) to an existing problem cluster, with a «cluster» event on the case (op
    «added», who and when). The case must be one the actor sees, of the cluster's
    municipality, not answered yet and in no cluster (take it out of the other one
    first: a case is in one cluster at most). A confirmed cluster stays confirmed: the
    administrator has decided about this post too."""
    at = at or timezone.now()
    cluster = _cluster_for_admin(cluster_id, actor=actor)
    case = case_get_for_user(user=actor, pk=case_id, for_update=True)  # 404 outside scope
    if case.municipality_id != cluster.municipality_id:
        raise InvalidInput(_("Выберите сообщение того же МО."), field="case")
    membership = ClusterMembership.objects.filter(case=case).first()
    if membership is not None:
        if membership.cluster_id == cluster.pk:
            raise StateConflict(_("Сообщение уже в этом кластере."))
        raise StateConflict(_("Сообщение уже в другом кластере: сначала исключите его оттуда."))
    if case.status not in UNANSWERED:
        raise StateConflict(
            _("По сообщению уже дан ответ или оно закрыто: в кластер его не добавить.")
        )
    ClusterMembership.objects.create(cluster=cluster, case=case, reason=R.MANUAL)
    _event(case, op="added", cluster=cluster, actor=actor, at=at)
    return cluster


@transaction.atomic
def cluster_remove(
    cluster_id, *, actor, case_ids: list[int], at: datetime | None = None
) -> ProblemCluster | None:
    """Split: take posts out of the cluster (each keeps its own workflow). With fewer
    than two posts left the cluster is dissolved; if the main case is taken out, the
    earliest remaining post becomes the main one. Returns the cluster, or None once
    dissolved."""
    at = at or timezone.now()
    cluster = _cluster_for_admin(cluster_id, actor=actor)
    members = list(cluster.memberships.select_related("case").order_by("case__received_at"))
    ids = {int(pk) for pk in case_ids}
    if not ids or not ids <= {m.case_id for m in members}:
        raise InvalidInput(_("Выберите сообщения этого кластера."), field="cases")
    remaining = [m for m in members if m.case_id not in ids]
    for m in members:
        if m.case_id in ids or len(remaining) < 2:
            _event(m.case, op="removed", cluster=cluster, actor=actor, at=at)
    if len(remaining) < 2:
        cluster.memberships.all().delete()
        cluster.delete()
        return None
    cluster.memberships.filter(case_id__in=ids).delete()
    if cluster.primary_id in ids:
        cluster.primary = remaining[0].case
        cluster.save(update_fields=["primary"])
        ClusterMembership.objects.filter(pk=remaining[0].pk).update(reason=R.PRIMARY)
    return cluster


@transaction.atomic
def cluster_answer(cluster_id, *, actor, at: datetime | None = None) -> dict:
    """Answer the cluster once: the answer published on the main case goes to every
    other open post of the confirmed cluster (``case_publish_cluster_answer``: one event
    per case, its clocks met). A post that cannot take it now (an appeal not registered,
    already answered) is reported and left as it is; the others are published.

    Returns ``{"published": [case ids], "skipped": {case id: reason}}``.
    """
    at = at or timezone.now()
    cluster = _cluster_for_admin(cluster_id, actor=actor)
    if cluster.status != ProblemCluster.Status.CONFIRMED:
        raise StateConflict(_("Сначала подтвердите кластер."))
    answer = (
        Answer.objects.filter(
            case_id=cluster.primary_id, kind=Answer.Kind.FINAL, status=Answer.Status.PUBLISHED
        )
        .select_related("case")
        .order_by("-published_at", "-id")
        .first()
    )
    if answer is None:
        raise StateConflict(_("Ответ по основному сообщению кластера ещё не опубликован."))
    published, skipped = [], {}
    for m in cluster.memberships.exclude(case_id=cluster.primary_id).select_related("case"):
        if m.case.status not in UNANSWERED:
            continue
        try:
            with transaction.atomic():
                case_publish_cluster_answer(
                    m.case_id, actor=actor, answer=answer, cluster_id=cluster.pk, at=at
                )
        except DeskError as exc:
            skipped[m.case_id] = str(exc.message)
        else:
            published.append(m.case_id)
    return {"published": published, "skipped": skipped}
