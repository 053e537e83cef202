"""URLs of the iMIS connection's pages."""

from django.urls import path

from imis_client import views

app_name = "imis_client"

urlpatterns = [
    path("members/", views.MemberListView.as_view(), name="member_list"),
    path("members/<str:imis_id>/", views.MemberDetailView.as_view(), name="member_detail"),
    path("sync/", views.SyncStatusView.as_view(), name="sync_status"),
    path("sync/start/", views.SyncStartView.as_view(), name="sync_start"),
    path("sync/problems/", views.SyncProblemListView.as_view(), name="sync_problems"),
    path("outbox/", views.OutboxListView.as_view(), name="outbox"),
    path("outbox/<int:pk>/retry/", views.OutboxWriteRetryView.as_view(), name="outbox_retry"),
    path("outbox/<int:pk>/cancel/", views.OutboxWriteCancelView.as_view(), name="outbox_cancel"),
]
