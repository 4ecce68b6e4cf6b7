"""Who may do what in the Django admin.

Superusers configure everything. The head of a centre (role ``head``, staff) runs it
(DESIGN §1: «manages staff, executors, rules, calendars»): they edit the rows of their own
municipality and read the shared ones, with no model permissions to hand out by hand.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .choices import Role

# Django writes «Выберите %s для изменения», «Добавить %s», «Изменить %s» with the model's
# verbose name: the models name themselves in the accusative where it differs from the
# nominative (feminine nouns, animate masculine ones — «категорию»,
# «организацию-исполнителя», «пользователя»), so the titles read as Russian.


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A foreign-key filter of the list that offers a head only what is theirs: their own
    municipality, the organisations, districts, users of it, and of the shared rows
    (categories, policies) those the rows they can see refer to. Superusers see all."""

    def field_choices(self, field, request, model_admin):
        if request.user.is_superuser:
            return super().field_choices(field, request, model_admin)
        model = field.related_model
        mun = request.user.municipality_id
        if model._meta.label_lower == "mcu.municipality":
            limit = {"pk": mun}
        elif any(f.name == "municipality" for f in model._meta.fields):
            limit = {"municipality_id": mun}
        else:
            limit = {
                "pk__in": model_admin.get_queryset(request)
                .order_by()
                .values_list(f"{self.field_path}__pk", flat=True)
            }
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=limit, ordering=ordering)


def scoped_list_filter(model, list_filter) -> list:
    """``list_filter`` with every plain foreign-key entry («municipality»,
    «category__parent») given the scoped filter."""
    from django.contrib.admin.utils import get_fields_from_path

    result = []
    for entry in list_filter:
        if isinstance(entry, str):
            field = get_fields_from_path(model, entry)[-1]
            if field.is_relation and (field.many_to_one or field.one_to_one):
                entry = (entry, ScopedRelatedFieldListFilter)
        result.append(entry)
    return result


class DeskModelAdmin(admin.ModelAdmin):
    """What every admin list of the desk shares.

    - The actions select opens with «Действие…», not Django's «---------», which reads
      as an empty value rather than a prompt.
    - ``title_accusative``: the model's name as the titles need it, for the models whose
      verbose name is not ours to change (Django's groups, django-axes' records: «Выберите
      группу», not «Выберите группа»); the desk's own models name themselves in the
      accusative already (the note above).
    """

    title_accusative: str | None = None

    def get_action_choices(self, request, default_choices=None):
        return super().get_action_choices(request, default_choices=[("", _("Действие…"))])

    def _titled(self, extra_context, title) -> dict:
        if self.title_accusative is None:
            return extra_context or {}
        return {"title": title % {"name": self.title_accusative}, **(extra_context or {})}

    def changelist_view(self, request, extra_context=None):
        verb = _("Выберите %(name)s для изменения")
        if not self.has_change_permission(request):
            verb = _("Выберите %(name)s для просмотра")
        return super().changelist_view(request, self._titled(extra_context, verb))

    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(
            request, form_url, self._titled(extra_context, _("Добавить %(name)s"))
        )


def is_head(request) -> bool:
    user = request.user
    return bool(
        user.is_active and user.is_staff and user.role == Role.HEAD and user.municipality_id
    )


class SuperuserEditsAdmin(DeskModelAdmin):
    """Superusers edit; heads of centres may look."""

    def get_list_filter(self, request):
        return scoped_list_filter(self.model, super().get_list_filter(request))

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


class MunicipalViewAdmin(SuperuserEditsAdmin):
    """The rows of a municipality, read-only for its head: the list shows a head their
    own municipality's rows only (and, with ``show_shared``, the shared ones without a
    municipality); another municipality's row is not found, as in the desk. Superusers
    edit all. ``municipality_field`` names the lookup to the Municipality
    («case__municipality» for rows that belong to a case)."""

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


class MunicipalAdmin(MunicipalViewAdmin):
    """Heads edit the rows of their own municipality; shared rows (no municipality) only
    superusers."""

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


class SuperuserOnlyAdmin(DeskModelAdmin):
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
