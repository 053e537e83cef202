"""URLs of the renewals pages."""

from django.urls import path

from renewals import views

app_name = "renewals"

urlpatterns = [
    path("renewals/", views.RenewalDashboardView.as_view(), name="dashboard"),
    path("renewals/at-risk/", views.AtRiskListView.as_view(), name="at_risk"),
    path("renewals/members/<str:member_id>/", views.MemberRiskView.as_view(), name="member"),
    path("renewals/models/", views.ModelVersionListView.as_view(), name="models"),
    path("renewals/models/train/", views.ModelTrainView.as_view(), name="train"),
    path("renewals/models/score/", views.ScoreNowView.as_view(), name="score"),
    path("renewals/models/<int:pk>/", views.ModelVersionDetailView.as_view(), name="model_detail"),
    path(
        "renewals/models/<int:pk>/activate/",
        views.ModelVersionActivateView.as_view(),
        name="model_activate",
    ),
    path("renewals/calls/", views.OutreachTaskListView.as_view(), name="tasks"),
    path("renewals/calls/<int:pk>/done/", views.OutreachTaskDoneView.as_view(), name="task_done"),
]
