"""In a real Chromium under the strict Content-Security-Policy: every page of every role loads
with nothing refused, the charts draw, the API docs render, and the behaviours that were inline
handlers (confirm before submitting, submit on change) still work from static JS.

The ``page`` fixture fails any browser test on a refusal; this file makes sure every page is
visited at least once.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from common import roles
from common.models import JobRun
from tests.common import test_access
from tests.conftest import ROLE_USERNAMES, browser_login, screenshot

pytestmark = pytest.mark.browser


def seed() -> dict[str, list[str]]:
    """One of each object a detail page shows; the detail pages each role may open."""
    from dues import intake
    from imis_client.models import ImisParty, OutboxWrite
    from reviews.models import ReviewItem

    objects = {}
    for module in test_access.APP_ACCESS:
        objects.update(module.objects())
    now = timezone.now()
    job = JobRun.objects.create(kind="common.housekeeping", label="Housekeeping", status="failed")
    # a running job shows a progress bar (a <progress> element: no width in a style attribute)
    JobRun.objects.create(
        kind="tests.steps", label="Steps", status="running", stage="Counting", done=37, total=100
    )
    ImisParty.objects.create(imis_id="10001", name="Zoë O'Brien", raw={}, raw_hash=1, synced_at=now)
    OutboxWrite.objects.create(
        reference="DD-1",
        entity="AI_Audit_Log",
        method="POST",
        path="/api/AI_Audit_Log",
        body={},
        state="failed",
        next_attempt_at=now,
    )
    item = ReviewItem.objects.create(
        kind="tests.note", queue="finance", title="Note", payload={"text": "x"}
    )
    payment, _ = intake.payment_record(
        source="check",
        dedupe_key="csp-1",
        amount=Decimal("150.00"),
        received_on=date(2026, 3, 2),
        raw={"check_number": "2207"},
        payer_name="J Smith",
        memo="INV 10234",
        match=False,
    )
    everyone = ["/members/10001/", "/api/docs/", "/accounts/password/", "/no-such-page/"]
    finance = [
        f"/reviews/{item.pk}/",
        f"/payments/{payment.pk}/",
        f"/payments/import/{objects['PAYMENT_IMPORT']}/",
        f"/templates/{objects['TEMPLATE']}/",
    ]
    renewals = [f"/renewals/models/{objects['MODEL']}/", f"/renewals/members/{objects['SCORED']}/"]
    return {
        roles.MEMBERSHIP: everyone + renewals + [f"/templates/{objects['TEMPLATE']}/"],
        roles.FINANCE: everyone + finance,
        roles.MANAGER: everyone + finance + renewals + [f"/jobs/{job.pk}/"],
        roles.ADMINISTRATOR: [
            *everyone,
            f"/jobs/{job.pk}/",
            "/admin/",
            "/admin/auth/user/",
            "/admin/auth/group/",
        ],
    }


# Pages photographed to look at after a change of styles (test-artifacts/screenshots/).
PHOTOGRAPHED = {"/payments/": "dues-queue", "/reviews/": "review-queue", "/jobs/": "jobs"}


def visit(page, url: str, role: str = "") -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if url == "/api/docs/":
        page.locator(".swagger-ui .info .title", has_text="Dues desk API").wait_for()
    if role == roles.MANAGER and url in PHOTOGRAPHED:
        screenshot(page, f"csp-{PHOTOGRAPHED[url]}")


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_page_of_each_role_loads_with_nothing_refused_by_the_csp(page, make_user, role):
    # given a person of the role, and one of each object the detail pages show
    user = make_user(role)
    extra = seed()[role]
    # when they open every page of their navigation and the detail pages they may see
    browser_login(page, user.username)
    nav = page.locator("nav#sidebar a").evaluate_all("links => links.map(a => a.pathname)")
    assert nav
    for url in [*nav, *extra]:
        visit(page, url, role)
    # then the policy refused nothing (the page fixture asserts it as it closes)
    if role == roles.ADMINISTRATOR:
        page.goto(f"/admin/auth/user/{user.pk}/change/")
        page.wait_for_load_state("networkidle")


def test_the_login_page_and_a_signed_out_404_load_with_nothing_refused(page):
    visit(page, "/accounts/login/")
    visit(page, "/no-such-page/")


def test_charts_still_draw_under_the_csp(page, make_user):
    # Chart.js sizes its canvas through the CSSOM, which style-src does not govern
    make_user(roles.MANAGER)
    objects = {}
    for module in test_access.APP_ACCESS:
        objects.update(module.objects())
    browser_login(page, ROLE_USERNAMES[roles.MANAGER])
    page.goto(f"/renewals/models/{objects['MODEL']}/")
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 1")
    page.goto("/reviews/metrics/")
    page.wait_for_function("() => window.Chart && Chart.getChart('decisions-chart') !== undefined")
    screenshot(page, "csp-review-metrics")


def test_confirm_and_submit_on_change_work_from_static_js(page, make_user):
    from dues import intake
    from dues.models import Payment

    make_user(roles.FINANCE)
    make_user(roles.ADMINISTRATOR)
    payment, _ = intake.payment_record(
        source="check",
        dedupe_key="csp-confirm",
        amount=Decimal("150.00"),
        received_on=date(2026, 3, 2),
        raw={"check_number": "2208"},
        payer_name="J Smith",
        match=False,
    )
    browser_login(page, ROLE_USERNAMES[roles.FINANCE])
    page.goto(f"/payments/{payment.pk}/")
    screenshot(page, "csp-payment-detail")
    # Cancel on the question submits nothing
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("#btn-not-ours").click()
    page.wait_for_load_state("networkidle")
    assert asked == ["Flag this payment as not ours? It will wait for a refund."]
    payment.refresh_from_db()
    assert payment.review_item is None
    # OK submits it: frank's choice, filed as his proposal for a second person (four eyes)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#btn-not-ours").click()
    page.wait_for_load_state("networkidle")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PROPOSED
    assert payment.review_item.payload["action"] == "not_ours"
    assert payment.review_item.proposed_by.username == ROLE_USERNAMES[roles.FINANCE]
    # a filter that submits itself when changed
    page.context.clear_cookies()
    browser_login(page, ROLE_USERNAMES[roles.ADMINISTRATOR])
    page.goto("/outbox/")
    page.get_by_label("Show").select_option("")
    page.wait_for_url("**/outbox/?state=")
    expect(page.get_by_label("Show")).to_have_value("")
    screenshot(page, "csp-outbox")
