"""The payments API: payments with their status and applied invoices, their candidates, and the
undo of an application inside its hold.

Decisions on a payment go through its review item (`/api/v1/review-items/{id}/decide/`).
"""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.errors import DomainError
from dues import permissions, services
from dues.api.serializers import CandidateSerializer, PaymentSerializer
from dues.models import JournalTransaction, Payment


class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    required_permission = {"GET": permissions.VIEW_PAYMENTS, "POST": permissions.MANAGE_PAYMENTS}
    serializer_class = PaymentSerializer

    def get_queryset(self):
        params = self.request.query_params
        queryset = Payment.objects.prefetch_related(
            Prefetch("journal", queryset=JournalTransaction.objects.prefetch_related("lines"))
        )
        for name in ("status", "source", "method", "member_id"):
            if params.get(name):
                queryset = queryset.filter(**{name: params[name]})
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str, required=False)
            for name in ("status", "source", "method", "member_id")
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=CandidateSerializer(many=True))
    @action(detail=True, methods=["get"])
    def candidates(self, request, pk=None):
        payment = self.get_object()
        return Response(CandidateSerializer(payment.candidates.all(), many=True).data)

    @extend_schema(request=None, responses=PaymentSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        """Undo an application inside its hold, as the Hold page does: back in review."""
        payment = self.get_object()
        try:
            payment = services.payment_undo(payment_id=payment.pk, user=request.user)
        except DomainError as exc:
            return Response(
                {"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT
            )
        return Response(PaymentSerializer(payment).data)
