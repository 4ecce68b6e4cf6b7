from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .admin_base import (
    DeskModelAdmin,
    MunicipalAdmin,
    SuperuserEditsAdmin,
    SuperuserOnlyAdmin,
    is_head,
)
from .choices import CaseKind, Role
from .exceptions import DeskError
from .models import ApiToken, Category, District, Municipality, Notification, Organisation, User
from .notices import NOTICE_KINDS
from .tokens import (
    api_token_issue,
    api_token_revoke,
    api_token_rotate,
    api_tokens_managed_by,
    integration_users_managed_by,
)

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


class NoticeKindFilter(admin.SimpleListFilter):
    """The kind of a notice by its name («Ответ возвращён»), not its code."""

    title = _("событие")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return [(code, label) for code, (label, _status) in NOTICE_KINDS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(SuperuserOnlyAdmin):
    list_display = [
        "title",
        "recipient",
        "event_label",
        "created_at",
        "read_at",
        "email_status",
        "telegram_status",
    ]
    list_filter = [NoticeKindFilter, "email_status", "telegram_status"]
    search_fields = ["title", "key"]
    # The kind by its name, not its code, on the notice's page too.
    readonly_fields = [
        "event_label" if f.name == "event" else f.name for f in Notification._meta.fields
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("событие"), ordering="event")
    def event_label(self, obj) -> str:
        return str(NOTICE_KINDS.get(obj.event, (obj.event, None))[0])


class ApiTokenAdminForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "scope", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(DeskModelAdmin):
    """API keys: superusers see all, the head of a centre those of their municipality's
    integration accounts. A key is issued, rotated and revoked through ``mcu.tokens``
    (the same services as the «Интеграции» page), and shown once, in the answer that
    issues it; the admin's history of a key is written by those services."""

    form = ApiTokenAdminForm
    list_display = [
        "prefix",
        "name",
        "user",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "state_label",
    ]
    list_filter = ["scope"]
    search_fields = ["prefix", "name", "user__username"]
    actions = ["rotate_selected", "revoke_selected"]
    readonly_fields = [
        "prefix",
        "user",
        "scope",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
        "replaced_by",
    ]

    @admin.display(description=_("состояние"))
    def state_label(self, obj) -> str:
        return {
            "active": _("действует"),
            "grace": _("заменён, ещё действует"),
            "expired": _("истёк"),
            "revoked": _("отозван"),
        }[obj.state()]

    def _manages(self, request) -> bool:
        return request.user.is_active and (request.user.is_superuser or is_head(request))

    def has_module_permission(self, request) -> bool:
        return self._manages(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._manages(request)

    def has_add_permission(self, request) -> bool:
        return self._manages(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._manages(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoked keys stay as the record of who could call the API when.
        return request.user.is_superuser

    def get_queryset(self, request):
        return api_tokens_managed_by(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "scope", "expires_at"]
        return ["name", *self.readonly_fields]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = integration_users_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        lifetime = None
        if obj.expires_at is not None:
            lifetime = obj.expires_at - timezone.now()
        try:
            token, key = api_token_issue(
                actor=request.user, user=obj.user, name=obj.name, scope=obj.scope, lifetime=lifetime
            )
        except DeskError as exc:
            raise PermissionDenied(str(exc.message)) from exc
        # The admin goes on with the row the service wrote.
        obj.__dict__.update(token.__dict__)
        request._issued_api_key = key

    def log_addition(self, request, obj, message):
        return None  # the service wrote the history line (without the key)

    def response_add(self, request, obj, post_url_continue=None):
        key = getattr(request, "_issued_api_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        return self._keys_page(request, [(obj, key)])

    def _keys_page(self, request, issued):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Ключ выпущен: скопируйте его сейчас"),
            "issued": issued,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/mcu/apitoken/issued.html", context)

    @admin.action(description=_("Перевыпустить выбранные ключи"))
    def rotate_selected(self, request, queryset):
        issued = []
        for token in queryset:
            try:
                issued.append(api_token_rotate(actor=request.user, pk=token.pk))
            except DeskError as exc:
                self.message_user(request, f"{token.prefix}…: {exc.message}", messages.ERROR)
        if issued:
            return self._keys_page(request, issued)
        return None

    @admin.action(description=_("Отозвать выбранные ключи"))
    def revoke_selected(self, request, queryset):
        done = 0
        for token in queryset:
            try:
                api_token_revoke(actor=request.user, pk=token.pk)
                done += 1
            except DeskError as exc:
                self.message_user(request, f"{token.prefix}…: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("Отозвано ключей: %(n)s.") % {"n": done})


# -- Django's groups and django-axes' records, in the desk's admin voice -------------------
# Their verbose names are not ours to change (a migration of their apps would follow):
# the titles take the accusative from ``title_accusative``, the actions select its prompt.


def _redress(model, base, accusative: str) -> None:
    if not admin.site.is_registered(model):  # e.g. AXES_ENABLE_ADMIN off
        return
    admin.site.unregister(model)
    admin.site.register(
        model, type(base.__name__, (DeskModelAdmin, base), {"title_accusative": accusative})
    )


def _redress_third_party() -> None:
    # Importing their admin modules registers them first, whatever the order of the apps.
    from axes import admin as axes_admin
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.admin import GroupAdmin
    from django.contrib.auth.models import Group

    _redress(Group, GroupAdmin, _("группу"))
    _redress(AccessAttempt, axes_admin.AccessAttemptAdmin, _("запись о попытке доступа"))
    _redress(AccessLog, axes_admin.AccessLogAdmin, _("запись о доступе"))
    _redress(AccessFailureLog, axes_admin.AccessFailureLogAdmin, _("ошибку доступа"))


_redress_third_party()
