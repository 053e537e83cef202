"""URLs of deferred revenue, new-member billing and the board pack (dues.urls: close/revenue/)."""

from django.urls import path

from dues.close import boardpack, newmember_views
from dues.close import revenue_views as views

app_name = "revenue"

urlpatterns = [
    path("", views.RollForwardView.as_view(), name="rollforward"),
    path("draft/", views.RecognitionDraftView.as_view(), name="draft"),
    path("schedules/refresh/", views.SchedulesRefreshView.as_view(), name="refresh"),
    path("new-members/", newmember_views.NewMemberBillingView.as_view(), name="newmembers"),
    path("new-members/scan/", newmember_views.NewMemberScanView.as_view(), name="newmembers_scan"),
    path("board-pack/", boardpack.BoardPackView.as_view(), name="boardpack"),
    path("board-pack/<str:month>.pdf", boardpack.BoardPackPdfView.as_view(), name="boardpack_pdf"),
    path("board-pack/<str:month>.csv", boardpack.BoardPackCsvView.as_view(), name="boardpack_csv"),
]
