from django.contrib import admin

from .models import Case, CaseEvent


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "action", "from_status", "to_status", "reason", "payload"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-mostly: the workflow changes cases through services, not through the admin."""

    list_display = ["__str__", "municipality", "kind", "channel", "status", "organisation",
                    "received_at", "fast_track"]
    list_filter = ["municipality", "kind", "channel", "status", "fast_track"]
    search_fields = ["registration_number", "external_id", "search_text"]
    date_hierarchy = "received_at"
    list_select_related = ["municipality", "organisation"]
    raw_id_fields = ["repeats", "duplicate_of", "assignee"]
    readonly_fields = ["status", "version", "created_at", "updated_at", "published_at",
                       "closed_at", "repeat_count"]
    inlines = [CaseEventInline]


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["case", "at", "actor", "action", "from_status", "to_status"]
    list_filter = ["action"]
    raw_id_fields = ["case", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
