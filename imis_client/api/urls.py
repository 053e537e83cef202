"""API routes of the iMIS connection."""

from rest_framework.routers import SimpleRouter

from imis_client.api import views

router = SimpleRouter()
router.register("members", views.MemberViewSet, basename="member")
router.register("sync-runs", views.SyncRunViewSet, basename="sync-run")

urlpatterns = router.urls
