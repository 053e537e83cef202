"""Output serializers of the payments API (decisions go through the review-item API)."""

from collections import defaultdict
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.money import to_money
from dues.models import Account, Payment, PaymentCandidate


class AppliedInvoiceSerializer(serializers.Serializer):
    invoice_id = serializers.CharField()
    held = serializers.DecimalField(max_digits=14, decimal_places=2)
    posted = serializers.DecimalField(max_digits=14, decimal_places=2)


class PaymentSerializer(serializers.ModelSerializer):
    applied_invoices = serializers.SerializerMethodField()
    credit_on_account = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "source",
            "status",
            "amount",
            "currency",
            "refunded_amount",
            "received_on",
            "payer_name",
            "payer_email",
            "payer_postal_code",
            "memo",
            "reference",
            "method",
            "provider_id",
            "member_id",
            "payer_id",
            "top_confidence",
            "candidate_count",
            "review_item",
            "applied_by_policy",
            "applied_at",
            "hold_until",
            "posted_at",
            "imis_reference",
            "attention",
            "applied_invoices",
            "credit_on_account",
            "created_at",
        ]
        read_only_fields = fields

    def _lines(self, payment: Payment):
        return [line for txn in payment.journal.all() for line in txn.lines.all()]

    @extend_schema_field(AppliedInvoiceSerializer(many=True))
    def get_applied_invoices(self, payment: Payment) -> list[dict]:
        applied: dict[str, dict] = defaultdict(lambda: {"held": Decimal(0), "posted": Decimal(0)})
        for line in self._lines(payment):
            if line.invoice_id and line.account == Account.HOLD:
                applied[line.invoice_id]["held"] -= line.amount
            elif line.invoice_id and line.account == Account.RECEIVABLE:
                applied[line.invoice_id]["posted"] -= line.amount
        return [
            {
                "invoice_id": inv,
                "held": str(to_money(v["held"])),
                "posted": str(to_money(v["posted"])),
            }
            for inv, v in sorted(applied.items())
            if v["held"] or v["posted"]
        ]

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_credit_on_account(self, payment: Payment) -> str:
        lines = self._lines(payment)
        held = -sum(
            (li.amount for li in lines if li.account == Account.HOLD and not li.invoice_id),
            Decimal(0),
        )
        if payment.status == Payment.Status.POSTED:
            held = -sum((li.amount for li in lines if li.account == Account.UNAPPLIED), Decimal(0))
        return str(held.quantize(Decimal("0.01")))


class CandidateSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentCandidate
        fields = [
            "rank",
            "member_id",
            "payer_id",
            "allocations",
            "credit",
            "shortfall",
            "confidence",
            "explanation",
            "signals",
        ]
        read_only_fields = fields
