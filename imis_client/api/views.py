"""Read-only API of the iMIS connection: members and sync runs."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.pagination import CursorPagination

from imis_client import models as m
from imis_client import permissions, selectors
from imis_client.api import serializers as s


class MemberCursor(CursorPagination):
    ordering = ("name", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


MEMBER_FILTERS = [
    OpenApiParameter("q", str, description="Name words, iMIS id or email"),
    OpenApiParameter("type", str, description="Customer type code"),
    OpenApiParameter("status", str, description="Contact status: A, I, S or D"),
    OpenApiParameter("chapter", str),
    OpenApiParameter("paid_from", str, description="Paid-thru on or after (YYYY-MM-DD)"),
    OpenApiParameter("paid_to", str, description="Paid-thru on or before (YYYY-MM-DD)"),
    OpenApiParameter("kind", str, enum=["person", "organization"]),
]


@extend_schema_view(list=extend_schema(parameters=MEMBER_FILTERS))
class MemberViewSet(viewsets.ReadOnlyModelViewSet):
    required_permission = permissions.VIEW_MEMBERS
    lookup_field = "imis_id"
    pagination_class = MemberCursor

    def get_serializer_class(self):
        return s.MemberDetailSerializer if self.action == "retrieve" else s.MemberSerializer

    def get_queryset(self):
        return selectors.member_search(
            selectors.MemberFilters.from_query(self.request.query_params)
        )


class SyncRunViewSet(viewsets.ReadOnlyModelViewSet):
    required_permission = permissions.VIEW_SYNC
    serializer_class = s.SyncRunSerializer
    queryset = m.SyncRun.objects.all()
