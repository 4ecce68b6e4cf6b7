"""Scoping applied once for every API view (NetBox's base viewset ``initial()``)."""


class ScopedViewSetMixin:
    """Restricts ``queryset`` to what ``request.user`` may see. Subclasses never filter
    by role themselves, so no endpoint can forget it."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)
