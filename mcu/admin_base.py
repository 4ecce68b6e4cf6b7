"""Who may do what in the Django admin.

Superusers configure everything. The head of a centre (role ``head``, staff) runs it
(DESIGN §1: «manages staff, executors, rules, calendars»): they edit the rows of their own
municipality and read the shared ones, with no model permissions to hand out by hand.
"""

from django.contrib import admin

from .choices import Role


def is_head(request) -> bool:
    user = request.user
    return bool(
        user.is_active and user.is_staff and user.role == Role.HEAD and user.municipality_id
    )


class SuperuserEditsAdmin(admin.ModelAdmin):
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


class SuperuserOnlyAdmin(admin.ModelAdmin):
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
