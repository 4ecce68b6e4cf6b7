from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class McuConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mcu"
    verbose_name = _("МЦУ: организация")
