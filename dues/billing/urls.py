"""URLs of the billing pages (included by dues.urls under billing/)."""

from django.urls import path

from dues.billing import views

app_name = "billing"

urlpatterns = [
    path("policy/", views.BillingPolicyView.as_view(), name="policy"),
]
