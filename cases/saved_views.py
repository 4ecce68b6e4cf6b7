"""A person's list preferences: saved views (``SavedView``) and the page size and columns
(``mcu.ListSettings``), their selectors and services.

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
from django.utils.translation import gettext_lazy

from mcu.exceptions import InvalidInput, NotFound
from mcu.models import ListSettings

from .filtersets import CaseFilterSet
from .models import SavedView

MAX_VIEWS = 30
PAGE_SIZE = 50
PAGE_SIZES = (25, 50, 100)
# The columns a user may hide («Столбцы», kept in ``mcu.ListSettings``); the number and the
# text always show, and «МО» for the observer.
OPTIONAL_COLUMNS = {
    "received": gettext_lazy("Поступило"),
    "category": gettext_lazy("Категория"),
    "organisation": gettext_lazy("Исполнитель"),
    "status": gettext_lazy("Статус"),
    "deadline": gettext_lazy("Срок"),
}
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


def list_settings_for(user) -> ListSettings | None:
    """The person's page size and hidden columns, or None (the defaults)."""
    return ListSettings.objects.filter(user=user).first()


def list_settings_save(*, user, per_page, shown) -> ListSettings:
    """Keep the page size (one of ``PAGE_SIZES``) and the shown columns (of
    ``OPTIONAL_COLUMNS``; the others are hidden) for the person's next visits."""
    try:
        page_size = int(per_page)
    except (TypeError, ValueError):
        page_size = 0
    if page_size not in PAGE_SIZES:
        raise InvalidInput(
            _("per_page: выберите 25, 50 или 100 строк на странице."), field="per_page"
        )
    shown = set(shown)
    unknown = shown - set(OPTIONAL_COLUMNS)
    if unknown:
        raise InvalidInput(
            _("columns: неизвестные столбцы: %(names)s.") % {"names": ", ".join(sorted(unknown))},
            field="columns",
        )
    settings, _created = ListSettings.objects.update_or_create(
        user=user,
        defaults={
            "page_size": page_size,
            "hidden_columns": [name for name in OPTIONAL_COLUMNS if name not in shown],
        },
    )
    return settings
