"""Inquiries and collections: a plan request becomes collections' plan offer, an open inquiry
pauses its invoice's dunning (and the pause ends with the inquiry), the member page lists plans."""

from common import roles
from dues.collections.pauses import pauses_now
from dues.inquiries import services
from dues.inquiries.account import member_account
from dues.models import PauseReason, PaymentPlan
from reviews.models import ReviewItem
from tests.dues.inquiries.conftest import member_with_open_invoice


def test_plan_request_becomes_a_plan_offer_and_the_inquiry_pauses_dunning(mirror, make_user):
    party, invoice = member_with_open_invoice(mirror.association, "tier_change")
    clerk = make_user(roles.FINANCE)

    inquiry = services.inquiry_create(
        user=clerk,
        channel="phone",
        subject="instalments",
        text=f"Can I pay invoice {invoice.number} in monthly installments?",
        member_id=party.imis_id,
    )
    inquiry = services.inquiry_process(inquiry_id=inquiry.pk)

    assert (inquiry.category, inquiry.escalation, inquiry.invoice_id) == (
        "plan_request",
        "action",
        invoice.imis_id,
    )
    plan = PaymentPlan.objects.get(invoice_id=invoice.imis_id)
    assert plan.proposed_by == clerk
    assert ReviewItem.objects.filter(pk=plan.review_item_id).exists()
    assert f"review item #{plan.review_item_id}" in inquiry.summary
    paused = dict(pauses_now([invoice.imis_id]).get(invoice.imis_id, []))
    assert paused[PauseReason.INQUIRY] == f"inquiry #{inquiry.pk} (plan request) is open"
    assert (
        member_account(party.imis_id)
        .plans[0]["text"]
        .startswith(f"Plan on invoice {invoice.imis_id}: proposed")
    )

    services.inquiry_close(inquiry_id=inquiry.pk, user=clerk)

    assert PauseReason.INQUIRY not in dict(pauses_now([invoice.imis_id]).get(invoice.imis_id, []))
