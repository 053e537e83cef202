"""API views of the month-end close, with the pages' permissions: finance and managers read
and run the close; reopening a closed month is a manager's, with a reason.

Writes parse their input with a serializer and call one service; a refusal of the service
(a month with unexplained differences or waiting entries, a month not yet ended) answers 409
with the same message the page shows.
"""

from datetime import date

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.serializers import JobRunSerializer
from common.boardpack import board_pack
from common.errors import DomainError
from dues.close import periods, permissions, revenue_permissions, selectors
from dues.close.api.serializers import (
    BoardPackSerializer,
    DepositSerializer,
    DifferenceSerializer,
    MonthInputSerializer,
    PeriodSerializer,
    ReconciliationSerializer,
    ReopenInputSerializer,
    RollForwardSerializer,
)
from dues.close.jobs import reconciliation_start
from dues.close.rollforward import roll_forward
from dues.models import Difference, Reconciliation

MONTH = OpenApiParameter("month", str, OpenApiParameter.PATH, description="YYYY-MM")


def _refused(exc: DomainError) -> Response:
    return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)


def _month(text: str) -> date:
    given = MonthInputSerializer(data={"month": text})
    given.is_valid(raise_exception=True)
    return given.validated_data["month"]


class PeriodListView(APIView):
    """The last twelve months that have ended, newest first, with their status."""

    required_permission = permissions.VIEW_CLOSE

    @extend_schema(responses=PeriodSerializer(many=True))
    def get(self, request):
        return Response(PeriodSerializer(selectors.period_rows(), many=True).data)


class PeriodDetailView(APIView):
    required_permission = permissions.VIEW_CLOSE

    @extend_schema(parameters=[MONTH], responses=PeriodSerializer)
    def get(self, request, month: str):
        return Response(PeriodSerializer(selectors.period_row(_month(month))).data)


class PeriodReconcileView(APIView):
    """Queue the month's reconciliation (a background job); its progress is the job's
    (``/api/v1/jobs/{id}/``). A run already under way is given back rather than doubled."""

    required_permission = permissions.RUN_CLOSE

    @extend_schema(
        parameters=[MONTH], request=None, responses={202: JobRunSerializer, 200: JobRunSerializer}
    )
    def post(self, request, month: str):
        day = _month(month)
        try:
            job, queued = reconciliation_start(month=day, user=request.user)
        except DomainError as exc:
            return _refused(exc)
        code = status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK
        return Response(JobRunSerializer(job).data, status=code)


class PeriodCloseView(APIView):
    """Close the month: refused (409, the page's message) while a difference is unexplained or
    an adjusting entry waits for a decision."""

    required_permission = permissions.RUN_CLOSE

    @extend_schema(parameters=[MONTH], request=None, responses=PeriodSerializer)
    def post(self, request, month: str):
        day = _month(month)
        try:
            periods.period_close(month=day, user=request.user)
        except DomainError as exc:
            return _refused(exc)
        return Response(PeriodSerializer(selectors.period_row(day)).data)


class PeriodReopenView(APIView):
    """Reopen a closed month (managers), with the reason the audit log keeps."""

    required_permission = permissions.MANAGE_CLOSE

    @extend_schema(parameters=[MONTH], request=ReopenInputSerializer, responses=PeriodSerializer)
    def post(self, request, month: str):
        given = ReopenInputSerializer(data={**request.data, "month": month})
        given.is_valid(raise_exception=True)
        day = given.validated_data["month"]
        try:
            periods.period_reopen(
                month=day, user=request.user, reason=given.validated_data["reason"]
            )
        except DomainError as exc:
            return _refused(exc)
        return Response(PeriodSerializer(selectors.period_row(day)).data)


class ReconciliationListView(ListAPIView):
    """Reconciliation runs, newest first; ``?month=YYYY-MM`` keeps one month's."""

    required_permission = permissions.VIEW_CLOSE
    serializer_class = ReconciliationSerializer

    def get_queryset(self):
        text = self.request.query_params.get("month")
        return selectors.reconciliation_list(month=_month(text) if text else None)

    @extend_schema(parameters=[OpenApiParameter("month", str, required=False)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ReconciliationDetailView(RetrieveAPIView):
    """One run: its figures per source and its differences counted and totalled by cause."""

    required_permission = permissions.VIEW_CLOSE
    serializer_class = ReconciliationSerializer
    queryset = Reconciliation.objects.select_related("started_by")


class ReconciliationDifferencesView(ListAPIView):
    """A run's differences, by cause then id; ``?cause=`` and ``?source=`` filter them."""

    required_permission = permissions.VIEW_CLOSE
    serializer_class = DifferenceSerializer

    def get_queryset(self):
        recon = get_object_or_404(Reconciliation, pk=self.kwargs["pk"])
        cause = self.request.query_params.get("cause", "")
        if cause and cause not in Difference.Cause.values:
            raise ValidationError(
                {
                    "cause": f"“{cause[:40]}” is not a cause; use one of "
                    f"{', '.join(Difference.Cause.values)}."
                }
            )
        return selectors.difference_list(
            recon, cause=cause, source=self.request.query_params.get("source", "")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("cause", str, required=False, enum=list(Difference.Cause.values)),
            OpenApiParameter("source", str, required=False),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DepositListView(ListAPIView):
    """The deposits received in a month (``?month=YYYY-MM``, required)."""

    required_permission = permissions.VIEW_CLOSE
    serializer_class = DepositSerializer

    def get_queryset(self):
        text = self.request.query_params.get("month")
        if not text:
            raise ValidationError({"month": "Give the month as ?month=YYYY-MM."})
        return selectors.deposit_list(_month(text))

    @extend_schema(parameters=[OpenApiParameter("month", str, required=True)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RollForwardView(APIView):
    """The month's deferred revenue roll-forward, to the cent, beside the revenue journal."""

    required_permission = revenue_permissions.VIEW_REVENUE

    @extend_schema(parameters=[MONTH], responses=RollForwardSerializer)
    def get(self, request, month: str):
        return Response(RollForwardSerializer(roll_forward(_month(month))).data)


class BoardPackView(APIView):
    """The month's board-pack figures by section, with the summary made from them."""

    required_permission = revenue_permissions.VIEW_BOARD_PACK

    @extend_schema(parameters=[MONTH], responses=BoardPackSerializer)
    def get(self, request, month: str):
        pack = board_pack(_month(month))
        return Response(
            BoardPackSerializer(
                {"month": pack.month, "summary": pack.summary, "sections": pack.sections}
            ).data
        )
