"""API routes of renewals."""

from rest_framework.routers import SimpleRouter

from renewals.api import views

router = SimpleRouter()
router.register("renewals/scores", views.RenewalScoreViewSet, basename="renewal-score")
router.register("renewals/models", views.ModelVersionViewSet, basename="model-version")

urlpatterns = router.urls
