"""URLs of dunning (included by dues.urls): staff pages, member pages under /m/, the SMS webhook."""

from django.urls import path

from dues.collections import dunning_views as views
from dues.collections import member_views

app_name = "dunning"

urlpatterns = [
    path("dunning/", views.DunningTodayView.as_view(), name="today"),
    path("dunning/run/", views.DunningRunView.as_view(), name="run"),
    path("dunning/cadence/", views.CadenceView.as_view(), name="cadence"),
    path("dunning/cadence/save/", views.CadenceSaveView.as_view(), name="cadence_save"),
    path("dunning/opt-outs/", views.OptOutView.as_view(), name="opt_out"),
    path(
        "dunning/invoices/<str:invoice_id>/plan/",
        views.PlanCreateView.as_view(),
        name="plan_create",
    ),
    path("dunning/plans/<int:pk>/change/", views.PlanChangeView.as_view(), name="plan_change"),
    path("dunning/plans/<int:pk>/cancel/", views.PlanCancelView.as_view(), name="plan_cancel"),
    path("m/plan/<str:token>/", member_views.plan_page, name="member_plan"),
    path("m/unsubscribe/<str:token>/", member_views.unsubscribe_page, name="member_unsubscribe"),
    path("webhooks/twilio/sms/", member_views.sms_inbound, name="sms_inbound"),
]
