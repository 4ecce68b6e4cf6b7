"""Reads of cases. Every one starts from ``Case.objects.visible_to(user)``."""

from django.db.models import Q, QuerySet

from mcu.exceptions import NotFound
from mcu.models import Category

from .counts import queue_counts_cached
from .models import Answer, AnswerTemplate, Attachment, Case, CaseEvent, CaseNote
from .queues import queue_counts


def case_base_queryset(*, user) -> QuerySet[Case]:
    return Case.objects.visible_to(user).select_related(
        "municipality", "district", "category", "category__parent", "organisation", "assignee"
    )


def case_get_for_user(*, user, pk, for_update: bool = False) -> Case:
    """The only way from a pk to a case: 404 for missing and for invisible alike."""
    qs = Case.objects.visible_to(user)
    if for_update:
        qs = qs.select_for_update()
    else:
        qs = qs.select_related(
            "municipality",
            "district",
            "category",
            "category__parent",
            "organisation",
            "assignee",
        )
    try:
        return qs.get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def registration_number_clean(text) -> str:
    """A registration number as people type it: «№ МЖД-26-12», «#МЖД-26-12» → «МЖД-26-12»."""
    return str(text or "").strip().lstrip("#№ ").strip()


def case_ids_by_number(*, user, number: str) -> list[int]:
    """The cases the user sees under this registration number (one per municipality at
    most): how the list's bulk bar finds the original of a duplicate."""
    return list(
        Case.objects.visible_to(user)
        .filter(registration_number=number)
        .values_list("pk", flat=True)
    )


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "id")


def case_answers(*, case: Case) -> QuerySet[Answer]:
    return (
        case.answers.select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def answer_templates_for(*, case: Case) -> QuerySet[AnswerTemplate]:
    """Templates of the case's category and its ancestors, common or of its municipality."""
    category_ids = Category.lineage_of(case.category_id)
    return AnswerTemplate.objects.filter(
        Q(municipality__isnull=True) | Q(municipality_id=case.municipality_id),
        category_id__in=category_ids,
        is_active=True,
    ).order_by("title")


def answer_template_get(*, case: Case, pk) -> AnswerTemplate:
    try:
        return answer_templates_for(case=case).get(pk=pk)
    except (AnswerTemplate.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def attachment_get_for_user(*, user, case_pk, pk) -> Attachment:
    case = case_get_for_user(user=user, pk=case_pk)
    try:
        return Attachment.objects.select_related("answer").get(pk=pk, answer__case=case)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def case_queue_counts(*, user, cached: bool = True) -> dict[str, int]:
    """Counts of the user's queues; from the per-scope cache unless ``cached=False``."""

    def compute() -> dict[str, int]:
        return queue_counts(Case.objects.visible_to(user), user)

    return queue_counts_cached(user, compute) if cached else compute()


def case_notes(*, case: Case) -> QuerySet[CaseNote]:
    """The internal notes of a case the caller already got through ``case_get_for_user``
    (the scope), oldest first, with their authors."""
    return CaseNote.objects.filter(case=case).select_related("author", "author__organisation")


def case_resident_files(*, case: Case) -> list[str]:
    """The links to the resident's own photos and videos that came with the item (the
    ingest API, Open311 ``media_url``: ``channels.IngestRecord.attachment_urls``). Only
    links: the desk fetches nothing from an outside host."""
    try:
        record = case.ingest_record
    except Case.ingest_record.RelatedObjectDoesNotExist:
        return []
    return [u for u in (record.attachment_urls or []) if isinstance(u, str) and u]
