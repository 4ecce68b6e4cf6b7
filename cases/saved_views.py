"""A person's saved list views (``SavedView``): the selector and the two services.

A view keeps only the list's own parameters (queue, filters, order, page size), never its
position (page, cursor) or an export switch, so a saved link always opens the first page
of what it names. Each person keeps at most ``MAX_VIEWS``; saving under an existing name
replaces that view's parameters.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from mcu.exceptions import InvalidInput, NotFound

from .filtersets import CaseFilterSet
from .models import SavedView

MAX_VIEWS = 30
#: the list's parameters that are not filters of ``CaseFilterSet``
LIST_PARAMETERS = ("queue", "ordering", "per_page")


def saved_views_for(user) -> QuerySet[SavedView]:
    return SavedView.objects.filter(owner=user)


def saved_view_query(params: QueryDict) -> str:
    """The parameters of a list URL that a view keeps, in a stable order."""
    keep = set(CaseFilterSet.base_filters) | set(LIST_PARAMETERS)
    pairs = [
        (name, value)
        for name in sorted(params)
        if name in keep
        for value in params.getlist(name)
        if value != ""
    ]
    return urlencode(pairs)


@transaction.atomic
def saved_view_save(*, owner, name: str, params: QueryDict) -> SavedView:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("Назовите вид: например, «Просроченные по дорогам»."), field="name")
    if len(name) > 60:
        raise InvalidInput(_("Название вида — не длиннее 60 символов."), field="name")
    query = saved_view_query(params)
    view = SavedView.objects.select_for_update().filter(owner=owner, name=name).first()
    if view is not None:
        view.query = query
        view.save(update_fields=["query"])
        return view
    if saved_views_for(owner).count() >= MAX_VIEWS:
        raise InvalidInput(
            _("Сохранено уже %(n)s видов: удалите ненужный.") % {"n": MAX_VIEWS}, field="name"
        )
    return SavedView.objects.create(owner=owner, name=name, query=query, created_at=timezone.now())


def saved_view_delete(*, owner, pk) -> None:
    deleted, _rows = saved_views_for(owner).filter(pk=pk).delete()
    if not deleted:
        raise NotFound()
