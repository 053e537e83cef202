"""The dunning pages: a manager changes a step (audited), a bad change is refused with what to
fix, finance offers and cancels a plan from the invoice page, staff record an opt-out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common import roles
from common.models import AuditEvent
from dues.models import ContactOptOut, DunningStep, PaymentPlan

pytestmark = pytest.mark.django_db


def step_post(**changes) -> dict:
    data = {
        "code": "reminder",
        "label": "Reminder",
        "offset_days": "7",
        "channel": "email",
        "purpose": "dunning_1",
        "min_amount": "0",
        "mode": "assist",
        "active": "on",
    }
    data.update(changes)
    return data


def test_manager_changes_a_step_and_it_is_audited(client, make_user):
    client.force_login(make_user(roles.MANAGER, "boss"))

    response = client.post("/dunning/cadence/save/", step_post(offset_days="10"), follow=True)

    assert "Saved step “Reminder” (day +10)." in response.content.decode()
    assert DunningStep.objects.get(code="reminder").offset_days == 10
    assert AuditEvent.objects.filter(action="dunning.step_changed", actor__username="boss").exists()


def test_a_bad_step_is_refused_saying_what_to_fix(client, make_user):
    client.force_login(make_user(roles.MANAGER, "boss"))

    response = client.post(
        "/dunning/cadence/save/", step_post(channel="sms", purpose="payment_plan")
    )

    assert response.status_code == 400
    assert "Payment-plan offer is not drafted for sms; use email." in response.content.decode()
    assert DunningStep.objects.get(code="reminder").channel == "email"


def test_finance_may_not_change_the_cadence(client, make_user):
    client.force_login(make_user(roles.FINANCE, "fin"))

    assert client.post("/dunning/cadence/save/", step_post(offset_days="3")).status_code == 403
    assert DunningStep.objects.get(code="reminder").offset_days == 7


def test_finance_offers_and_cancels_a_plan_from_the_invoice_page(client, make_user, mirror):
    mirror.member("M1", "Ada Lovelace", email="ada@example.org")
    mirror.invoice("INV-1", "M1", "90.00", due_date=timezone.localdate() - timedelta(days=40))
    client.force_login(make_user(roles.FINANCE, "fin"))

    offered = client.post(
        "/dunning/invoices/INV-1/plan/", {"instalments": "3", "reason": "asked"}, follow=True
    )
    plan = PaymentPlan.objects.get()
    page = client.get("/billing/invoices/INV-1/").content.decode()
    refused = client.post(f"/dunning/plans/{plan.pk}/cancel/", {"reason": ""}, follow=True)
    cancelled = client.post(f"/dunning/plans/{plan.pk}/cancel/", {"reason": "paid"}, follow=True)

    assert "Plan offer filed for review" in offered.content.decode()
    assert f'id="plan-{plan.pk}"' in page and "30.00" in page
    assert "Say why the plan is cancelled" in refused.content.decode()
    assert f"Plan {plan.pk} cancelled" in cancelled.content.decode()
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.CANCELLED


def test_staff_record_an_opt_out(client, make_user):
    client.force_login(make_user(roles.MEMBERSHIP, "mem"))

    response = client.post(
        "/dunning/opt-outs/",
        {"party_id": "M9", "channel": "sms", "action": "out", "note": "asked by phone"},
    )

    assert response.status_code == 302
    row = ContactOptOut.objects.get()
    assert (row.party_id, row.channel, row.source, row.created_by.username) == (
        "M9",
        "sms",
        "staff",
        "mem",
    )
