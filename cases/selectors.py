"""Reads of cases. Every one starts from ``Case.objects.visible_to(user)``."""

from django.db.models import QuerySet

from mcu.exceptions import NotFound

from .filtersets import CaseFilterSet
from .models import Case, CaseEvent


def case_base_queryset(*, user) -> QuerySet[Case]:
    return Case.objects.visible_to(user).select_related(
        "municipality", "district", "category", "category__parent", "organisation", "assignee"
    )


def case_list(*, user, filters=None) -> QuerySet[Case]:
    """The visible cases narrowed by the list's filterset (the page and the API share it)."""
    qs = case_base_queryset(user=user)
    return CaseFilterSet(filters or {}, queryset=qs, request=None).qs


def case_get_for_user(*, user, pk, for_update: bool = False) -> Case:
    """The only way from a pk to a case: 404 for missing and for invisible alike."""
    qs = Case.objects.visible_to(user)
    if for_update:
        qs = qs.select_for_update()
    else:
        qs = qs.select_related(
            "municipality", "district", "category", "category__parent", "organisation",
            "assignee",
        )
    try:
        return qs.get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "id")
