"""API routes of the review queues."""

from rest_framework.routers import SimpleRouter

from reviews.api import views

router = SimpleRouter()
router.register("review-items", views.ReviewItemViewSet, basename="review-item")

urlpatterns = router.urls
