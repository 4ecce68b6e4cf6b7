from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from mcu.choices import Role


class IsOpen311Client(BasePermission):
    """A key of scope ``open311`` of an integration account bound to a municipality."""

    message = _("Нужен действующий api_key клиента Open311.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.has_role(Role.INTEGRATION)
            and user.municipality_id
        )
