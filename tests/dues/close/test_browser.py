"""In a real Chromium: a finance user reconciles November, edits one drafted entry (so a second
person must approve it), a second finance user approves the entries and closes the month, and
the GL export downloads; every close page is photographed."""

import csv
import io
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from common import roles
from common.models import JobRun
from common.services import job_run_execute
from dues.close import mapping
from dues.close.reconcile import pending_entries
from dues.models import AccountingPeriod
from reviews.services import review_item_execute
from tests.conftest import browser_login, screenshot
from tests.dues.close.month import NOV, build_november

pytestmark = pytest.mark.browser


def test_finance_reconciles_approves_with_four_eyes_closes_and_downloads(
    page, live_server, make_user, mirror, make_payment
):
    # The live server's first answer builds the URL resolver and static-file index; on a loaded
    # machine that alone can outlast the browser's timeout, so it is asked for once first.
    httpx.get(f"{live_server.url}/accounts/login/", timeout=120)
    build_november(mirror, make_payment)
    make_user(roles.FINANCE)  # frank
    make_user(roles.FINANCE, username="fiona")
    manager = make_user(roles.MANAGER, username="maria")
    for n, account in enumerate(mapping.ledger_accounts(), start=1):
        mapping.gl_mapping_set(
            account=account, gl_code=f"{4000 + n}", gl_name=f"DD {account}", user=manager
        )

    # frank reconciles November from the close page
    browser_login(page, "frank")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Month-end close").click()
    screenshot(page, "close-periods")
    page.locator('tr[data-month="2026-11"] a').first.click()
    page.locator("#reconcile").click()
    expect(page.locator(".message-success")).to_contain_text("is queued")
    expect(page.locator("#recon-progress")).to_contain_text("Reconciling")
    # a worker runs the job (a django-q2 worker in production); the page refreshes itself
    job_run_execute(job_run_id=JobRun.objects.get(kind="dues.reconcile_month").pk)
    expect(page.locator("#unexplained")).to_have_text("0", timeout=20_000)
    expect(page.locator("#differences tbody tr")).to_have_count(6)
    expect(page.locator('#sources tr[data-source="stripe"]')).to_contain_text("208.38")
    screenshot(page, "close-month-reconciled")
    # the differences filter by cause
    page.locator("select[name=cause]").select_option("fee")
    expect(page.locator("#differences tbody tr")).to_have_count(1)
    expect(page.locator("#differences")).to_contain_text("6.62")
    # closing with the entries undecided is refused, saying why
    page.locator("#close-period").click()
    expect(page.locator(".message-error")).to_contain_text("still wait for a decision")
    # frank edits the fee entry's memo: now someone else must approve it
    fee_item = next(i for i in pending_entries(NOV) if i.object_ref.endswith(" fee"))
    page.goto(f"/reviews/{fee_item.pk}/")
    expect(page.locator("main")).to_contain_text("Processor fees")
    page.locator("#p-memo").fill("November 2026: Stripe fees withheld from payouts")
    page.locator("#btn-edit").click()
    expect(page.locator(".message-success")).to_contain_text("someone else must approve it")
    page.locator("#btn-accept").click()
    expect(page.locator(".message-error")).to_contain_text("someone else must approve it")
    page.get_by_role("button", name="Sign out").click()

    # fiona approves all four entries; a worker records them in the GL journal
    browser_login(page, "fiona")
    for item in pending_entries(NOV):
        page.goto(f"/reviews/{item.pk}/")
        page.locator("#btn-accept").click()
        expect(page.locator(".message-success")).to_be_visible()
    for item in pending_entries(NOV):
        review_item_execute(item_id=item.pk)
    assert pending_entries(NOV).count() == 0
    # ... and closes the month
    page.goto("/close/2026-11/")
    expect(page.locator("#entries")).to_contain_text("Done")
    page.locator("#close-period").click()
    expect(page.locator(".message-success")).to_contain_text("is closed")
    expect(page.locator("#period-status")).to_have_text("Closed")
    assert AccountingPeriod.objects.get(month=NOV).status == "closed"
    screenshot(page, "close-month-closed")
    # ... and downloads the GL export
    with page.expect_download() as info:
        page.locator('a[data-export="generic"]').click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["date", "journal", "account_code", "debit", "credit", "memo", "reference"]
    assert len(rows) == 1 + 8
    assert sum(float(r[3] or 0) for r in rows[1:]) == sum(float(r[4] or 0) for r in rows[1:])
    edited = (
        "November 2026: Stripe fees withheld from payouts (Processor fees withheld from payouts)"
    )
    assert ["6.62", edited] in [r[3:6:2] for r in rows]
    with page.expect_download() as info:
        page.locator('a[data-export="qbo"]').click()
    assert info.value.suggested_filename == "gl-2026-11-quickbooks.csv"

    page.goto("/close/mapping/")
    screenshot(page, "close-mapping")
