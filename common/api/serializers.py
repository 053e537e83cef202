"""Output serializers of the common API."""

from rest_framework import serializers

from common.models import JobRun


class JobRunSerializer(serializers.ModelSerializer):
    requested_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    percent = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = JobRun
        fields = [
            "id",
            "kind",
            "label",
            "status",
            "stage",
            "done",
            "total",
            "percent",
            "rate",
            "eta_seconds",
            "message",
            "error",
            "result",
            "attempts",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    permissions = serializers.ListField(child=serializers.CharField())
