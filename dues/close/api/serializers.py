"""Serializers of the close API: output for periods, reconciliations and their differences,
deposits, the roll-forward and the board pack; input for the writes (the month, a reason)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.errors import DomainError
from dues.close import periods
from dues.models import BankDeposit, Difference, Reconciliation


class MonthField(serializers.CharField):
    """A month written ``YYYY-MM``, read as its first day."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return periods.parse_month(text)
        except DomainError as exc:
            raise serializers.ValidationError(exc.message) from None


class MonthInputSerializer(serializers.Serializer):
    """The month a write acts on (from the URL)."""

    month = MonthField()


class ReopenInputSerializer(MonthInputSerializer):
    reason = serializers.CharField(
        max_length=300, help_text="Why the month is reopened; kept in the audit log."
    )


class PeriodSerializer(serializers.Serializer):
    """A month: open or closed, when and by whom, and its latest reconciliation."""

    month = serializers.CharField(source="key")
    name = serializers.CharField()
    status = serializers.SerializerMethodField()
    closed_at = serializers.DateTimeField(source="period.closed_at", allow_null=True, default=None)
    closed_by = serializers.CharField(
        source="period.closed_by.username", allow_null=True, default=None
    )
    reopened_at = serializers.DateTimeField(
        source="period.reopened_at", allow_null=True, default=None
    )
    reconciliation = serializers.IntegerField(source="recon.pk", allow_null=True, default=None)
    unexplained = serializers.SerializerMethodField()
    entries_waiting = serializers.IntegerField(source="waiting")

    def get_status(self, row) -> str:
        return "closed" if row["closed"] else "open"

    def get_unexplained(self, row) -> int | None:
        recon = row["recon"]
        return None if recon is None else recon.figures.get("unexplained", 0)


class CauseTotalSerializer(serializers.Serializer):
    cause = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class ReconciliationSerializer(serializers.ModelSerializer):
    month = serializers.DateField(format="%Y-%m")
    started_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    by_cause = serializers.SerializerMethodField()

    class Meta:
        model = Reconciliation
        fields = [
            "id",
            "month",
            "status",
            "started_by",
            "job_run_id",
            "started_at",
            "finished_at",
            "error",
            "by_cause",
            "figures",
        ]
        read_only_fields = fields

    @extend_schema_field(CauseTotalSerializer(many=True))
    def get_by_cause(self, recon) -> list[dict]:
        """Every cause with how many differences it explains and their total, in the page's
        order; a cause with none is listed at zero."""
        totals = recon.figures.get("by_cause") or {}
        counts = recon.figures.get("counts") or {}
        return [
            {
                "cause": value,
                "label": label,
                "count": counts.get(value, 0),
                "amount": totals.get(value, "0.00"),
            }
            for value, label in Difference.Cause.choices
        ]


class DifferenceSerializer(serializers.ModelSerializer):
    cause_label = serializers.CharField(source="get_cause_display", read_only=True)
    review_item = serializers.IntegerField(source="review_item_id", allow_null=True)
    payment = serializers.IntegerField(source="payment_id", allow_null=True)
    deposit = serializers.IntegerField(source="deposit_id", allow_null=True)

    class Meta:
        model = Difference
        fields = [
            "id",
            "cause",
            "cause_label",
            "amount",
            "source",
            "payment",
            "deposit",
            "reference",
            "explanation",
            "review_item",
        ]
        read_only_fields = fields


class DepositSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankDeposit
        fields = [
            "id",
            "kind",
            "status",
            "account",
            "received_on",
            "amount",
            "fee",
            "currency",
            "bank_reference",
            "lockbox",
            "items",
            "items_total",
            "problems",
        ]
        read_only_fields = fields


class AccountAmountSerializer(serializers.Serializer):
    account = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class RollForwardSerializer(serializers.Serializer):
    """opening + deferred - recognised - adjusted = closing, beside the revenue journal."""

    month = serializers.DateField(source="period", format="%Y-%m")
    opening = serializers.DecimalField(max_digits=14, decimal_places=2)
    deferred = serializers.DecimalField(max_digits=14, decimal_places=2)
    recognised = serializers.DecimalField(max_digits=14, decimal_places=2)
    adjusted = serializers.DecimalField(max_digits=14, decimal_places=2)
    closing = serializers.DecimalField(max_digits=14, decimal_places=2)
    identity_holds = serializers.BooleanField()
    ledger_opening = serializers.DecimalField(max_digits=14, decimal_places=2)
    ledger_closing = serializers.DecimalField(max_digits=14, decimal_places=2)
    pending_recognition = serializers.DecimalField(
        source="pending", max_digits=14, decimal_places=2
    )
    difference = serializers.DecimalField(max_digits=14, decimal_places=2)
    recognition = serializers.SerializerMethodField()
    recognised_by_account = serializers.SerializerMethodField()
    adjusted_by_kind = serializers.SerializerMethodField()
    excess = serializers.DecimalField(max_digits=14, decimal_places=2)

    def get_recognition(self, rf) -> str:
        return rf.recognition_status or "not drafted"

    @extend_schema_field(AccountAmountSerializer(many=True))
    def get_recognised_by_account(self, rf) -> list[dict]:
        from dues.ledger.accounts import account_label

        return [
            {"account": a, "label": account_label(a), "amount": str(v)} for a, v in rf.by_account
        ]

    def get_adjusted_by_kind(self, rf) -> dict[str, str]:
        return {kind: str(v) for kind, v in rf.adjusted_by_kind}


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField()
    note = serializers.CharField()


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    sentence = serializers.CharField()
    figures = FigureSerializer(many=True)


class BoardPackSerializer(serializers.Serializer):
    """The month's figures by section, and the deterministic summary made from them."""

    month = serializers.DateField(format="%Y-%m")
    summary = serializers.ListField(child=serializers.CharField())
    sections = SectionSerializer(many=True)
