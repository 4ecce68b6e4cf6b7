"""Statuses and channels of a case (DESIGN §2–3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mcu.choices import CaseKind

__all__ = ["CHANNELS_BY_KIND", "CaseKind", "CaseStatus", "Channel", "EventAction"]


class CaseStatus(models.TextChoices):
    NEW = "new", _("Новое")
    ASSIGNED = "assigned", _("Назначено")
    IN_PROGRESS = "in_progress", _("В работе")
    ON_REVIEW = "on_review", _("На проверке")
    ON_APPROVAL = "on_approval", _("На согласовании")
    APPROVED = "approved", _("Готово к публикации")
    PUBLISHED = "published", _("Опубликовано")
    CLOSED = "closed", _("Закрыто")
    REJECTED = "rejected", _("Отклонено")
    # 59-ФЗ ст. 8 ч. 3: sent to the body whose competence it is; closed here.
    FORWARDED = "forwarded", _("Переадресовано")

    @classmethod
    def open_values(cls) -> list[str]:
        return [s for s in cls.values if s not in (cls.CLOSED, cls.REJECTED, cls.FORWARDED)]


class Channel(models.TextChoices):
    VK = "vk", _("ВКонтакте")
    OK = "ok", _("Одноклассники")
    TELEGRAM = "telegram", _("Telegram")
    SOCIAL_OTHER = "social_other", _("Иная соцсеть")
    OFFICIAL_COMMENT = "official_comment", _("Комментарий на официальной странице")
    DIRECT_MESSAGE = "direct_message", _("Личное сообщение")
    POS = "pos", _("ПОС (Госуслуги)")
    LETTER = "letter", _("Письмо")
    EMAIL = "email", _("Электронная почта")
    VISIT = "visit", _("Личный приём")
    E_RECEPTION = "e_reception", _("Интернет-приёмная")
    PHONE = "phone", _("Телефон")
    # A city portal or app speaking GeoReport v2 (channels.open311).
    OPEN311 = "open311", _("Open311 (портал, приложение)")


CHANNELS_BY_KIND: dict[str, list[str]] = {
    CaseKind.INCIDENT: [
        Channel.VK,
        Channel.OK,
        Channel.TELEGRAM,
        Channel.SOCIAL_OTHER,
        Channel.OFFICIAL_COMMENT,
        Channel.DIRECT_MESSAGE,
        # Междуреченск 4.3: reports of a city's digital platform («Кузбасс-Онлайн») are
        # taken in under the same regulation as the social networks' messages.
        Channel.OPEN311,
    ],
    CaseKind.POS: [Channel.POS],
    CaseKind.APPEAL: [Channel.LETTER, Channel.EMAIL, Channel.VISIT, Channel.E_RECEPTION],
    CaseKind.HOTLINE: [Channel.PHONE],
}


class EventAction(models.TextChoices):
    """What a CaseEvent records. The workflow adds one per transition."""

    REGISTER = "register", _("Регистрация")
    ASSIGN = "assign", _("Назначение исполнителя")
    REJECT = "reject", _("Отклонение")
    ACCEPT = "accept", _("Принято в работу")
    REQUEST_REASSIGNMENT = "request_reassignment", _("Запрос переназначения")
    INTERIM_ANSWER = "interim_answer", _("Промежуточный ответ")
    SUBMIT_ANSWER = "submit_answer", _("Ответ направлен на проверку")
    APPROVE = "approve", _("Ответ одобрен")
    RETURN = "return", _("Возврат на доработку")
    PUBLISH = "publish", _("Ответ опубликован")
    FEEDBACK = "feedback", _("Реакция заявителя")
    REOPEN = "reopen", _("Повторное открытие")
    CLOSE = "close", _("Закрытие")
    SET_FAST_TRACK = "set_fast_track", _("Повышенная важность")
    REGISTER_APPEAL = "register_appeal", _("Регистрация обращения (59-ФЗ)")
    FORWARD = "forward", _("Переадресация по компетенции")
    EXTEND = "extend", _("Продление срока рассмотрения")
    PUBLISH_INTERIM = "publish_interim", _("Промежуточный ответ опубликован")
    RETURN_INTERIM = "return_interim", _("Промежуточный ответ возвращён")
    ERASE_PERSONAL_DATA = "erase_personal_data", _("Удаление персональных данных")
    EDIT = "edit", _("Изменение карточки")
    COMMENT = "comment", _("Комментарий")
    AUTO_RULE = "auto_rule", _("Сработали автоправила")
    CLUSTER = "cluster", _("Кластер проблемы")
    CLUSTER_ANSWER = "cluster_answer", _("Ответ по кластеру опубликован")
    REPEAT = "repeat", _("Повторное сообщение по отвеченному")
    # An internal note between the centre and the executor (never shown to the resident).
    NOTE = "note", _("Внутренняя заметка")
