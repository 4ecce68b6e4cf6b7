"""Who sees which cases (STYLE §6.4)."""

from django.db.models import Q

from mcu.choices import Role
from mcu.querysets import ScopedQuerySet

from .choices import CaseStatus


class CaseQuerySet(ScopedQuerySet):
    def scope_for(self, user) -> Q | None:
        scope = super().scope_for(user)
        if scope is None:
            return None
        if user.role == Role.ADMINISTRATOR:
            # An administrator coordinates some kinds (channels) of the municipality.
            return scope & Q(kind__in=user.coordinated_kinds)
        if user.role == Role.EXECUTOR:
            # An executor sees only what is assigned to their organisation.
            if not user.organisation_id:
                return None
            return scope & Q(organisation_id=user.organisation_id)
        return scope

    def open(self) -> "CaseQuerySet":
        return self.filter(status__in=CaseStatus.open_values())
