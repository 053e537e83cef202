"""Output serializers of the renewals API."""

from rest_framework import serializers

from renewals.models import ModelVersion, RenewalScore


class ReasonSerializer(serializers.Serializer):
    topic = serializers.CharField()
    text = serializers.CharField()
    weight = serializers.FloatField(help_text="Contribution to the lapse log-odds.")


class RenewalScoreSerializer(serializers.ModelSerializer):
    reasons = ReasonSerializer(many=True)
    model_version = serializers.IntegerField(source="model_version_id")
    scoring_run = serializers.IntegerField(source="run_id")

    class Meta:
        model = RenewalScore
        fields = [
            "member_id",
            "member_name",
            "chapter",
            "member_type",
            "paid_thru",
            "invoice_id",
            "dues_amount",
            "probability",
            "band",
            "reasons",
            "next_action",
            "holdout",
            "scored_on",
            "model_version",
            "scoring_run",
        ]
        read_only_fields = fields


class MemberRiskSerializer(serializers.Serializer):
    latest = RenewalScoreSerializer()
    history = RenewalScoreSerializer(many=True)


class ModelVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "status",
            "algorithm",
            "as_of",
            "created_at",
            "activated_at",
            "data_window",
            "training_size",
            "validation_size",
            "metrics",
            "baseline_metrics",
            "importances",
            "comparison",
        ]
        read_only_fields = fields
