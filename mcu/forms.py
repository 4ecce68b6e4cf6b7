from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .choices import Role


class DeskAuthenticationForm(AuthenticationForm):
    """The login page. An integration account works through the API with its token and
    never signs in to the pages (a leaked password opens no screens). Its refusal reads
    exactly like a wrong password: the page must not confirm that the password was right.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Неверное имя пользователя или пароль. Учётные записи интеграций работают "
            "только через API (по токену)."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if user.role == Role.INTEGRATION and not user.is_superuser:
            raise self.get_invalid_login_error()
