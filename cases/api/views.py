"""Cases API: the scoped list and card, the timeline, and one POST per action.

The actions are made from their records (``cases.actions``) by ``_workflow_action``:
each parses its input serializer (400 naming the field), calls the same service the
card calls, and returns the case with its status, clocks and allowed actions.
The services' errors map to 403 (role), 404 (outside the scope), 409 (wrong state or
someone was first) in ``mcu.api.exceptions``.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cases import services
from cases.actions import ACTION_SPECS, ActionSpec
from cases.filtersets import CaseFilterSet
from cases.models import Case
from cases.queues import QUEUE_LABELS, queue_apply
from cases.selectors import case_get_for_user, case_notes, case_timeline
from mcu.api.mixins import ScopedViewSetMixin
from mcu.exceptions import NotAllowed, NotFound

from .serializers import (
    CaseEventSerializer,
    CaseNoteInputSerializer,
    CaseNoteSerializer,
    CaseSerializer,
    CaseWorkflowSerializer,
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


def _errors() -> dict:
    r = _responses()
    return {403: r[403], 404: r[404]}


@extend_schema_view(
    list=extend_schema(summary="Сообщения и обращения (список с фильтрами и очередями)"),
    retrieve=extend_schema(summary="Одно сообщение: состояние, сроки и доступные действия"),
)
class CaseViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Cases the caller may see; filters are the case list's filterset, plus ``queue``
    (moderation, mine, overdue, review, ready, approval, fast_track,
    fast_track_proposals)."""

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

    # The whole journal of one case, as a plain list: neither paginated nor filtered by
    # the case list's filters (and so documented).
    @extend_schema(responses=CaseEventSerializer(many=True), summary="Ход работы (журнал)")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def events(self, request, pk=None):
        case = case_get_for_user(user=request.user, pk=pk)
        return Response(CaseEventSerializer(case_timeline(case=case), many=True).data)

    # Internal notes between the centre and the executor: read by every role that works
    # with the case (the executor on its own cases only), written by all but the observer.
    # Never shown to the resident (no public output reads them).
    @extend_schema(
        methods=["GET"],
        responses={200: CaseNoteSerializer(many=True), **_errors()},
        summary="Внутренние заметки",
        tags=["notes"],
    )
    @extend_schema(
        methods=["POST"],
        request=CaseNoteInputSerializer,
        responses={201: CaseNoteSerializer, 400: _responses()[400], **_errors()},
        summary="Добавить внутреннюю заметку",
        tags=["notes"],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def notes(self, request, pk=None):
        # Scope (404) before role (403) before the body (400), as the workflow actions.
        case = case_get_for_user(user=request.user, pk=pk)
        if request.method == "GET":
            if not services.case_note_may_read(request.user):
                raise NotAllowed()
            return Response(CaseNoteSerializer(case_notes(case=case), many=True).data)
        if not services.case_note_may_add(request.user):
            raise NotAllowed()
        serializer = CaseNoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.case_note_add(
            case=case, actor=request.user, text=serializer.validated_data["text"]
        )
        return Response(CaseNoteSerializer(note).data, status=201)

    def _run(self, spec: ActionSpec, request, pk) -> Response:
        # Scope (404) and role (403) before the body (400): an outsider learns nothing
        # from field errors. The state (409) is the service's, under the lock.
        case_get_for_user(user=request.user, pk=pk)
        services.case_check_role(request.user, spec.name)
        serializer = spec.serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        spec.service(pk, actor=request.user, **serializer.validated_data)
        try:
            case = case_get_for_user(user=request.user, pk=pk)
        except NotFound:
            if not spec.leaves_scope:
                raise
            # A reassignment request takes the case out of the executor's scope: answer
            # with what it became rather than a 404.
            case = Case.objects.get(pk=pk)
            return Response(
                {
                    "id": case.pk,
                    "status": case.status,
                    "version": case.version,
                    "allowed_actions": [],
                }
            )
        return Response(CaseWorkflowSerializer(case, context={"request": request}).data)


def _workflow_action(spec: ActionSpec):
    """The API action of one record: ``POST /api/v1/cases/{id}/<path>/``."""

    def handler(self, request, pk=None):
        return self._run(spec, request, pk)

    handler.__name__ = handler.__qualname__ = f"action_{spec.name}"
    handler.__doc__ = spec.summary
    kwargs = {"detail": True, "methods": ["post"], "url_path": spec.api_path}
    if spec.multipart:
        kwargs["parser_classes"] = [MultiPartParser, FormParser, JSONParser]
    handler = action(**kwargs)(handler)
    return extend_schema(
        request=spec.serializer, responses=_responses(), summary=spec.summary, tags=["workflow"]
    )(handler)


for _spec in ACTION_SPECS.values():
    setattr(CaseViewSet, f"action_{_spec.name}", _workflow_action(_spec))
