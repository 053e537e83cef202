"""URLs of the billing pages (included by dues.urls under billing/)."""

from django.urls import path

from dues.billing import views

app_name = "billing"

urlpatterns = [
    path("checks/", views.BillingChecksView.as_view(), name="checks"),
    path("checks/run/", views.BillingChecksRunView.as_view(), name="checks_run"),
    path("invoices/<str:invoice_id>/", views.InvoiceBillingView.as_view(), name="invoice"),
    path("memos/", views.CreditMemoListView.as_view(), name="memos"),
    path("memos/<int:pk>/", views.CreditMemoDetailView.as_view(), name="memo"),
    path("memos/<int:pk>/amend/", views.CreditMemoAmendView.as_view(), name="memo_amend"),
    path("memos/<int:pk>/decide/", views.CreditMemoDecideView.as_view(), name="memo_decide"),
    path("calculator/", views.CalculatorView.as_view(), name="calculator"),
    path("calculator/propose/", views.CalculatorProposeView.as_view(), name="calculator_propose"),
    path("policy/", views.BillingPolicyView.as_view(), name="policy"),
    path("policy/save/", views.BillingPolicyUpdateView.as_view(), name="policy_update"),
]
