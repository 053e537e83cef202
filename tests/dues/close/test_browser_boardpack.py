"""In a real Chromium: a finance user drafts a month's recognition from the deferred revenue
page, a second person approves it and the roll-forward ties; then the board pack is downloaded
from its page as a PDF and a CSV."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from common import roles
from dues.close.recognition import Change, InvoiceTerm, revenue_events_apply
from dues.close.recognition_entries import KIND
from dues.models import RecognitionRun, RevenueEvent
from reviews.models import ReviewItem
from reviews.services import review_item_decide, review_item_execute
from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_finance_drafts_recognition_and_downloads_the_board_pack(page, make_user, settings):
    settings.REVENUE_ACCOUNTING, settings.REVENUE_RECOGNITION = "accrual", "months"
    revenue_events_apply(
        changes=[Change("I1", RevenueEvent.Kind.DEFER, date(2026, 1, 5), Decimal("120"), "b1")],
        actor_name="test",
        new_terms=[InvoiceTerm("I1", "M1", "DUES/REG", date(2026, 1, 1), date(2026, 12, 31))],
    )
    make_user(roles.FINANCE)
    checker = make_user(roles.MANAGER)

    browser_login(page, "frank")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deferred revenue").click()
    page.locator("#month").fill("2026-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#rollforward")).to_contain_text("120.00")
    page.get_by_role("button", name="Draft recognition of 2026-01").click()
    expect(page.locator("body")).to_contain_text("Recognition of 2026-01 drafted: 1 entry")
    expect(page.locator("#rollforward-chart svg")).to_be_visible()
    screenshot(page, "revenue-rollforward")

    item = ReviewItem.objects.get(kind=KIND)
    review_item_decide(item_id=item.pk, user=checker, decision="accept")
    review_item_execute(item_id=item.pk)
    assert RecognitionRun.objects.get(period=date(2026, 1, 1)).status == "posted"
    page.reload()
    expect(page.locator("#run-status")).to_have_text("Posted.")
    expect(page.locator("#difference")).to_have_text("0.00")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Board pack").click()
    page.locator("#month").fill("2026-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#section-revenue")).to_contain_text("$110.00")
    screenshot(page, "board-pack")
    with page.expect_download() as pdf:
        page.locator("#download-pdf").click()
    assert pdf.value.suggested_filename == "board-pack-2026-01.pdf"
    assert Path(pdf.value.path()).read_bytes()[:5] == b"%PDF-"
    with page.expect_download() as sheet:
        page.locator("#download-csv").click()
    text = Path(sheet.value.path()).read_text(encoding="utf-8")
    assert "revenue,deferred_closing,Closing deferred revenue,$110.00" in text
