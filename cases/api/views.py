"""Cases API: the scoped list and card, the timeline, and one POST per transition.

Every action validates a small input serializer (400 naming the field), calls the same
service the card calls, and returns the case with its status, clocks and allowed actions.
The services' errors map to 403 (role), 404 (outside the scope), 409 (wrong state or
someone was first) in ``mcu.api.exceptions``.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cases import services
from cases.filtersets import CaseFilterSet
from cases.models import Case
from cases.queues import QUEUE_LABELS, queue_apply
from cases.selectors import case_get_for_user, case_timeline
from mcu.api.mixins import ScopedViewSetMixin
from mcu.exceptions import NotFound

from .serializers import (
    AssignInputSerializer,
    CaseEventSerializer,
    CaseSerializer,
    CaseWorkflowSerializer,
    FastTrackInputSerializer,
    FeedbackInputSerializer,
    InterimAnswerInputSerializer,
    ReasonInputSerializer,
    RejectInputSerializer,
    SubmitAnswerInputSerializer,
    VersionInputSerializer,
)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _responses() -> dict:
    return {
        200: CaseWorkflowSerializer,
        400: OpenApiResponse(
            description='Поле не заполнено или неверно: `{"<поле>": ["сообщение"]}`.'
        ),
        403: OpenApiResponse(ErrorSerializer, description="Действие недоступно для роли."),
        404: OpenApiResponse(
            ErrorSerializer, description="Нет такого сообщения или оно вне вашей области."
        ),
        409: OpenApiResponse(
            ErrorSerializer,
            description="Статус не позволяет действие, "
            "или сообщение уже изменил "
            "другой пользователь.",
        ),
    }


def workflow_action(url_path: str, request_serializer, summary: str, *, parsers=None):
    """``@action`` + ``@extend_schema`` for one transition."""

    def decorate(func):
        kwargs = {"detail": True, "methods": ["post"], "url_path": url_path}
        if parsers:
            kwargs["parser_classes"] = parsers
        func = action(**kwargs)(func)
        return extend_schema(
            request=request_serializer, responses=_responses(), summary=summary, tags=["workflow"]
        )(func)

    return decorate


class CaseViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Cases the caller may see; filters are the case list's filterset, plus ``queue``
    (moderation, mine, overdue, review, approval, fast_track)."""

    queryset = Case.objects.select_related(
        "municipality", "district", "category", "organisation", "assignee"
    )
    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet

    def get_queryset(self):
        qs = super().get_queryset()
        queue = self.request.query_params.get("queue")
        if self.action == "list" and queue in QUEUE_LABELS:
            qs = queue_apply(qs, queue, self.request.user)
        return qs

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CaseWorkflowSerializer
        return super().get_serializer_class()

    @extend_schema(responses=CaseEventSerializer(many=True), summary="Ход работы (журнал)")
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        case = case_get_for_user(user=request.user, pk=pk)
        return Response(CaseEventSerializer(case_timeline(case=case), many=True).data)

    # -- helpers ------------------------------------------------------------------------

    def _input(self, serializer_class) -> dict:
        # Scope (404) and role (403) before the body (400): an outsider learns nothing
        # from field errors. The state (409) is the service's, under the lock.
        action_name = self.action.replace("return_answer", "return")
        # The lookup alone: 404 for a case outside the scope.
        case_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        services.case_check_role(self.request.user, action_name)
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _done(self, pk) -> Response:
        case = case_get_for_user(user=self.request.user, pk=pk)
        return Response(CaseWorkflowSerializer(case, context={"request": self.request}).data)

    def _done_or_gone(self, pk) -> Response:
        # A reassignment request takes the case out of the executor's scope: answer with
        # what it became rather than a 404.
        try:
            return self._done(pk)
        except NotFound:
            case = Case.objects.get(pk=pk)
            return Response(
                {
                    "id": case.pk,
                    "status": case.status,
                    "version": case.version,
                    "allowed_actions": [],
                }
            )

    # -- transitions --------------------------------------------------------------------

    @workflow_action("assign", AssignInputSerializer, "Назначить исполнителя (модерация)")
    def assign(self, request, pk=None):
        data = self._input(AssignInputSerializer)
        services.case_assign(
            pk,
            actor=request.user,
            organisation=data["organization"],
            category=data["category"],
            district=data.get("district"),
            address=data.get("address"),
            fast_track=data.get("fast_track"),
            version=data.get("version"),
        )
        return self._done(pk)

    @workflow_action("reject", RejectInputSerializer, "Отклонить с причиной")
    def reject(self, request, pk=None):
        data = self._input(RejectInputSerializer)
        duplicate = None
        if data.get("duplicate_of"):
            duplicate = case_get_for_user(user=request.user, pk=data["duplicate_of"])
        services.case_reject(
            pk,
            actor=request.user,
            reason=data["reason"],
            duplicate_of=duplicate,
            version=data.get("version"),
        )
        return self._done(pk)

    @workflow_action("accept", VersionInputSerializer, "Принять в работу")
    def accept(self, request, pk=None):
        data = self._input(VersionInputSerializer)
        services.case_accept(pk, actor=request.user, version=data.get("version"))
        return self._done(pk)

    @workflow_action(
        "request-reassignment",
        ReasonInputSerializer,
        "Запросить переназначение (в течение 30 минут после назначения)",
    )
    def request_reassignment(self, request, pk=None):
        data = self._input(ReasonInputSerializer)
        services.case_request_reassignment(
            pk, actor=request.user, reason=data["reason"], version=data.get("version")
        )
        return self._done_or_gone(pk)

    @workflow_action(
        "interim-answer", InterimAnswerInputSerializer, "Промежуточный ответ с обещанным сроком"
    )
    def interim_answer(self, request, pk=None):
        data = self._input(InterimAnswerInputSerializer)
        services.case_give_interim_answer(
            pk,
            actor=request.user,
            text=data["text"],
            promised_at=data["promised_at"],
            version=data.get("version"),
        )
        return self._done(pk)

    @workflow_action(
        "submit-answer",
        SubmitAnswerInputSerializer,
        "Направить ответ с вложениями на проверку",
        parsers=[MultiPartParser, FormParser, JSONParser],
    )
    def submit_answer(self, request, pk=None):
        data = self._input(SubmitAnswerInputSerializer)
        services.case_submit_answer(
            pk,
            actor=request.user,
            text=data["text"],
            attachments=data.get("attachments") or [],
            version=data.get("version"),
        )
        return self._done(pk)

    @workflow_action(
        "approve",
        VersionInputSerializer,
        "Одобрить ответ (администратор; куратор, где нужно согласование)",
    )
    def approve(self, request, pk=None):
        data = self._input(VersionInputSerializer)
        services.case_approve(pk, actor=request.user, version=data.get("version"))
        return self._done(pk)

    @workflow_action("return", ReasonInputSerializer, "Вернуть ответ на доработку с причиной")
    def return_answer(self, request, pk=None):
        data = self._input(ReasonInputSerializer)
        services.case_return(
            pk, actor=request.user, reason=data["reason"], version=data.get("version")
        )
        return self._done(pk)

    @workflow_action("publish", VersionInputSerializer, "Опубликовать ответ")
    def publish(self, request, pk=None):
        data = self._input(VersionInputSerializer)
        services.case_publish(pk, actor=request.user, version=data.get("version"))
        return self._done(pk)

    @workflow_action(
        "feedback", FeedbackInputSerializer, "Реакция заявителя: оценка 1–5 и/или комментарий"
    )
    def feedback(self, request, pk=None):
        data = self._input(FeedbackInputSerializer)
        services.case_record_feedback(
            pk,
            actor=request.user,
            rating=data.get("rating"),
            comment=data.get("comment") or "",
            reopen=data.get("reopen"),
            version=data.get("version"),
        )
        return self._done(pk)

    @workflow_action(
        "set-fast-track",
        FastTrackInputSerializer,
        "Отметить или снять повышенную важность (куратор)",
    )
    def set_fast_track(self, request, pk=None):
        data = self._input(FastTrackInputSerializer)
        services.case_set_fast_track(
            pk, actor=request.user, value=data["value"], version=data.get("version")
        )
        return self._done(pk)
