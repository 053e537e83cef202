"""Read-only API of renewals: at-risk members with reasons, one member's score history, and the
model versions with their metrics."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from renewals import permissions, selectors
from renewals.api import serializers as s
from renewals.models import Band, ModelVersion


class ScoreCursor(CursorPagination):
    ordering = ("-probability", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


SCORE_FILTERS = [
    OpenApiParameter("band", str, enum=list(Band.values), description="Risk band"),
    OpenApiParameter("chapter", str),
    OpenApiParameter("q", str, description="Words of the member's name"),
]


@extend_schema_view(
    list=extend_schema(parameters=SCORE_FILTERS, responses=s.RenewalScoreSerializer),
    retrieve=extend_schema(responses=s.MemberRiskSerializer),
)
class RenewalScoreViewSet(viewsets.ReadOnlyModelViewSet):
    """Scores of the latest scoring run (highest risk first); by member, the score history."""

    required_permission = permissions.VIEW_RENEWALS
    serializer_class = s.RenewalScoreSerializer
    pagination_class = ScoreCursor
    lookup_field = "member_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        params = self.request.query_params
        band = params.get("band", "")
        return selectors.latest_scores(
            band=band if band in Band.values else "",
            chapter=params.get("chapter", ""),
            q=params.get("q", "")[:200],
        )

    def retrieve(self, request, member_id: str = ""):
        history = list(selectors.score_history(member_id)[:100])
        if not history:
            raise Http404("This member has not been scored.")
        data = {"latest": history[0], "history": history}
        return Response(s.MemberRiskSerializer(data).data)


class ModelVersionViewSet(viewsets.ReadOnlyModelViewSet):
    required_permission = permissions.VIEW_RENEWALS
    serializer_class = s.ModelVersionSerializer
    queryset = ModelVersion.objects.defer("booster")
