"""Who may do what in the Django admin.

Superusers configure everything. The head of a centre (role ``head``, staff) runs it
(DESIGN §1: «manages staff, executors, rules, calendars»): they edit the rows of their own
municipality and read the shared ones, with no model permissions to hand out by hand.
"""

from django.contrib import admin
from django.utils.translation import gettext as _

from .choices import Role

# Django writes «Выберите %s для изменения» and «Добавить %s» with the verbose name in the
# nominative («Выберите категория»). Russian wants the accusative there: the forms that
# differ (feminine nouns, animate masculine ones); the rest read the same in both cases.
ACCUSATIVE = {
    "категория": "категорию",
    "организация-исполнитель": "организацию-исполнителя",
    "загрузка через API": "загрузку через API",
    "реакция заявителя": "реакцию заявителя",
    "пользователь": "пользователя",
}


def accusative(model) -> str:
    name = str(model._meta.verbose_name)
    return ACCUSATIVE.get(name, name)


class RussianTitlesMixin:
    """The admin's page titles in grammatical Russian (the accusative after «Выберите»,
    «Добавить», «Изменить»)."""

    def changelist_view(self, request, extra_context=None):
        what = accusative(self.model)
        if self.has_change_permission(request):
            title = _("Выберите %s для изменения") % what
        else:
            title = _("Выберите %s для просмотра") % what
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def add_view(self, request, form_url="", extra_context=None):
        title = _("Добавить %s") % accusative(self.model)
        return super().add_view(request, form_url, {"title": title, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        obj = self.get_object(request, admin.utils.unquote(object_id))
        if obj is not None and self.has_change_permission(request, obj):
            extra.setdefault("title", _("Изменить %s") % accusative(self.model))
        return super().change_view(request, object_id, form_url, extra)


def is_head(request) -> bool:
    user = request.user
    return bool(
        user.is_active and user.is_staff and user.role == Role.HEAD and user.municipality_id
    )


class SuperuserEditsAdmin(RussianTitlesMixin, admin.ModelAdmin):
    """Superusers edit; heads of centres may look."""

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or is_head(request)

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


class MunicipalAdmin(SuperuserEditsAdmin):
    """Heads edit the rows of their own municipality; shared rows (no municipality) only
    superusers. ``municipality_field`` names the lookup to the Municipality."""

    municipality_field = "municipality"
    show_shared = False  # list the shared rows (read-only for heads) too

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        field = self.municipality_field
        own = qs.filter(**{f"{field}_id": request.user.municipality_id})
        if self.show_shared:
            return own | qs.filter(**{f"{field}__isnull": True})
        return own

    def _own(self, request, obj) -> bool:
        if obj is None:
            return True
        return getattr(obj, f"{self.municipality_field}_id") == request.user.municipality_id

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser or is_head(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or (is_head(request) and self._own(request, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            model = db_field.related_model
            mun = request.user.municipality_id
            if db_field.name == self.municipality_field:
                kwargs["queryset"] = model.objects.filter(pk=mun)
                kwargs["required"] = True
            elif any(f.name == "municipality" for f in model._meta.fields):
                # Organisations, districts, users of other municipalities are not offered.
                kwargs["queryset"] = model.objects.filter(municipality_id=mun)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SuperuserOnlyAdmin(RussianTitlesMixin, admin.ModelAdmin):
    """Cases, answers, feedback and notifications hold residents' personal data across
    municipalities: in the admin they are the superuser's alone, whatever model
    permissions a staff group may be given. Staff work with them in the desk itself,
    where every screen is scoped."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)
