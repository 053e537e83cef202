"""API routes of dues: payments, and the billing, collections, close and inquiries APIs."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from dues.api import views

router = SimpleRouter()
router.register("payments", views.PaymentViewSet, basename="payment")

urlpatterns = [
    *router.urls,
    path("", include("dues.billing.api")),
    path("", include("dues.collections.api")),
    path("", include("dues.close.api.urls")),
    path("", include("dues.inquiries.api")),
]
