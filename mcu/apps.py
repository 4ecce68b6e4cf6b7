import os
from pathlib import Path

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _store_generated_secret_key(path: Path, key: str) -> None:
    """Keep this process's generated development key, unless another process was first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)


def var_folders_ensure() -> None:
    """The local folders the configured desk writes to: the SQLite database's, the
    filesystem broker's and the static root (the settings only name them)."""
    from django.conf import settings

    folders = []
    database = settings.DATABASES["default"]
    name = str(database.get("NAME") or "")
    if (
        database["ENGINE"] == "django.db.backends.sqlite3"
        and name
        and ":memory:" not in name
        and not name.startswith("file:")
    ):
        folders.append(Path(name).parent)
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                folders.append(Path(options[key]))
    if settings.STATIC_ROOT:
        folders.append(Path(settings.STATIC_ROOT))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    path = getattr(settings, "GENERATED_SECRET_KEY_FILE", None)
    if path:
        _store_generated_secret_key(Path(path), settings.SECRET_KEY)


class McuConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mcu"
    verbose_name = _("МЦУ: организация")

    def ready(self) -> None:
        var_folders_ensure()
