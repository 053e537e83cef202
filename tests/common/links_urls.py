"""A member page for tests/common/test_links.py: the decorator around the simplest view."""

from django.http import HttpResponse
from django.urls import path

from common.links import member_link_view


@member_link_view("plan")
def plan_page(request, link):
    return HttpResponse(f"plan page for {link.party_id} about {link.subject}")


urlpatterns = [path("m/plan/<str:token>/", plan_page, name="plan_page")]
