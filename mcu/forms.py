from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .models import ApiTokenScope, User


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


#: the terms a head may give a new key, in days
TOKEN_LIFETIME_CHOICES = [
    (30, _("30 дней")),
    (90, _("90 дней")),
    (180, _("180 дней")),
    (365, _("1 год")),
]


class ApiTokenIssueForm(forms.Form):
    """«Выпустить ключ» on the «Интеграции» page. Parses only; ``api_token_issue`` decides."""

    user = forms.ModelChoiceField(
        label=_("Учётная запись интеграции"), queryset=User.objects.none(), empty_label=None
    )
    name = forms.CharField(
        label=_("Название ключа"),
        max_length=100,
        help_text=_("Для кого или чего: «сервер Инцидент Менеджмента», «портал города»."),
    )
    scope = forms.ChoiceField(label=_("Назначение"), choices=ApiTokenScope.choices)
    lifetime_days = forms.TypedChoiceField(
        label=_("Срок действия"), choices=TOKEN_LIFETIME_CHOICES, coerce=int, initial=365
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: f"{u.username} — {u.full_name}"
