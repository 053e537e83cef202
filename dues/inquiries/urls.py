"""URLs of the inquiry pages (included by dues.urls under inquiries/)."""

from django.urls import path

from dues.inquiries import views

app_name = "inquiries"

urlpatterns = [
    path("", views.InquiryListView.as_view(), name="list"),
    path("new/", views.InquiryCreateView.as_view(), name="new"),
    path("<int:pk>/", views.InquiryDetailView.as_view(), name="detail"),
    path("<int:pk>/match/", views.InquiryMatchView.as_view(), name="match"),
    path("<int:pk>/close/", views.InquiryCloseView.as_view(), name="close"),
    path("<int:pk>/reopen/", views.InquiryReopenView.as_view(), name="reopen"),
    path("policies/", views.PolicyDocumentListView.as_view(), name="policies"),
    path("policies/upload/", views.PolicyDocumentUploadView.as_view(), name="policy_upload"),
    path(
        "policies/<int:pk>/delete/", views.PolicyDocumentDeleteView.as_view(), name="policy_delete"
    ),
]
