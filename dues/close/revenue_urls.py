"""URLs of deferred revenue, new-member billing and the board pack (dues.urls: close/revenue/)."""

from django.urls import path

from dues.close import revenue_views as views

app_name = "revenue"

urlpatterns = [
    path("", views.RollForwardView.as_view(), name="rollforward"),
    path("draft/", views.RecognitionDraftView.as_view(), name="draft"),
    path("schedules/refresh/", views.SchedulesRefreshView.as_view(), name="refresh"),
]
