"""URLs of the payment pages, and the providers' webhooks (unnamed: they are not pages)."""

from django.urls import include, path

from dues import views
from dues.collections import views as collection_views
from dues.inquiries import member_views
from dues.inquiries import webhook_views as inquiry_webhooks
from dues.intake import webhook_views

app_name = "dues"

urlpatterns = [
    path("payments/", views.PaymentQueueView.as_view(), name="queue"),
    path("payments/match/", views.PaymentMatchStartView.as_view(), name="match"),
    path("payments/hold/", views.HoldSummaryView.as_view(), name="hold"),
    path("payments/import/", views.PaymentImportView.as_view(), name="import"),
    path(
        "payments/import/<int:pk>/", views.PaymentImportDetailView.as_view(), name="import_detail"
    ),
    path("payments/check/", views.CheckEntryView.as_view(), name="check_new"),
    path("payments/performance/", views.MatchingPerformanceView.as_view(), name="performance"),
    path(
        "payments/matching-policy/",
        views.MatchingPolicySetView.as_view(),
        name="matching_policy",
    ),
    path("payments/parties/", views.PartySearchView.as_view(), name="party_search"),
    path("payments/<int:pk>/", views.PaymentDetailView.as_view(), name="payment_detail"),
    path("payments/<int:pk>/decide/", views.PaymentDecideView.as_view(), name="decide"),
    path("payments/<int:pk>/undo/", views.PaymentUndoView.as_view(), name="undo"),
    path("payments/<int:pk>/refund/", views.PaymentRefundView.as_view(), name="refund"),
    path(
        "payments/member/<str:imis_id>/pending/",
        views.MemberPendingView.as_view(),
        name="member_pending",
    ),
    path("billing/", include("dues.billing.urls")),
    path("close/revenue/", include("dues.close.revenue_urls")),
    path("", include("dues.collections.dunning_urls")),
    path("receivables/", collection_views.ReceivablesView.as_view(), name="receivables"),
    path("inquiries/", include("dues.inquiries.urls")),
    # The member's own page (a signed link, no sign-in: common.links).
    path("m/account/<str:token>/", member_views.member_account_page, name="member_account"),
    path("m/account/<str:token>/ask/", member_views.member_account_ask, name="member_account_ask"),
    path("close/", include("dues.close.recon_urls")),
    path("webhooks/stripe/", webhook_views.stripe_webhook),
    path("webhooks/authorizenet/", webhook_views.authorizenet_webhook),
    path("webhooks/inbound-email/", inquiry_webhooks.inbound_email_webhook),
]
