from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Category, District, Municipality, Notification, Organisation, User


class DistrictInline(admin.TabularInline):
    model = District
    extra = 0


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "region", "timezone"]
    search_fields = ["name", "slug", "region"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DistrictInline]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality"]
    list_filter = ["municipality"]
    search_fields = ["name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "municipality", "is_active"]
    list_filter = ["municipality", "kind", "is_active"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["parent"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent", "sort_order", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]


@admin.register(User)
class DeskUserAdmin(UserAdmin):
    list_display = [
        "username",
        "last_name",
        "first_name",
        "role",
        "municipality",
        "organisation",
        "is_active",
    ]
    list_filter = ["role", "municipality", "is_active", "is_staff"]
    search_fields = ["username", "last_name", "first_name", "email"]
    autocomplete_fields = ["organisation", "municipality"]
    fieldsets = (
        *UserAdmin.fieldsets,
        (
            _("Роль в МЦУ"),
            {
                "fields": (
                    "role",
                    "municipality",
                    "region",
                    "organisation",
                    "is_organisation_head",
                    "kinds",
                    "patronymic",
                    "phone",
                    "telegram_chat_id",
                )
            },
        ),
    )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "recipient",
        "event",
        "created_at",
        "read_at",
        "email_status",
        "telegram_status",
    ]
    list_filter = ["event", "email_status", "telegram_status"]
    search_fields = ["title", "key"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False
