"""One filterset for the case list: the page and the API use the same class (NetBox)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mcu.models import Category, District, Municipality, Organisation
from mcu.text import fold

from .choices import CaseKind, CaseStatus, Channel
from .models import Case


def _category_subtree_ids(category: Category) -> list[int]:
    ids, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = list(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


class CaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Поиск"))
    municipality = django_filters.ModelChoiceFilter(
        queryset=Municipality.objects.all(), to_field_name="slug", label=_("МО")
    )
    kind = django_filters.MultipleChoiceFilter(choices=CaseKind.choices, label=_("Вид"))
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, label=_("Канал"))
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices, label=_("Статус"))
    organization = django_filters.ModelChoiceFilter(
        field_name="organisation", queryset=Organisation.objects.all(), label=_("Исполнитель")
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), method="filter_category", label=_("Категория")
    )
    district = django_filters.ModelChoiceFilter(queryset=District.objects.all(),
                                                label=_("Район"))
    fast_track = django_filters.BooleanFilter(label=_("Повышенная важность"))
    received_after = django_filters.DateFilter(
        field_name="received_at", lookup_expr="date__gte", label=_("Поступило с")
    )
    received_before = django_filters.DateFilter(
        field_name="received_at", lookup_expr="date__lte", label=_("Поступило по")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("received_at", "received_at"), ("registration_number", "number"),
                ("status", "status"), ("id", "id")),
        label=_("Сортировка"),
    )

    class Meta:
        model = Case
        fields = ["q", "municipality", "kind", "channel", "status", "organization", "category",
                  "district", "fast_track", "received_after", "received_before"]

    def filter_q(self, queryset, name, value):
        # Folded on both sides: «Ёлка», «ЕЛКА» and «елка» find the same case.
        words = fold(value).split()
        cond = Q()
        for word in words:
            cond &= Q(search_text__contains=word)
        return queryset.filter(cond)

    def filter_category(self, queryset, name, value):
        # A sector finds the cases of all its categories and subcategories.
        return queryset.filter(category_id__in=_category_subtree_ids(value))
