"""In a real Chromium: a finance user opens a finding, edits its memo's amount, a second user
approves it, and it posts to the sandbox iMIS; every billing page is photographed."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from common import roles
from dues.billing import memo_posting, memos, services
from dues.models import CheckRun, CreditMemo, Finding
from imis_client.client import ImisClient
from imis_client.models import OutboxWrite
from imis_client.services import outbox_relay
from reviews.services import review_item_execute
from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_finance_edits_a_memo_a_second_person_approves_it_and_it_posts(
    page, make_user, billing_mirror, billing_sandbox
):
    services.billing_checks_run(trigger=CheckRun.Trigger.COMMAND, since=billing_mirror)
    memos.credit_memos_file_for_findings()
    make_user(roles.FINANCE)
    make_user(roles.FINANCE, username="fiona")
    finding = Finding.objects.filter(
        kind="stale_price", difference__gt=-100, difference__lt=100
    ).first()
    memo = CreditMemo.objects.get(finding=finding)
    new_amount = memo.amount + Decimal("-2.50") if memo.amount < 0 else memo.amount - 2
    inv = billing_sandbox.association.invoices
    row = inv.find(int(memo.invoice_id))
    adjusted_before = int(inv.col("adjustment")[row])

    # frank finds the invoice among the findings and opens it
    browser_login(page, "frank")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing checks").click()
    expect(page.locator("#findings tbody tr").first).to_be_visible()
    screenshot(page, "billing-checks")
    page.locator('.kind-counts a[data-kind="stale_price"]').click()
    row_link = page.locator(f'tr[data-finding="{finding.pk}"] a').first
    row_link.click()
    expect(page.locator("#invoice-lines")).to_contain_text(finding.breakdown["lines"][0]["item"])
    expect(page.locator("#breakdown")).to_contain_text("in force on")
    screenshot(page, "billing-invoice")
    # ... opens its memo and edits the amount
    page.get_by_role("link", name=f"{memo.label} {memo.reference}").click()
    expect(page.locator("#memo-amount")).to_have_text(str(memo.amount))
    page.get_by_label("Amount").fill(str(new_amount))
    page.locator("#amend-save").click()
    expect(page.locator(".message-success")).to_contain_text("someone else approves it")
    expect(page.locator("#memo-amount")).to_have_text(str(new_amount))
    expect(page.locator("#memo-approve")).to_be_visible()
    screenshot(page, "billing-memo-edited")
    # frank cannot approve his own edit
    page.locator("#memo-approve").click()
    expect(page.locator(".message-error")).to_contain_text("someone else must approve it")
    page.get_by_role("button", name="Sign out").click()

    # fiona approves it
    browser_login(page, "fiona")
    page.goto(f"/billing/memos/{memo.pk}/")
    page.locator("#memo-approve").click()
    expect(page.locator(".message-success")).to_contain_text("approved")
    expect(page.locator("#memo-status")).to_have_text("Approved")

    # the effect runs and iMIS answers (a worker and the two-minute schedule, in production)
    memo.refresh_from_db()
    review_item_execute(item_id=memo.review_item_id)
    with ImisClient(billing_sandbox.base_url, "sandbox", "sandbox", timeout=5) as client:
        outbox_relay(client=client)
    assert OutboxWrite.objects.get(source=f"credit memo {memo.pk}").state == "delivered"
    memo_posting.credit_memos_sync()
    page.reload()
    expect(page.locator("#memo-status")).to_have_text("Posted")
    expect(page.locator("#memo-journal")).to_contain_text("Accounts receivable")
    screenshot(page, "billing-memo-posted")
    assert int(inv.col("adjustment")[row]) - adjusted_before == int(new_amount * 100)

    # the memo list, the calculator and the policy
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Credit memos").click()
    expect(page.locator(f'tr[data-memo="{memo.pk}"]')).to_contain_text("Posted")
    screenshot(page, "billing-memos")
    nav.get_by_role("link", name="Proration & refunds").click()
    page.get_by_label("Member (iMIS id)").fill(memo.member_id)
    page.get_by_label("Change").select_option("cancellation")
    expect(page.locator('[data-field="new_type"]')).to_be_hidden()
    page.get_by_label("Date").fill(str(finding.breakdown["term"]["begin"]))
    page.locator("#calc-run").click()
    expect(page.locator("#calc-result")).to_contain_text("Cancelled on")
    screenshot(page, "billing-calculator")
    nav.get_by_role("link", name="Billing policy").click()
    expect(page.locator("#policy")).to_contain_text("BILLING_REFUND_WINDOW_DAYS")
    screenshot(page, "billing-policy")
