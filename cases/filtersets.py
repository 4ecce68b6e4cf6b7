"""One filterset for the case list: the page and the API use the same class (NetBox)."""

import zoneinfo
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from deadlines.selectors import (
    annotate_nearest_due,
    case_clock_condition,
    case_overdue_condition,
    has_running_clocks,
    with_nearest_due,
)
from deadlines.state import q_at_risk
from mcu.forms import CategoryTreeField
from mcu.models import Category, District, Municipality, Organisation
from mcu.text import fold
from mcu.timefmt import user_zone

from .choices import CaseKind, CaseStatus, Channel
from .models import Case

TRUE_VALUES = {"true", "1", "on", "yes"}
FALSE_VALUES = {"false", "0", "off", "no"}


class StrictBooleanWidget(forms.NullBooleanSelect):
    """Passes the raw value on: the field, not the widget, decides what is a boolean."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0, on/off, yes/no); empty or absent is "no filter"; anything else
    is an error naming the field (a 400 in the API), never silently "no filter"."""

    widget = StrictBooleanWidget

    def to_python(self, value):
        if isinstance(value, bool) or value is None:
            return value
        text = str(value).strip().lower()
        if text in ("", "unknown"):
            return None
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise ValidationError(_("Ожидается true или false."), code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


def _category_subtree_ids(category: Category) -> list[int]:
    return sorted(Category.subtree_of([category.pk]))


class CaseOrderingFilter(django_filters.OrderingFilter):
    """Ordering that can sort by the nearest running clock (``?ordering=deadline``)."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(p) for p in value if p not in EMPTY_VALUES]
        if not any(o.lstrip("-") == "nearest_due_at" for o in ordering):
            return qs.order_by(*ordering)
        if "nearest_due_at" not in qs.query.annotations:
            # The list prefetches the clocks already; the API gets both.
            qs = annotate_nearest_due(qs) if has_running_clocks(qs) else with_nearest_due(qs)
        # Cases without a running clock go last in both directions.
        expressions = [
            F("nearest_due_at").desc(nulls_last=True)
            if o == "-nearest_due_at"
            else F("nearest_due_at").asc(nulls_last=True)
            if o == "nearest_due_at"
            else o
            for o in ordering
        ]
        return qs.order_by(*expressions, "pk")


def _visible(model):
    """The choices of a filter: only what the user may see, so a list never offers (or
    names) an organisation or district of another municipality. Without a request (an
    internal caller) every row is a valid choice; the cases themselves are scoped anyway."""

    def queryset(request):
        user = getattr(request, "user", None)
        if user is None:
            return model.objects.all()
        if model is Municipality:
            return Municipality.objects.visible_to(user)
        return model.objects.filter(municipality__in=Municipality.objects.visible_to(user))

    return queryset


class CategoryTreeFilter(django_filters.ModelChoiceFilter):
    """The category filter as a tree (indented, searchable: mcu.forms.CategoryTreeField)."""

    field_class = CategoryTreeField


class CaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Поиск"))
    municipality = django_filters.ModelChoiceFilter(
        queryset=_visible(Municipality),
        to_field_name="slug",
        label=_("МО"),
        distinct=False,
        empty_label=_("МО: все"),
    )
    # distinct=False everywhere: every filter is a column of the case or a foreign key
    # from it (no row is repeated by a join), and DISTINCT over a million rows is a sort.
    kind = django_filters.MultipleChoiceFilter(
        choices=CaseKind.choices, label=_("Вид"), distinct=False
    )
    channel = django_filters.MultipleChoiceFilter(
        choices=Channel.choices, label=_("Канал"), distinct=False
    )
    status = django_filters.MultipleChoiceFilter(
        choices=CaseStatus.choices, label=_("Статус"), distinct=False
    )
    organization = django_filters.ModelChoiceFilter(
        field_name="organisation",
        queryset=_visible(Organisation),
        label=_("Исполнитель"),
        distinct=False,
        empty_label=_("Исполнитель: все"),
    )
    category = CategoryTreeFilter(
        queryset=Category.objects.order_by("sort_order", "name"),
        method="filter_category",
        label=_("Категория"),
        distinct=False,
        empty_label=_("Категория: все"),
    )
    district = django_filters.ModelChoiceFilter(
        queryset=_visible(District), label=_("Район"), distinct=False, empty_label=_("все")
    )
    fast_track = StrictBooleanFilter(label=_("Повышенная важность"))
    # Local dates of each case's own municipality (the analytics' periods read them so
    # too: analytics.indicators.Scope.in_period), not of the reader's zone — an observer
    # of a region works in no municipality, and its municipalities may differ in zone.
    received_after = django_filters.DateFilter(
        field_name="received_at", method="filter_received_after", label=_("Поступило с")
    )
    received_before = django_filters.DateFilter(
        field_name="received_at", method="filter_received_before", label=_("Поступило по")
    )
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("Просрочено"))
    due_today = StrictBooleanFilter(method="filter_due_today", label=_("Срок сегодня"))
    at_risk = StrictBooleanFilter(method="filter_at_risk", label=_("Срок близок"))
    ordering = CaseOrderingFilter(
        fields=(
            ("received_at", "received_at"),
            ("registration_number", "number"),
            ("status", "status"),
            ("id", "id"),
            ("nearest_due_at", "deadline"),
        ),
        label=_("Сортировка"),
    )

    class Meta:
        model = Case
        fields = [
            "q",
            "municipality",
            "kind",
            "channel",
            "status",
            "organization",
            "category",
            "district",
            "fast_track",
            "received_after",
            "received_before",
            "overdue",
            "due_today",
            "at_risk",
        ]

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

    @staticmethod
    def _apply(queryset, value: bool, condition: Exists):
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_overdue(self, queryset, name, value):
        # An obligation clock past due that still runs: not met, not stopped.
        return self._apply(queryset, value, case_overdue_condition())

    def filter_at_risk(self, queryset, name, value):
        # The warning share of the term has passed, not yet due (deadlines.state).
        return self._apply(queryset, value, case_clock_condition(q_at_risk()))

    def _zones(self) -> dict[str, list[int]]:
        """Zone name → the ids of the visible municipalities in it (read once)."""
        if not hasattr(self, "_zones_cache"):
            user = getattr(self.request, "user", None)
            muns = (
                Municipality.objects.all()
                if user is None
                else Municipality.objects.visible_to(user)
            )
            zones: dict[str, list[int]] = {}
            for pk, zone in muns.values_list("pk", "timezone").order_by("pk"):
                zones.setdefault(zone, []).append(pk)
            self._zones_cache = zones
        return self._zones_cache

    def filter_received_after(self, queryset, name, value):
        return self._received(queryset, value, after=True)

    def filter_received_before(self, queryset, name, value):
        return self._received(queryset, value, after=False)

    def _received(self, queryset, value, *, after: bool):
        """``received_after``/``received_before``: from the local midnight that starts
        ``value``, or before the one that ends it, in each case's municipality's zone. One
        range on ``received_at`` per zone (one zone: a plain range the index serves)."""
        day = value if after else value + timedelta(days=1)
        lookup = "received_at__gte" if after else "received_at__lt"
        zones = self._zones()
        if len(zones) <= 1:
            zone = next(iter(zones), None)
            tz = zoneinfo.ZoneInfo(zone) if zone else timezone.get_current_timezone()
            return queryset.filter(**{lookup: datetime.combine(day, time(0), tzinfo=tz)})
        cond = Q(pk__in=[])
        for zone, ids in zones.items():
            midnight = datetime.combine(day, time(0), tzinfo=zoneinfo.ZoneInfo(zone))
            cond |= Q(municipality_id__in=ids, **{lookup: midnight})
        return queryset.filter(cond)

    def filter_due_today(self, queryset, name, value):
        # A running clock due today, "today" in the user's municipality zone.
        tz = user_zone(getattr(self.request, "user", None)) or timezone.get_current_timezone()
        today = timezone.now().astimezone(tz).date()
        start = datetime.combine(today, time(0), tzinfo=tz)
        end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)
        return self._apply(queryset, value, case_clock_condition(due_at__gte=start, due_at__lt=end))
