"""Role scoping in one place (NetBox's RestrictedQuerySet, Zulip's access_*).

Every screen, API view, export and report starts from ``Model.objects.visible_to(user)``.
Each scoped model's queryset says which rows each role may see; a role it does not
mention sees nothing, so a forgotten case fails closed.
"""

from django.db import models

from .choices import Role


class ScopedQuerySet(models.QuerySet):
    #: the lookup from this model to its Municipality, e.g. "municipality"
    municipality_lookup = "municipality"

    def visible_to(self, user) -> "ScopedQuerySet":
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        scope = self.scope_for(user)
        return self.none() if scope is None else self.filter(scope)

    def scope_for(self, user) -> models.Q | None:
        """The Q object a user's role allows, or None for nothing."""
        m = self.municipality_lookup
        if user.role == Role.OBSERVER:
            region = user.observed_region
            return models.Q(**{f"{m}__region": region}) if region else None
        if not user.municipality_id:
            return None
        if user.role in (
            Role.CURATOR,
            Role.HEAD,
            Role.ADMINISTRATOR,
            Role.INTEGRATION,
            Role.EXECUTOR,
        ):
            return models.Q(**{f"{m}_id": user.municipality_id})
        return None


class MunicipalityQuerySet(models.QuerySet):
    def visible_to(self, user) -> models.QuerySet:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        if user.role == Role.OBSERVER:
            return self.filter(region=user.observed_region)
        if user.municipality_id:
            return self.filter(pk=user.municipality_id)
        return self.none()
