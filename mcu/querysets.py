"""Role scoping in one place (NetBox's RestrictedQuerySet, Zulip's access_*).

Every screen, API view, export and report starts from ``Model.objects.visible_to(user)``.
Each scoped model's queryset says which rows each role may see; a role it does not
mention sees nothing, so a forgotten case fails closed.
"""

import copy

from django.db import models

from .choices import Role


def q_prefixed(q: models.Q, via: str) -> models.Q:
    """``q`` with every lookup prefixed by ``via`` (``Q(kind="x")`` → ``Q(case__kind="x")``)."""
    if not via:
        return q
    out = copy.copy(q)
    out.children = [
        q_prefixed(child, via) if isinstance(child, models.Q) else (via + child[0], child[1])
        for child in q.children
    ]
    return out


def q_rebased(q: models.Q, *, via: str, own: tuple[str, ...]) -> models.Q:
    """``q_prefixed`` undone for some lookups: those that are ``via`` + one of ``own`` are
    read on the row itself (``case__municipality_id__in`` → ``municipality_id__in``, for a
    row that carries its case's municipality); the others are left as they are."""
    out = copy.copy(q)
    children = []
    for child in q.children:
        if isinstance(child, models.Q):
            child = q_rebased(child, via=via, own=own)
        elif isinstance(child, tuple):  # (lookup, value); an expression stays as it is
            lookup, value = child
            rest = lookup[len(via) :] if lookup.startswith(via) else ""
            if rest and any(rest.startswith(o) for o in own):
                child = (rest, value)
        children.append(child)
    out.children = children
    return out


class ScopedQuerySet(models.QuerySet):
    #: the lookup from this model to its Municipality, e.g. "municipality"
    municipality_lookup = "municipality"

    def visible_to(self, user) -> "ScopedQuerySet":
        condition = self._condition_for(user)
        return self.none() if condition is None else self.filter(condition)

    def _condition_for(self, user) -> models.Q | None:
        """What the user may see: a Q (empty for a superuser: everything), None: nothing."""
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if user.is_superuser:
            return models.Q()
        return self.scope_for(user)

    def visibility_q(self, user, *, via: str = "") -> models.Q:
        """``visible_to``'s condition as a ``Q`` whose lookups start with ``via``: for a
        model that reaches this one through a relation (``Answer`` → ``via="case__"``), a
        condition on the joined row instead of ``case__in=<subquery>``, which would list
        every visible case of a municipality to find a week's answers."""
        condition = self._condition_for(user)
        if condition is None:
            return models.Q(**{f"{via}pk__in": []})
        return q_prefixed(condition, via)

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
