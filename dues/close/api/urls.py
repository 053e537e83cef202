"""Routes of the close API (under /api/v1/close/)."""

from django.urls import path

from dues.close.api import views

MONTH = "<str:month>"

urlpatterns = [
    path("close/periods/", views.PeriodListView.as_view(), name="close-period-list"),
    path(f"close/periods/{MONTH}/", views.PeriodDetailView.as_view(), name="close-period-detail"),
    path(
        f"close/periods/{MONTH}/reconcile/",
        views.PeriodReconcileView.as_view(),
        name="close-period-reconcile",
    ),
    path(
        f"close/periods/{MONTH}/close/", views.PeriodCloseView.as_view(), name="close-period-close"
    ),
    path(
        f"close/periods/{MONTH}/reopen/",
        views.PeriodReopenView.as_view(),
        name="close-period-reopen",
    ),
    path(
        "close/reconciliations/",
        views.ReconciliationListView.as_view(),
        name="close-reconciliation-list",
    ),
    path(
        "close/reconciliations/<int:pk>/",
        views.ReconciliationDetailView.as_view(),
        name="close-reconciliation-detail",
    ),
    path(
        "close/reconciliations/<int:pk>/differences/",
        views.ReconciliationDifferencesView.as_view(),
        name="close-reconciliation-differences",
    ),
    path("close/deposits/", views.DepositListView.as_view(), name="close-deposit-list"),
    path(f"close/rollforward/{MONTH}/", views.RollForwardView.as_view(), name="close-rollforward"),
    path(f"close/board-pack/{MONTH}/", views.BoardPackView.as_view(), name="close-boardpack"),
]
