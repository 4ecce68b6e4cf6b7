from django.apps import AppConfig


class McuConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mcu"
    verbose_name = "МЦУ: организация"
