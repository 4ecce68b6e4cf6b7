"""Domain errors. Services raise them; one API handler and one page helper map them
to HTTP (400 / 403 / 404 / 409) and to Russian messages."""

from django.utils.translation import gettext_lazy as _


class DeskError(Exception):
    """Base of every error a service raises on purpose."""

    status_code = 400
    default_message = _("Запрос не может быть выполнен.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        if self.field:
            return {self.field: [str(self.message)]}
        return {"detail": str(self.message)}


class InvalidInput(DeskError):
    status_code = 400


class NotAllowed(DeskError):
    """The role may not take this action (403)."""

    status_code = 403
    default_message = _("Это действие недоступно для вашей роли.")


class NotFound(DeskError):
    """Missing, or outside the user's scope: the same answer, so existence is not leaked."""

    status_code = 404
    default_message = _("Не найдено.")


class StateConflict(DeskError):
    """The object changed under the user (409): someone else acted first."""

    status_code = 409
    default_message = _(
        "Состояние сообщения уже изменилось: его обработал другой пользователь. Обновите страницу."
    )
