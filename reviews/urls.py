"""URLs of the review pages."""

from django.urls import path

from reviews import communication_views, views

app_name = "reviews"

urlpatterns = [
    path("reviews/", views.ReviewQueueView.as_view(), name="queue"),
    path("reviews/accept/", views.ReviewBulkAcceptView.as_view(), name="bulk_accept"),
    path("reviews/<int:pk>/", views.ReviewItemDetailView.as_view(), name="item"),
    path("reviews/<int:pk>/decide/", views.ReviewItemDecideView.as_view(), name="decide"),
    path("reviews/<int:pk>/retry/", views.ReviewItemRetryView.as_view(), name="retry"),
    path("reviews/<int:pk>/reverse/", views.ReviewItemReverseView.as_view(), name="reverse"),
    path(
        "communications/",
        communication_views.CommunicationListView.as_view(),
        name="communications",
    ),
    path("governance/", views.GovernanceView.as_view(), name="governance"),
    path("reviews/metrics/", views.ReviewMetricsView.as_view(), name="metrics"),
    path("reviews/manager/", views.ManagerView.as_view(), name="manager"),
]
