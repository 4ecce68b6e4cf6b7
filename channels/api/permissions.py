from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from mcu.choices import Role


class IsIntegration(BasePermission):
    """Only the API account of an integration («Инцидент Менеджмент», ПОС…) brings items
    in; people register calls and letters through the desk's forms."""

    message = _("Загрузка доступна только учётной записи интеграции.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_role(Role.INTEGRATION))
