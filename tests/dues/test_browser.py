"""In a real Chromium: finance uploads a BAI2 file, clears three proposals (one split by hand),
and undoes one from the hold page; finance edits a payment application on its review page;
every page is photographed."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from common import roles
from dues import ledger
from dues.models import Payment
from tests.conftest import browser_login, screenshot, wait_for
from tests.dues.conftest import Mirror

pytestmark = pytest.mark.browser

# A lockbox and ACH detail file as a bank sends it (amounts in cents, 88 continuations).
LOCKBOX = """01,021000021,ASSOCDUES,260302,0600,1,80,,2/
02,ASSOCDUES,021000021,1,260302,0600,USD,2/
03,4410098812,USD,010,1250000,,,015,1295500,,/
16,116,12000,0,LBX10001,1001,LOCKBOX DEPOSIT ITEM/
88,CHECK 1001 SMITH JOHN INV 10234
16,142,24000,0,ACH7781,52001,ACH CREDIT PPD PATEL PRIYA/
88,REMI: DUES 2026 MBR 52001
16,142,10000,0,ACH7782,,ACH CREDIT PPD JANE SMITH/
88,REMI: MEMBERSHIP DUES
16,451,5000,0,DBT0001,,ACH DEBIT BANK FEE/
49,1295500,8/
98,1295500,1,10/
99,1295500,1,12/
"""


def books() -> None:
    mirror = Mirror()
    mirror.member("48213", "John Smith", email="john.smith@example.org")
    mirror.member("48214", "Jane Smith", email="jane.smith@example.org")
    mirror.member("52001", "Priya Patel", email="ppatel@example.org")
    mirror.invoice("10234", "48213", "120.00")
    mirror.invoice("10240", "48214", "60.00")
    mirror.invoice("10241", "48214", "60.00", invoice_date=None, description="2025 dues")
    mirror.invoice("10877", "52001", "240.00")


def test_finance_uploads_a_bai2_file_clears_three_matches_and_undoes_one(
    page, make_user, worker, tmp_path
):
    books()
    make_user(roles.FINANCE)
    browser_login(page, "frank")
    # upload the bank file
    page.get_by_role("link", name="Import payments").click()
    path = tmp_path / "lockbox-2026-03-02.bai"
    path.write_text(LOCKBOX)
    page.get_by_label("Bank file").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".message-success")).to_contain_text(
        "lockbox-2026-03-02.bai: 3 payments added, 0 already imported, 0 lines with errors."
    )
    expect(page.locator("#import-payments tbody tr")).to_have_count(3)
    # a worker matches them (the import queued the job)
    wait_for(lambda: not Payment.objects.filter(status="received").exists(), timeout=90)
    page.reload()
    screenshot(page, "dues-import-report")
    # the cash-application queue shows three proposals
    page.get_by_role("link", name="Cash application").click()
    expect(page.locator("#payments tbody tr")).to_have_count(3)
    screenshot(page, "dues-queue")
    smith = Payment.objects.get(amount=Decimal("120.00"))
    patel = Payment.objects.get(amount=Decimal("240.00"))
    jane = Payment.objects.get(amount=Decimal("100.00"))
    # frank uploaded the file, so he proposed these payments: a second person decides (four eyes)
    page.locator(f'tr[data-payment="{smith.pk}"] a').first.click()
    page.locator("#apply-1").click()
    expect(page.locator(".message-error")).to_contain_text(
        "You proposed this item; someone else must approve it."
    )
    make_user(roles.FINANCE, "fiona")
    page.context.clear_cookies()
    browser_login(page, "fiona")
    page.get_by_role("link", name="Cash application").click()
    # 1. John Smith's check: the proposal is right, one click
    page.locator(f'tr[data-payment="{smith.pk}"] a').first.click()
    expect(page.locator(".candidate").first).to_contain_text("10234")
    screenshot(page, "dues-payment-detail")
    page.locator("#apply-1").click()
    expect(page.locator(".message-success")).to_contain_text(f"Payment #{smith.pk} applied")
    # 2. Priya Patel's ACH: also as proposed
    page.locator(f'tr[data-payment="{patel.pk}"] a').first.click()
    page.locator("#apply-1").click()
    expect(page.locator(".message-success")).to_contain_text(f"Payment #{patel.pk} applied")
    # 3. Jane Smith paid $100.00 for two $60.00 invoices: split by hand, 60 + 40
    page.locator(f'tr[data-payment="{jane.pk}"] a').first.click()
    split = page.locator("#split")
    split.get_by_label("or another member's iMIS id").fill("48214")
    split.get_by_label("Amount for invoice 10240").fill("60.00")
    split.get_by_label("Amount for invoice 10241").fill("40.00")
    screenshot(page, "dues-split")
    split.get_by_role("button", name="Apply split").click()
    # the split she typed is what the matcher proposed, so it is an approval, applied at once
    expect(page.locator(".message-success")).to_contain_text(f"Payment #{jane.pk} applied")
    expect(page.locator("#payments tbody tr")).to_have_count(1)  # the "no payments" row
    assert ledger.payment_held_allocations(jane.pk) == (
        [("10240", Decimal("60.00")), ("10241", Decimal("40.00"))],
        Decimal("0.00"),
    )
    # the hold page lists all three; undo John Smith's
    page.get_by_role("link", name="Hold", exact=True).click()
    expect(page.locator("#hold tbody tr")).to_have_count(3)
    screenshot(page, "dues-hold")
    page.get_by_role("button", name=f"Undo payment #{smith.pk}").click()
    expect(page.locator(".message-success")).to_contain_text(
        f"Payment #{smith.pk}: application undone; it is back in review."
    )
    expect(page.locator("#hold tbody tr")).to_have_count(2)
    screenshot(page, "dues-hold-after-undo")
    statuses = dict(Payment.objects.values_list("pk", "status"))
    assert statuses == {smith.pk: "proposed", patel.pk: "held", jane.pk: "held"}
    assert ledger.payment_balances(smith.pk)["hold"] == Decimal("0.00")


def test_manager_reads_matching_performance_as_a_chart(page, make_user):
    from dues import services
    from tests.dues.conftest import Cand

    books()
    make_user(roles.MANAGER)
    frank = make_user(roles.FINANCE)
    from dues import intake

    for n, confidence in enumerate((0.99, 0.93, 0.6)):
        payment, _ = intake.payment_record(
            source="csv",
            dedupe_key=f"perf-{n}",
            amount=Decimal("120.00"),
            received_on="2026-03-02",
            raw={"n": n},
            match=False,
        )
        services.payment_candidates_file(
            payment_id=payment.pk,
            auto_eligible=False,
            candidates=[
                Cand(
                    member_id="48213",
                    allocations=(("10234", Decimal("120.00")),),
                    confidence=confidence,
                )
            ],
        )
        if n == 0:
            services.payment_decide(
                payment_id=payment.pk, user=frank, action="candidate", candidate_rank=1
            )
    browser_login(page, "grace")
    page.get_by_role("link", name="Matching performance").click()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart('performance-chart') !== undefined"
    )
    expect(page.locator("#bands tbody tr").last).to_contain_text("1")
    screenshot(page, "dues-performance")


def test_finance_edits_a_payment_application_row_by_row_on_its_review_page(page, make_user):
    from dues import intake, services
    from tests.dues.conftest import Cand

    books()
    Mirror().invoice("10235", "48213", "50.00", description="2026 chapter dues")
    make_user(roles.FINANCE)
    payment, _ = intake.payment_record(
        source="check",
        dedupe_key="edit-1",
        amount=Decimal("150.00"),
        received_on="2026-03-02",
        raw={"check_number": "2207"},
        payer_name="J Smith",
        memo="INV 10234",
        match=False,
    )
    payment = services.payment_candidates_file(
        payment_id=payment.pk,
        auto_eligible=False,
        candidates=[
            Cand(
                member_id="48213",
                allocations=(("10234", Decimal("120.00")),),
                credit=Decimal("30.00"),
                confidence=0.7,
            )
        ],
    )
    item = payment.review_item
    browser_login(page, "frank")
    page.goto(f"/reviews/{item.pk}/")
    total = page.locator("#application-total")
    balance = page.locator("#application-balance")
    expect(total).to_have_text("$150.00")
    expect(balance).to_have_text("All $150.00 placed.")
    # Jane Smith paid for her husband: she becomes the payer, found by name
    page.get_by_label("Search for the payer").fill("jane")
    page.get_by_role("button", name="Jane Smith").click()
    expect(page.get_by_label("Payer (billed and credited; blank: the member)")).to_have_value(
        "48214"
    )
    # the $30.00 left over pays the chapter dues, $20.00 of them here, and the rest stays credit
    page.get_by_label("Amount for invoice 10235").fill("20.00")
    expect(total).to_have_text("$170.00")
    expect(balance).to_have_text("$20.00 more than the payment of $150.00.")
    page.get_by_role("textbox", name="Credit on account").fill("10.00")
    expect(total).to_have_text("$150.00")
    expect(balance).to_have_text("All $150.00 placed.")
    screenshot(page, "dues-application-edit")
    page.get_by_role("button", name="Save edit for a second approval").click()
    expect(page.locator(".message-success")).to_contain_text("someone else must approve it")
    # a second finance person approves the edited application
    make_user(roles.FINANCE, "fiona")
    page.context.clear_cookies()
    browser_login(page, "fiona")
    page.goto(f"/reviews/{item.pk}/")
    page.get_by_role("button", name="Accept", exact=True).click()
    page.goto(f"/reviews/{item.pk}/")
    facts = page.locator("#payload-facts")
    expect(facts).to_contain_text("10234: $120.00; 10235: $20.00")
    expect(facts).to_contain_text("48214")
    expect(page.locator("#edit-changes")).to_contain_text("Credit on account “$30.00” → “$10.00”")
    screenshot(page, "dues-application-edited")
