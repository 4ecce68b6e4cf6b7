"""Every action of the card and the API, declared once.

One record per action says what the page and the API need: its label and the message
after it is done, the form of the card, the input serializer of the API, the service that
does it, and how the card shows it. Who may take it from which status is the transition
table's (``cases.workflow.TRANSITIONS``); what the regulations add is the service's. The
generic card view (``cases.views.case_action_view``) and the API action factory
(``cases.api.views``) read these records: adding an action is one record and one service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework.serializers import Serializer

from . import forms, services
from .api import serializers
from .workflow import ACTIONS

__all__ = ["ACTION_SPECS", "ActionSpec"]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: Promise
    #: the success message, a finished fact («Исполнитель назначен»)
    done: Promise
    form: type[forms.VersionForm]
    serializer: type[Serializer]
    service: Callable
    #: the OpenAPI summary
    summary: str
    #: shown after the main step on the card (sends the case back or aside)
    secondary: bool = False
    #: the button warns (rejections, returns)
    danger: bool = False
    #: the API takes files (multipart)
    multipart: bool = False
    #: the step takes the case out of the actor's scope (a reassignment request)
    leaves_scope: bool = False
    done_leaving: Promise | None = None

    @property
    def api_path(self) -> str:
        return serializers.api_path(self.name)


_SPECS = [
    ActionSpec(
        "register_appeal",
        _("Зарегистрировать обращение"),
        _("Обращение зарегистрировано"),
        forms.RegisterAppealForm,
        serializers.RegisterAppealInputSerializer,
        services.case_register_appeal,
        "Зарегистрировать обращение по 59-ФЗ (номер и дата; не позднее 3 дней)",
    ),
    ActionSpec(
        "assign",
        _("Назначить исполнителя"),
        _("Исполнитель назначен"),
        forms.AssignForm,
        serializers.AssignInputSerializer,
        services.case_assign,
        "Назначить исполнителя (модерация)",
    ),
    ActionSpec(
        "reject",
        _("Отклонить"),
        _("Сообщение отклонено"),
        forms.RejectForm,
        serializers.RejectInputSerializer,
        services.case_reject,
        "Отклонить с причиной (или как дубликат)",
        secondary=True,
        danger=True,
    ),
    ActionSpec(
        "forward",
        _("Переадресовать по компетенции"),
        _("Обращение переадресовано"),
        forms.ForwardForm,
        serializers.ForwardInputSerializer,
        services.case_forward,
        "Переадресовать обращение в орган по компетенции (59-ФЗ ст. 8 ч. 3)",
        secondary=True,
    ),
    ActionSpec(
        "accept",
        _("Принять в работу"),
        _("Сообщение принято в работу"),
        forms.AcceptForm,
        serializers.VersionInputSerializer,
        services.case_accept,
        "Принять в работу",
    ),
    ActionSpec(
        "request_reassignment",
        _("Запросить переназначение"),
        _("Запрос на переназначение отправлен администратору"),
        forms.RequestReassignmentForm,
        serializers.ReasonInputSerializer,
        services.case_request_reassignment,
        "Запросить переназначение (в течение 30 минут после назначения)",
        secondary=True,
        danger=True,
        leaves_scope=True,
        done_leaving=_(
            "Запрос на переназначение отправлен: сообщение вернулось к администратору МЦУ"
        ),
    ),
    ActionSpec(
        "interim_answer",
        _("Промежуточный ответ"),
        _("Промежуточный ответ отправлен на проверку"),
        forms.InterimAnswerForm,
        serializers.InterimAnswerInputSerializer,
        services.case_give_interim_answer,
        "Промежуточный ответ с обещанным сроком (на проверку администратору)",
    ),
    ActionSpec(
        "publish_interim",
        _("Опубликовать промежуточный ответ"),
        _("Промежуточный ответ опубликован"),
        forms.PublishInterimForm,
        serializers.VersionInputSerializer,
        services.case_publish_interim,
        "Опубликовать промежуточный ответ (первичный ответ и срок ответа выполнены)",
    ),
    ActionSpec(
        "return_interim",
        _("Вернуть промежуточный ответ"),
        _("Промежуточный ответ возвращён исполнителю"),
        forms.ReturnInterimForm,
        serializers.ReasonInputSerializer,
        services.case_return_interim,
        "Вернуть промежуточный ответ исполнителю с причиной",
        secondary=True,
        danger=True,
    ),
    ActionSpec(
        "submit_answer",
        _("Направить ответ на проверку"),
        _("Ответ направлен на проверку"),
        forms.SubmitAnswerForm,
        serializers.SubmitAnswerInputSerializer,
        services.case_submit_answer,
        "Направить ответ с вложениями на проверку",
        multipart=True,
    ),
    ActionSpec(
        "approve",
        _("Одобрить ответ"),
        _("Ответ одобрен"),
        forms.ApproveForm,
        serializers.VersionInputSerializer,
        services.case_approve,
        "Одобрить ответ (администратор; куратор, где нужно согласование)",
    ),
    ActionSpec(
        "return",
        _("Вернуть на доработку"),
        _("Ответ возвращён на доработку"),
        forms.ReturnForm,
        serializers.ReasonInputSerializer,
        services.case_return,
        "Вернуть ответ на доработку с причиной",
        secondary=True,
        danger=True,
    ),
    ActionSpec(
        "publish",
        _("Опубликовать ответ"),
        _("Ответ опубликован"),
        forms.PublishForm,
        serializers.VersionInputSerializer,
        services.case_publish,
        "Опубликовать ответ",
    ),
    ActionSpec(
        "feedback",
        _("Реакция заявителя"),
        _("Реакция заявителя записана"),
        forms.FeedbackForm,
        serializers.FeedbackInputSerializer,
        services.case_record_feedback,
        "Реакция заявителя: оценка 1–5 и/или комментарий",
    ),
    ActionSpec(
        "set_fast_track",
        _("Повышенная важность"),
        _("Отметка о повышенной важности изменена"),
        forms.FastTrackForm,
        serializers.FastTrackInputSerializer,
        services.case_set_fast_track,
        "Отметить, снять или отклонить предложенную повышенную важность (куратор)",
        secondary=True,
    ),
    ActionSpec(
        "extend",
        _("Продлить срок рассмотрения"),
        _("Срок рассмотрения продлён"),
        forms.ExtendForm,
        serializers.ExtendInputSerializer,
        services.case_extend,
        "Продлить срок ответа на обращение до 30 дней, один раз (59-ФЗ ст. 12 ч. 2)",
        secondary=True,
    ),
]

ACTION_SPECS: dict[str, ActionSpec] = {spec.name: spec for spec in _SPECS}

# Every action of the transition table has its record, and nothing else does.
assert list(ACTION_SPECS) == ACTIONS, (list(ACTION_SPECS), ACTIONS)
