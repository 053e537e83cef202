"""URLs of the review pages."""

from django.urls import path

from reviews import drafting_views, views

app_name = "reviews"

urlpatterns = [
    path("reviews/", views.ReviewQueueView.as_view(), name="queue"),
    path("reviews/accept/", views.ReviewBulkAcceptView.as_view(), name="bulk_accept"),
    path("reviews/<int:pk>/", views.ReviewItemDetailView.as_view(), name="item"),
    path("reviews/<int:pk>/decide/", views.ReviewItemDecideView.as_view(), name="decide"),
    path("governance/", views.GovernanceView.as_view(), name="governance"),
    path("reviews/metrics/", views.ReviewMetricsView.as_view(), name="metrics"),
    path("reviews/manager/", views.ManagerView.as_view(), name="manager"),
    # Drafting (#5)
    path(
        "reviews/<int:pk>/draft-check/",
        drafting_views.ReviewItemDraftCheckView.as_view(),
        name="draft_check",
    ),
    path("templates/", drafting_views.TemplateListView.as_view(), name="template_list"),
    path(
        "templates/<int:pk>/", drafting_views.TemplateDetailView.as_view(), name="template_detail"
    ),
    path(
        "templates/<int:pk>/save/",
        drafting_views.TemplateVersionCreateView.as_view(),
        name="template_save",
    ),
    path(
        "templates/<int:pk>/preview/",
        drafting_views.TemplatePreviewView.as_view(),
        name="template_preview",
    ),
    path("guardrails/", drafting_views.GuardrailListView.as_view(), name="guardrails"),
    path("guardrails/add/", drafting_views.GuardrailRuleCreateView.as_view(), name="guardrail_add"),
    path(
        "guardrails/<int:pk>/",
        drafting_views.GuardrailRuleUpdateView.as_view(),
        name="guardrail_update",
    ),
    path("drafts/", drafting_views.DraftLogView.as_view(), name="draft_log"),
]
