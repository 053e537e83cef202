"""The billing API under /api/v1/: findings of the invoice checks and credit memos.

Decisions on a memo go through its review item (``/api/v1/review-items/{id}/decide/``); a memo's
amount is changed here (``amend``), which files the proposal again in the caller's name.
"""

from django.urls import include, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from common.errors import DomainError
from dues.billing import memos, permissions
from dues.models import CreditMemo, Finding


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = [
            "id",
            "invoice_id",
            "invoice_number",
            "invoice_date",
            "member_id",
            "member_name",
            "kind",
            "status",
            "billed",
            "expected",
            "difference",
            "confidence",
            "summary",
            "breakdown",
            "created_at",
            "checked_at",
        ]


class CreditMemoSerializer(serializers.ModelSerializer):
    review_item = serializers.IntegerField(source="review_item_id", allow_null=True)
    finding = serializers.IntegerField(source="finding_id", allow_null=True)

    class Meta:
        model = CreditMemo
        fields = [
            "id",
            "reference",
            "origin",
            "status",
            "invoice_id",
            "invoice_number",
            "member_id",
            "member_name",
            "amount",
            "reason",
            "breakdown",
            "parts",
            "finding",
            "review_item",
            "outbox_reference",
            "imis_message",
            "created_at",
            "posted_at",
        ]


class AmendSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


FINDING_FILTERS = ("kind", "status", "member_id", "invoice_id")


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    required_permission = permissions.VIEW_BILLING
    serializer_class = FindingSerializer

    def get_queryset(self):
        queryset = Finding.objects.order_by("-id")
        for name in FINDING_FILTERS:
            if self.request.query_params.get(name):
                queryset = queryset.filter(**{name: self.request.query_params[name]})
        return queryset

    @extend_schema(parameters=[OpenApiParameter(n, str, required=False) for n in FINDING_FILTERS])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class CreditMemoViewSet(viewsets.ReadOnlyModelViewSet):
    required_permission = {"GET": permissions.VIEW_BILLING, "POST": permissions.PROPOSE_MEMO}
    serializer_class = CreditMemoSerializer

    def get_queryset(self):
        queryset = CreditMemo.objects.order_by("-id")
        for name in ("status", "member_id", "invoice_id"):
            if self.request.query_params.get(name):
                queryset = queryset.filter(**{name: self.request.query_params[name]})
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter(n, str, required=False) for n in ("status", "member_id", "invoice_id")
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AmendSerializer, responses=CreditMemoSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        """Change a proposed memo's amount; someone other than the caller then approves it."""
        memo = self.get_object()
        given = AmendSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            memo = memos.credit_memo_amend(
                memo_id=memo.pk,
                user=request.user,
                amount=given.validated_data["amount"],
                reason=given.validated_data.get("reason", ""),
            )
        except DomainError as exc:
            return Response(
                {"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT
            )
        return Response(CreditMemoSerializer(memo).data)


router = SimpleRouter()
router.register("billing/findings", FindingViewSet, basename="billing-finding")
router.register("billing/credit-memos", CreditMemoViewSet, basename="billing-credit-memo")

urlpatterns = [path("", include(router.urls))]
