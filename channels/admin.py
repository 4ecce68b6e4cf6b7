"""The auto-rules in the admin: the head of a centre edits their municipality's list in
order and sees each rule's hit count and last hit (Ставрополь 3 п. 7)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mcu.admin_base import MunicipalAdmin, MunicipalViewAdmin

from .models import AutoRule, IngestRecord, ProblemCluster, RoutingModel


@admin.register(AutoRule)
class AutoRuleAdmin(MunicipalAdmin):
    list_display = [
        "position",
        "name",
        "municipality",
        "is_active",
        "stop",
        "hit_count",
        "last_hit_at",
    ]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    list_filter = ["municipality", "is_active"]
    search_fields = ["name", "keywords", "text_regex"]
    readonly_fields = ["hit_count", "last_hit_at"]
    fieldsets = [
        (None, {"fields": ["municipality", "name", "position", "is_active", "stop"]}),
        (
            _("Условия (все заполненные должны выполняться)"),
            {
                "fields": [
                    "channel",
                    "kind",
                    "category",
                    "district",
                    "keywords",
                    "text_regex",
                    "address_contains",
                ]
            },
        ),
        (
            _("Действия"),
            {
                "fields": [
                    "set_organisation",
                    "set_category",
                    "set_district",
                    "propose_fast_track",
                ]
            },
        ),
        (_("Статистика"), {"fields": ["hit_count", "last_hit_at"]}),
    ]


@admin.register(RoutingModel)
class RoutingModelAdmin(MunicipalViewAdmin):
    list_display = ["municipality", "version", "trained_at", "sample_count", "label_count"]
    readonly_fields = ["municipality", "version", "trained_at", "sample_count", "label_count"]
    exclude = ["blob"]


@admin.register(ProblemCluster)
class ProblemClusterAdmin(MunicipalViewAdmin):
    list_display = ["pk", "municipality", "primary", "status", "created_at"]
    list_filter = ["status", "municipality"]
    raw_id_fields = ["primary"]


@admin.register(IngestRecord)
class IngestRecordAdmin(MunicipalViewAdmin):
    """What the integrations delivered, read-only: superusers see all, the head of a
    centre their municipality's. The resident's name and contacts stay on the card (the
    desk's scoped screen); here are the case's number, the account, the source's category
    code and the links the source gave."""

    municipality_field = "case__municipality"

    list_display = [
        "case",
        "case_channel",
        "integration",
        "category_hint",
        "attachment_count",
        "created_at",
    ]
    # Only the accounts of the rows the user may see (not every user of the desk).
    list_filter = ["case__channel", ("integration", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["case", "integration"]
    search_fields = ["case__registration_number", "case__external_id", "category_hint"]
    date_hierarchy = "created_at"
    fields = [
        "case",
        "case_channel",
        "integration",
        "category_hint",
        "attachment_urls",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("канал"), ordering="case__channel")
    def case_channel(self, obj) -> str:
        return obj.case.get_channel_display()

    @admin.display(description=_("вложений"))
    def attachment_count(self, obj) -> int:
        return len(obj.attachment_urls or [])

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


from .admin_import import ImportJobAdmin, ImportMappingAdmin  # noqa: E402, F401
