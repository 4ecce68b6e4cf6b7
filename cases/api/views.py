from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.filtersets import CaseFilterSet
from cases.models import Case
from cases.selectors import case_timeline
from mcu.api.mixins import ScopedViewSetMixin

from .serializers import CaseEventSerializer, CaseSerializer


class CaseViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Cases the caller may see; filters are the case list's filterset."""

    queryset = Case.objects.select_related(
        "municipality", "district", "category", "organisation", "assignee"
    )
    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet

    @extend_schema(responses=CaseEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        case = self.get_object()
        return Response(CaseEventSerializer(case_timeline(case=case), many=True).data)
