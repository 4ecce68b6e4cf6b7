from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .choices import Role


class DeskAuthenticationForm(AuthenticationForm):
    """The login page. An integration account works through the API with its token and
    never signs in to the pages (a leaked password opens no screens)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "api_only": _("Эта учётная запись работает только через API (по токену)."),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if user.role == Role.INTEGRATION and not user.is_superuser:
            raise forms.ValidationError(self.error_messages["api_only"], code="api_only")
