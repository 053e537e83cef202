"""The review-item API: list and detail of the caller's queues, and decide (same rules as pages)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import DomainError
from reviews import selectors, services
from reviews.api.serializers import DecisionSerializer, ReverseSerializer, ReviewItemSerializer
from reviews.permissions import DECIDE_MANAGER


class ReviewItemViewSet(viewsets.ReadOnlyModelViewSet):
    required_permission = None  # any signed-in person; the queryset keeps to their queues
    serializer_class = ReviewItemSerializer

    def get_queryset(self):
        params = self.request.query_params
        item_status = params.get("status", "pending")
        return selectors.review_items_for(
            self.request.user,
            status=None if item_status == "any" else item_status,
            kind=params.get("kind", ""),
        )

    def get_object(self):
        # Detail and decide see every status, but still only the caller's queues.
        return (
            self.get_queryset()
            .model.objects.filter(queue__in=selectors.queues_for(self.request.user))
            .get(pk=self.kwargs["pk"])
        )

    def retrieve(self, request, *args, **kwargs):
        try:
            item = self.get_object()
        except self.get_queryset().model.DoesNotExist:
            return Response({"detail": "No such item in your queues."}, status=404)
        return Response(self.get_serializer(item).data)

    @extend_schema(request=DecisionSerializer, responses=ReviewItemSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        try:
            self.get_object()
        except self.get_queryset().model.DoesNotExist:
            return Response({"detail": "No such item in your queues."}, status=404)
        given = DecisionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            item = services.review_item_decide(
                item_id=int(pk),
                user=request.user,
                decision=data["decision"],
                payload=data.get("payload"),
                reason=data.get("reason", ""),
                note=data.get("note", ""),
            )
        except DomainError as exc:
            code = status.HTTP_409_CONFLICT if exc.code == "already_decided" else 400
            if exc.code in ("four_eyes", "threshold", "queue"):
                code = status.HTTP_403_FORBIDDEN
            return Response({"detail": exc.message, "code": exc.code}, status=code)
        return Response(ReviewItemSerializer(item).data)

    @extend_schema(request=None, responses=ReviewItemSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Run a failed effect again."""
        return self._act(pk, lambda: services.review_item_retry(item_id=int(pk), user=request.user))

    @extend_schema(request=ReverseSerializer, responses=ReviewItemSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Undo a carried-out effect where its kind allows it; a reason is required."""

        def run():
            given = ReverseSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            return services.review_item_reverse(
                item_id=int(pk), user=request.user, reason=given.validated_data["reason"]
            )

        return self._act(pk, run)

    def _act(self, pk, run):
        try:
            self.get_object()
        except self.get_queryset().model.DoesNotExist:
            return Response({"detail": "No such item in your queues."}, status=404)
        try:
            item = run()
        except DomainError as exc:
            code = status.HTTP_403_FORBIDDEN if exc.code == "queue" else status.HTTP_409_CONFLICT
            if exc.code == "reason":
                code = status.HTTP_400_BAD_REQUEST
            return Response({"detail": exc.message, "code": exc.code}, status=code)
        return Response(ReviewItemSerializer(item).data)


class ReviewMetricsView(APIView):
    required_permission = DECIDE_MANAGER

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(
            {"by_kind": selectors.review_metrics(), "by_day": selectors.decisions_by_day()}
        )
