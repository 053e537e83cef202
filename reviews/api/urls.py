"""API routes of the review queues."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from reviews.api import views

router = SimpleRouter()
router.register("review-items", views.ReviewItemViewSet, basename="review-item")

urlpatterns = [
    path("review-metrics/", views.ReviewMetricsView.as_view(), name="review-metrics"),
    *router.urls,
]
