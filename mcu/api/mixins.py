"""Scoping applied once for every API view (NetBox's base viewset ``initial()``)."""

from django.utils import timezone

from mcu.timefmt import activate_user_zone


class ScopedViewSetMixin:
    """Restricts ``queryset`` to what ``request.user`` may see. Subclasses never filter
    by role themselves, so no endpoint can forget it."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Token authentication happens here, after the middleware: only now is the user
        # known, so only now can dates be read in their municipality's zone.
        activate_user_zone(request.user)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        timezone.deactivate()
        return response

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)
