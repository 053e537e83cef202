"""In a real Chromium: a member opens their link, asks about a prorated charge and sees the
breakdown; staff enter an inquiry that is escalated, another person answers it, the reply is sent
(SMTP sink) and logged on the inquiry and for iMIS."""

import pytest
from playwright.sync_api import expect

from common import roles
from dues.inquiries import portal, services
from dues.inquiries.account import PART
from dues.models import Inquiry
from imis_client.models import OutboxWrite
from reviews.models import Communication
from reviews.services import review_item_execute
from tests.conftest import browser_login, screenshot
from tests.dues.inquiries.conftest import member_with_open_invoice

pytestmark = pytest.mark.browser


def test_member_asks_about_a_prorated_charge_and_sees_the_breakdown(
    page, live_server, settings, billing_mirror, billing_sandbox
):
    settings.PUBLIC_BASE_URL = live_server.url  # where the e-mailed link points
    member, invoice = member_with_open_invoice(billing_sandbox.association, "tier_change")
    url = portal.account_link(member.imis_id)

    page.goto(url)
    expect(page.locator(f'article[data-invoice="{invoice.number}"] h3')).to_contain_text(
        f"Invoice {invoice.number}"
    )
    breakdown = page.locator(f'article[data-invoice="{invoice.number}"] details.breakdown')
    expect(breakdown).to_contain_text("of 12 months")
    screenshot(page, "inquiries-member-page")
    page.get_by_label("Your question").fill("Why was my invoice prorated? How is it worked out?")
    page.get_by_role("button", name="Ask").click()

    expect(page.locator(".message-success")).to_contain_text("Here is your answer")
    answer = page.locator("#answer-text")
    expect(answer).to_contain_text(f"invoice {invoice.number}")
    expect(answer).to_contain_text("of 12 months")
    screenshot(page, "inquiries-member-answer")
    inquiry = Inquiry.objects.get(member_id=member.imis_id, channel="portal")
    assert inquiry.status == "answered"
    assert PART.search(inquiry.messages.get(direction="out").text)
    assert OutboxWrite.objects.filter(source=f"inquiry {inquiry.pk}", path="/api/Activity").exists()


def test_staff_answer_an_escalated_inquiry_and_the_reply_is_sent_and_logged(
    page, make_user, billing_mirror, billing_sandbox, smtp_sink
):
    member, _ = member_with_open_invoice(billing_sandbox.association, "duplicate")
    make_user(roles.FINANCE)  # frank takes the call
    make_user(roles.FINANCE, username="fiona")  # fiona answers it

    browser_login(page, "frank")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New inquiry").click()
    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("Member (iMIS id)").fill(member.imis_id)
    page.get_by_label("Subject").fill("Charged twice")
    page.get_by_label("What they asked").fill(
        "The member says she was charged twice for the same membership year."
    )
    page.get_by_role("button", name="Save inquiry").click()
    expect(page.locator(".message-success")).to_contain_text("its reply is being drafted")
    inquiry = Inquiry.objects.get(member_id=member.imis_id)
    services.inquiry_process(inquiry_id=inquiry.pk)  # the worker's task, in production
    page.get_by_role("button", name="Sign out").click()

    browser_login(page, "fiona")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inquiries").click()
    page.locator("#f-escalation").select_option("billing_error")
    row = page.locator(f'#inquiries tr[data-inquiry="{inquiry.pk}"]')
    expect(row).to_contain_text("A billing error (finance)")
    screenshot(page, "inquiries-list")
    row.get_by_role("link").click()
    expect(page.locator("#inquiry-escalation")).to_have_text("A billing error (finance)")
    expect(page.locator("#inquiry-summary")).to_contain_text("Credit memo")
    screenshot(page, "inquiries-detail-escalated")
    page.locator("#inquiry-item").click()
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.locator(".message-success")).to_be_visible()

    inquiry.refresh_from_db()
    review_item_execute(item_id=inquiry.review_item_id)  # the worker, in production
    comm = Communication.objects.get(item_id=inquiry.review_item_id)
    assert comm.status == "sent" and comm.to_address == member.email
    [sent] = smtp_sink.to(member.email)
    assert sent["Subject"] == comm.subject
    assert OutboxWrite.objects.filter(source=f"communication {comm.key}").count() == 1
    page.goto(f"/inquiries/{inquiry.pk}/")
    expect(page.locator("#inquiry-status")).to_have_text("Answered")
    expect(page.locator("#inquiry-thread li.message-out")).to_contain_text("Dear")
    screenshot(page, "inquiries-answered")
