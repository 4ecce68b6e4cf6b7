"""Admin pages of calendars, policies, rules and clocks.

Superusers edit everything. The head of a centre (role ``head``, staff) edits the schedule,
exceptions and rules of their own municipality and reads the national calendar, policies
and clocks. Every save enqueues the recomputation of the open clocks it may move
(``deadlines.recompute`` after commit): the admin calls services, no signals.
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mcu.admin_base import MunicipalAdmin, SuperuserEditsAdmin

from .models import (
    CalendarDay,
    Deadline,
    DeadlinePolicy,
    DeadlineRule,
    MunicipalCalendarException,
    WorkInterval,
    WorkSchedule,
)
from .tasks import recompute_deadlines as recompute_deadlines_task


def _recompute_later(**scope) -> None:
    transaction.on_commit(lambda: recompute_deadlines_task.delay(**scope))


def _calendar_changed_later(municipality_id: int | None) -> None:
    """A municipality's calendar changed, or the shared one (no municipality)."""
    if municipality_id:
        _recompute_later(municipality_id=municipality_id)
    else:
        _recompute_later(everything=True)


# ---------------------------------------------------------------------------------------
# Calendars
# ---------------------------------------------------------------------------------------


class WorkIntervalInline(admin.TabularInline):
    model = WorkInterval
    extra = 0
    fields = ["weekday", "start", "end"]


class WorkScheduleForm(forms.ModelForm):
    class Meta:
        model = WorkSchedule
        fields = ["municipality", "name", "shorten_minutes"]


@admin.register(WorkSchedule)
class WorkScheduleAdmin(MunicipalAdmin):
    form = WorkScheduleForm
    list_display = ["name", "municipality", "shorten_minutes", "updated_at"]
    inlines = [WorkIntervalInline]
    show_shared = True

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        schedule = form.instance
        # The intervals may have changed without the schedule row: bump its stamp so the
        # cached calendars of every process see a new version.
        WorkSchedule.objects.filter(pk=schedule.pk).update(updated_at=timezone.now())
        _calendar_changed_later(schedule.municipality_id)

    def delete_model(self, request, obj) -> None:
        municipality_id = obj.municipality_id
        super().delete_model(request, obj)
        _calendar_changed_later(municipality_id)

    def delete_queryset(self, request, queryset) -> None:
        # «Delete selected» must recompute too, like deleting one schedule.
        ids = set(queryset.values_list("municipality_id", flat=True))
        super().delete_queryset(request, queryset)
        for municipality_id in ids:
            _calendar_changed_later(municipality_id)


@admin.register(CalendarDay)
class CalendarDayAdmin(SuperuserEditsAdmin):
    list_display = ["date", "kind", "note", "year"]
    list_filter = ["year", "kind"]
    search_fields = ["note"]
    date_hierarchy = "date"
    fields = ["date", "kind", "note"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        _recompute_later(everything=True)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        _recompute_later(everything=True)

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        _recompute_later(everything=True)


@admin.register(MunicipalCalendarException)
class MunicipalCalendarExceptionAdmin(MunicipalAdmin):
    list_display = ["date", "municipality", "is_day_off", "intervals", "note"]
    list_filter = ["municipality", "is_day_off"]
    date_hierarchy = "date"
    fields = ["municipality", "date", "is_day_off", "intervals", "note"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        _recompute_later(municipality_id=obj.municipality_id)

    def delete_model(self, request, obj) -> None:
        municipality_id = obj.municipality_id
        super().delete_model(request, obj)
        _recompute_later(municipality_id=municipality_id)

    def delete_queryset(self, request, queryset) -> None:
        ids = set(queryset.values_list("municipality_id", flat=True))
        super().delete_queryset(request, queryset)
        for municipality_id in ids:
            _recompute_later(municipality_id=municipality_id)


# ---------------------------------------------------------------------------------------
# Policies and rules
# ---------------------------------------------------------------------------------------


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(SuperuserEditsAdmin):
    list_display = [
        "code",
        "name",
        "unit",
        "amount",
        "warn_share",
        "escalation_1_delay",
        "escalation_2_delay",
        "notify",
    ]
    search_fields = ["code", "name", "source"]
    list_filter = ["unit", "notify"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change:
            _recompute_later(policy_id=obj.pk)


def _channel_choices():
    # The channels are the cases app's; read through the app registry, not an import
    # (deadlines must not import cases, DESIGN §7).
    try:
        field = apps.get_model("cases", "Case")._meta.get_field("channel")
    except LookupError:
        return [("", "---------")]
    return [("", _("Любой")), *field.choices]


class DeadlineRuleForm(forms.ModelForm):
    channel = forms.TypedChoiceField(label=_("канал"), choices=_channel_choices, required=False)

    class Meta:
        model = DeadlineRule
        fields = [
            "stage",
            "kind",
            "channel",
            "categories",
            "fast_track",
            "municipality",
            "policy",
            "priority",
            "is_active",
            "note",
        ]


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(MunicipalAdmin):
    form = DeadlineRuleForm
    list_display = [
        "stage",
        "kind",
        "channel",
        "fast_track",
        "municipality",
        "policy",
        "priority",
        "is_active",
    ]
    list_filter = ["stage", "kind", "is_active", "municipality"]
    list_select_related = ["policy", "municipality"]
    filter_horizontal = ["categories"]
    show_shared = True

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # After the categories are saved: the rule may now win or lose for open clocks.
        if change and {"stage", "kind", "municipality"} & set(form.changed_data):
            # It may also have stopped applying where it used to: everything covers both.
            _recompute_later(everything=True)
        else:
            _recompute_later(rule_id=form.instance.pk)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        _recompute_later(everything=True)

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        _recompute_later(everything=True)


# ---------------------------------------------------------------------------------------
# Clocks: read-only (they are written by the workflow and the sweep)
# ---------------------------------------------------------------------------------------


@admin.register(Deadline)
class DeadlineAdmin(SuperuserEditsAdmin):
    list_display = [
        "case",
        "stage",
        "policy",
        "started_at",
        "due_at",
        "met_at",
        "breached_at",
        "cancelled_at",
        "escalation_level",
    ]
    list_filter = ["stage", "policy", "escalation_level"]
    list_select_related = ["case", "policy"]
    date_hierarchy = "due_at"
    raw_id_fields = ["case"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(case__municipality_id=request.user.municipality_id)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
