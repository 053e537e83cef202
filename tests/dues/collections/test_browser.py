"""In a real Chromium: finance opens Receivables from the menu on a generated association whose
invoices were scored by the late-payment model, sees the charts, filters the drill-down by risk
and sorts it; the page is photographed."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from common import roles
from dues.models import InvoiceRisk
from tests.conftest import browser_login, screenshot
from tests.renewals.conftest import AS_OF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_reads_the_receivables_and_drills_into_high_risk_invoices(
    page, make_user, sandbox_mirror, monkeypatch
):
    call_command("train_late_payment_model", "--as-of", AS_OF.isoformat(), stdout=StringIO())
    call_command("score_invoices", stdout=StringIO())
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: AS_OF)
    high = InvoiceRisk.objects.filter(band="high").count()
    assert high > 0
    make_user(roles.FINANCE)
    browser_login(page, "frank")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Receivables").click()
    expect(page.locator("h1")).to_have_text("Receivables")
    expect(page.locator("#aging tbody tr").first).to_be_visible()
    expect(page.locator("#chart-aging")).to_be_visible()
    expect(page.locator("#chart-dso")).to_be_visible()
    expect(page.locator("[data-horizon='90'] .stat-value")).not_to_have_text("0.00")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('chart-dso'))"
    )
    screenshot(page, "receivables")
    # the drill-down: high risk only, riskiest first
    page.locator("#f-band").select_option("high")
    expect(page.locator("#invoice-count")).to_contain_text(f"{high:,} open invoice")
    page.locator("th a[data-sort='risk']").click()
    expect(page.locator("#invoices tbody tr").first).to_contain_text("High")
    cells = page.locator("#invoices tbody tr td:nth-child(6)").all_inner_texts()
    shares = [int(c.split("%")[0]) for c in cells]
    assert shares == sorted(shares, reverse=True)
    # the next dunning step of each invoice, from the cadence (or "—" when none is left); no
    # invoice is paused, since nothing was filed
    steps = page.locator("#invoices tbody tr td:nth-child(7)").all_inner_texts()
    assert steps and all(
        t.strip() == "—" or re.search(r"\((email|sms|staff call)[^)]*\) on \d{4}-\d\d-\d\d", t)
        for t in steps
    ), steps
    assert all(
        t.strip() == "—"
        for t in page.locator("#invoices tbody tr td:nth-child(8)").all_inner_texts()
    )
    screenshot(page, "receivables-high-risk")
    # a segment of another kind redraws the aging
    page.locator("#f-segment").select_option("billed")
    expect(page.locator("#aging")).to_contain_text("Member themselves")
