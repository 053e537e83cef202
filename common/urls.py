"""URLs of the common app (jobs); home and health are wired in config.urls."""

from django.urls import path

from common import views

app_name = "common"

urlpatterns = [
    path("jobs/", views.JobRunListView.as_view(), name="job_list"),
    path("jobs/start/", views.JobRunStartView.as_view(), name="job_start"),
    path("jobs/<int:pk>/", views.JobRunDetailView.as_view(), name="job_detail"),
    path("jobs/<int:pk>/cancel/", views.JobRunCancelView.as_view(), name="job_cancel"),
    path("jobs/<int:pk>/retry/", views.JobRunRetryView.as_view(), name="job_retry"),
    path("audit/", views.AuditEventListView.as_view(), name="audit_list"),
    path("audit/export.csv", views.AuditEventExportView.as_view(), name="audit_export"),
]
