"""URLs of the month-end close's reconciliation pages (included by dues.urls under close/)."""

from django.urls import path

from dues.close import recon_pages as views

app_name = "close"

urlpatterns = [
    path("", views.PeriodListView.as_view(), name="periods"),
    path("mapping/", views.GlMappingView.as_view(), name="mapping"),
    path("mapping/save/", views.GlMappingSetView.as_view(), name="mapping_set"),
    path("<str:month>/", views.ReconciliationView.as_view(), name="month"),
    path("<str:month>/reconcile/", views.ReconciliationStartView.as_view(), name="reconcile"),
    path("<str:month>/close/", views.PeriodCloseView.as_view(), name="close"),
    path("<str:month>/reopen/", views.PeriodReopenView.as_view(), name="reopen"),
    path("<str:month>/export/<str:fmt>/", views.GlExportView.as_view(), name="export"),
]
