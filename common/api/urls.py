"""API routes of the common app."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from common.api import views

router = SimpleRouter()
router.register("jobs", views.JobRunViewSet, basename="job")

urlpatterns = [path("me/", views.MeView.as_view(), name="me"), *router.urls]
