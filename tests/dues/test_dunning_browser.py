"""In a real Chromium: a member opens their plan link (no sign-in), accepts the plan, and finance
staff see the accepted plan on the invoice; the dunning pages are photographed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from common import roles
from dues.collections import planner, plans
from dues.models import PaymentPlan
from reviews.models import Communication
from reviews.services import review_item_decide, review_item_execute
from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def overdue_invoices(transactional_db):
    from tests.dues.conftest import Mirror

    mirror = Mirror()
    today = timezone.localdate()
    mirror.member("M1", "Ada Lovelace", email="ada@example.org")
    mirror.invoice("INV-1", "M1", "100.00", due_date=today - timedelta(days=40))
    for n in range(5):
        mirror.member(f"P{n}", f"Member {n}", email=f"p{n}@example.org")
        mirror.invoice(f"I{n}", f"P{n}", f"{60 + n}.00", due_date=today - timedelta(days=9 + n))
    return today


def test_member_accepts_plan_by_link_and_staff_see_it_on_the_invoice(
    page, make_user, overdue_invoices, smtp_sink
):
    proposer = make_user(roles.FINANCE, "frank")
    approver = make_user(roles.MANAGER, "mia")
    item = plans.plan_offer_propose(
        invoice_id="INV-1", instalments=3, proposed_by=proposer, reason="asked by phone"
    )
    review_item_decide(item_id=item.pk, user=approver, decision="accept", enqueue=False)
    review_item_execute(item_id=item.pk)
    body = Communication.objects.get(item=item).body
    path = next(w for w in body.split() if "/m/plan/" in w).split("localhost:8000", 1)[-1]
    planner.dunning_run(today=overdue_invoices)

    # the member opens the link from the e-mail: no sign-in, their invoice and schedule only
    page.goto(path)
    expect(page.locator("#plan-schedule")).to_contain_text("33.34")
    expect(page.locator("body")).not_to_contain_text("Member 1")
    screenshot(page, "dunning-member-plan")
    page.get_by_role("button", name="Accept this plan").click()
    expect(page.locator("#plan-accepted")).to_contain_text("3 instalments for invoice INV-1")
    screenshot(page, "dunning-member-plan-accepted")
    # the link is used up: opening it again shows only "not valid"
    page.goto(path)
    expect(page.locator("body")).to_contain_text("not valid")
    expect(page.locator("body")).not_to_contain_text("33.34")

    plan = PaymentPlan.objects.get(review_item=item)
    browser_login(page, "frank")
    page.goto("/billing/invoices/INV-1/")
    expect(page.locator(f"#plan-{plan.pk}")).to_contain_text("Accepted, in progress")
    expect(page.locator("#dunning-paused")).to_contain_text(f"payment plan {plan.pk}")
    screenshot(page, "dunning-invoice-plan")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Dunning", exact=True
    ).click()
    expect(page.locator("#actions tbody tr")).to_have_count(5)
    page.get_by_role("link", name="Balance").click()
    expect(page.locator("#actions tbody tr").first).to_contain_text("64.00")  # largest first
    screenshot(page, "dunning-today")
    page.goto("/dunning/cadence/")
    expect(page.locator("#cadence tbody tr")).to_have_count(
        7
    )  # the six defaults and the plans' own reminder
    screenshot(page, "dunning-cadence")
