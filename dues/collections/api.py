"""The receivables figures under /api/v1/receivables/: aging by segment, DSO by month and
expected collections, as the receivables page shows them (finance and managers)."""

from datetime import date
from decimal import Decimal

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from dues.collections import permissions, receivables
from dues.collections.receivables import SEGMENTS


class ReceivablesFiguresView(APIView):
    required_permission = permissions.VIEW_RECEIVABLES

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "segment", str, required=False, enum=list(SEGMENTS), description="aging by"
            )
        ],
        responses={200: dict},
    )
    def get(self, request):
        from dues.collections.views import dso_cached

        segment = request.query_params.get("segment") or "member_type"
        if segment not in SEGMENTS:
            return Response(
                {"detail": f"segment must be one of {', '.join(SEGMENTS)}.", "code": "segment"},
                status=400,
            )
        as_of = timezone.localdate()
        return Response(
            _plain(
                {
                    "as_of": as_of,
                    "aging": receivables.receivables_aging(as_of=as_of, segment=segment),
                    "dso_by_month": dso_cached(as_of),
                    "expected_collections": receivables.expected_collections(as_of=as_of),
                }
            )
        )


def _plain(value):
    """Amounts as strings ("585.75"), as every amount in the API; dates as ISO text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


urlpatterns = [
    path("receivables/", ReceivablesFiguresView.as_view(), name="receivables"),
]
