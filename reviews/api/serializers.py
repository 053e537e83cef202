"""Serializers of the review-item API: output, and the one input of a decision."""

from rest_framework import serializers

from reviews.models import ReviewItem


class ReviewItemSerializer(serializers.ModelSerializer):
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ReviewItem
        fields = [
            "id",
            "kind",
            "queue",
            "status",
            "title",
            "summary",
            "member_id",
            "invoice_id",
            "object_ref",
            "evidence",
            "rationale",
            "confidence",
            "payload",
            "original_payload",
            "edit_diff",
            "amount",
            "needs_manager",
            "priority",
            "due_by",
            "proposed_by",
            "proposed_by_job",
            "decided_by",
            "decided_by_policy",
            "decided_at",
            "reject_reason",
            "reject_note",
            "stale_reason",
            "effect_result",
            "effect_error",
            "created_at",
        ]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["accept", "edit", "reject"])
    payload = serializers.DictField(required=False)
    reason = serializers.ChoiceField(choices=ReviewItem.RejectReason.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
