"""Admin pages of calendars, policies, rules and clocks.

Superusers edit everything. The head of a centre (role ``head``, staff) edits the schedule,
exceptions and rules of their own municipality and reads the national calendar, policies
and clocks. Every save enqueues the recomputation of the open clocks it may move
through ``deadlines.services`` (an outbox row, run after the commit or by beat): the
admin calls services, no signals.
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mcu.admin_base import MunicipalAdmin, MunicipalViewAdmin, SuperuserEditsAdmin

from . import services
from .models import (
    CalendarDay,
    Deadline,
    DeadlinePolicy,
    DeadlineRule,
    MunicipalCalendarException,
    WorkInterval,
    WorkSchedule,
)


class ConfigAdminMixin:
    """Saves and deletes go through ``deadlines.services``: they decide which open clocks
    move and record the recompute in the same transaction (an outbox row)."""

    def save_model(self, request, obj, form, change) -> None:
        if isinstance(obj, WorkSchedule):
            # The intervals come in save_related; the recompute is recorded there.
            obj.save()
            return
        services.deadline_config_save(
            obj=obj, changed_fields=form.changed_data if change else (), is_new=not change
        )

    def delete_model(self, request, obj) -> None:
        services.deadline_config_delete(objs=[obj])

    def delete_queryset(self, request, queryset) -> None:
        # «Delete selected» recomputes too, like deleting one row.
        services.deadline_config_delete(objs=list(queryset))


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
class WorkScheduleAdmin(ConfigAdminMixin, MunicipalAdmin):
    form = WorkScheduleForm
    list_display = ["name", "municipality", "shorten_minutes", "updated_at"]
    inlines = [WorkIntervalInline]
    show_shared = True

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.deadline_config_save(obj=form.instance, changed_fields=form.changed_data)


@admin.register(CalendarDay)
class CalendarDayAdmin(ConfigAdminMixin, SuperuserEditsAdmin):
    list_display = ["date", "kind", "note", "year"]
    list_filter = ["year", "kind"]
    search_fields = ["note"]
    date_hierarchy = "date"
    fields = ["date", "kind", "note"]


@admin.register(MunicipalCalendarException)
class MunicipalCalendarExceptionAdmin(ConfigAdminMixin, MunicipalAdmin):
    list_display = ["date", "municipality", "is_day_off", "intervals", "note"]
    list_filter = ["municipality", "is_day_off"]
    date_hierarchy = "date"
    fields = ["municipality", "date", "is_day_off", "intervals", "note"]


# ---------------------------------------------------------------------------------------
# Policies and rules
# ---------------------------------------------------------------------------------------


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(ConfigAdminMixin, SuperuserEditsAdmin):
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
class DeadlineRuleAdmin(ConfigAdminMixin, MunicipalAdmin):
    form = DeadlineRuleForm
    list_display = [
        "stage",
        "kind",
        "channel_label",
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

    @admin.display(description=_("канал"), ordering="channel")
    def channel_label(self, obj) -> str:
        # The field holds the cases app's code (no choices here, DESIGN §7): its label.
        if not obj.channel:
            return _("Любой")
        return str(dict(_channel_choices()).get(obj.channel, obj.channel))

    def save_model(self, request, obj, form, change) -> None:
        # The categories come in save_related; the recompute is recorded there.
        obj.save()

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # After the categories are saved: the rule may now win or lose for open clocks.
        services.deadline_config_save(
            obj=form.instance, changed_fields=form.changed_data if change else ("stage",)
        )


# ---------------------------------------------------------------------------------------
# Clocks: read-only (they are written by the workflow and the sweep)
# ---------------------------------------------------------------------------------------


@admin.register(Deadline)
class DeadlineAdmin(MunicipalViewAdmin):
    municipality_field = "case__municipality"
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

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
