"""The import's mappings are edited here (heads: their municipality's own; superusers:
the shared ones too); the jobs are read here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mcu.admin_base import MunicipalAdmin, SuperuserOnlyAdmin

from .models_import import MAPPED_FIELDS, ImportJob, ImportMapping


@admin.register(ImportMapping)
class ImportMappingAdmin(MunicipalAdmin):
    show_shared = True
    list_display = ("name", "municipality", "is_default", "source", "default_channel")
    list_filter = ("is_default",)
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "municipality", "is_default", "source", "default_channel")}),
        (_("Колонки выгрузки"), {"fields": [f"col_{name}" for name in MAPPED_FIELDS]}),
    )


@admin.register(ImportJob)
class ImportJobAdmin(SuperuserOnlyAdmin):
    """Rejected rows hold residents' personal data: the superuser's alone here; staff see
    their municipality's jobs on the import page."""

    list_display = (
        "original_name",
        "municipality",
        "uploaded_by",
        "status",
        "created_count",
        "duplicate_count",
        "rejected_count",
        "created_at",
    )
    list_filter = ("status", "municipality")
    exclude = ("rejected_rows",)
    readonly_fields = [f.name for f in ImportJob._meta.fields if f.name != "rejected_rows"]

    def has_add_permission(self, request) -> bool:
        return False
