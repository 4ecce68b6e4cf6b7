from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _

from .admin_base import MunicipalAdmin, SuperuserEditsAdmin, SuperuserOnlyAdmin, is_head
from .choices import CaseKind, Role
from .models import Category, District, Municipality, Notification, Organisation, User

#: Roles a head of a centre may give; observers (region level) and superusers are set up
#: by a superuser.
HEAD_GRANTABLE_ROLES = (
    Role.CURATOR,
    Role.HEAD,
    Role.ADMINISTRATOR,
    Role.EXECUTOR,
    Role.INTEGRATION,
)
#: Fields a head never sees in the user form: nothing that grants admin rights.
SUPERUSER_ONLY_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions", "region")


class DistrictInline(admin.TabularInline):
    model = District
    extra = 0


@admin.register(Municipality)
class MunicipalityAdmin(SuperuserEditsAdmin):
    list_display = ["name", "slug", "region", "timezone"]
    search_fields = ["name", "slug", "region"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DistrictInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(pk=request.user.municipality_id)


@admin.register(District)
class DistrictAdmin(MunicipalAdmin):
    list_display = ["name", "municipality"]
    list_filter = ["municipality"]
    search_fields = ["name"]


@admin.register(Organisation)
class OrganisationAdmin(MunicipalAdmin):
    list_display = ["name", "short_name", "kind", "municipality", "is_active"]
    list_filter = ["municipality", "kind", "is_active"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["parent"]


@admin.register(Category)
class CategoryAdmin(SuperuserEditsAdmin):
    list_display = ["name", "code", "level", "parent", "sort_order", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]


class DeskUserChangeForm(UserChangeForm):
    """The coordinated kinds as checkboxes, not a JSON list typed by hand."""

    kinds = forms.MultipleChoiceField(
        label=_("Координируемые виды сообщений"),
        choices=CaseKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Для администратора: ни одного — все виды."),
    )


@admin.register(User)
class DeskUserAdmin(MunicipalAdmin, UserAdmin):
    """Superusers manage everyone; the head of a centre manages the staff and executors of
    their municipality, without any field that grants admin rights."""

    form = DeskUserChangeForm

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

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        return [
            (
                name,
                {**opts, "fields": [f for f in opts["fields"] if f not in SUPERUSER_ONLY_FIELDS]},
            )
            for name, opts in fieldsets
        ]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [("", "---------")] + [
                (value, label) for value, label in Role.choices if value in HEAD_GRANTABLE_ROLES
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if not request.user.is_superuser and is_head(request):
            # A head's new user belongs to the head's municipality, and never gets admin
            # rights through this form.
            obj.municipality_id = request.user.municipality_id
            if not change:
                obj.is_staff = obj.is_superuser = False
        super().save_model(request, obj, form, change)


@admin.register(Notification)
class NotificationAdmin(SuperuserOnlyAdmin):
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
