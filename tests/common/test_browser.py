"""In a real Chromium: each role's navigation and home page; a job's progress updating live."""

import re

import pytest
from playwright.sync_api import expect

from common import roles, services
from common.models import JobRun
from tests.conftest import browser_login, screenshot, wait_for

pytestmark = pytest.mark.browser

EXPECTED_NAV = {
    roles.MEMBERSHIP: [
        "Home",
        "Renewals",
        "At-risk members",
        "My outreach calls",
        "Review queue",
        "Templates",
        "Communications",
        "Members",
        "Inquiries",
        "New inquiry",
        "Policy documents",
        "Churn models",
        "API docs",
    ],
    roles.FINANCE: [
        "Home",
        "Review queue",
        "Templates",
        "Communications",
        "Members",
        "Cash application",
        "Hold",
        "Import payments",
        "Enter a check",
        "Matching performance",
        "Receivables",
        "Billing checks",
        "Credit memos",
        "Proration & refunds",
        "Billing policy",
        "Dunning",
        "Dunning cadence",
        "Inquiries",
        "New inquiry",
        "Policy documents",
        "Month-end close",
        "Chart of accounts",
        "Deferred revenue",
        "New-member billing",
        "Board pack",
        "API docs",
    ],
    roles.MANAGER: [
        "Home",
        "Renewals",
        "At-risk members",
        "My outreach calls",
        "Review queue",
        "Manager view",
        "Review metrics",
        "Templates",
        "Communications",
        "Members",
        "Cash application",
        "Hold",
        "Import payments",
        "Enter a check",
        "Matching performance",
        "Receivables",
        "Billing checks",
        "Credit memos",
        "Proration & refunds",
        "Billing policy",
        "Dunning",
        "Dunning cadence",
        "Inquiries",
        "New inquiry",
        "Policy documents",
        "Month-end close",
        "Chart of accounts",
        "Deferred revenue",
        "New-member billing",
        "Board pack",
        "Jobs",
        "Sync",
        "Churn models",
        "Governance",
        "Audit",
        "API docs",
    ],
    roles.ADMINISTRATOR: [
        "Home",
        "Members",
        "Jobs",
        "Sync",
        "Outbox",
        "Audit",
        "API docs",
        "Users & roles",
    ],
}


@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_logs_in_and_sees_exactly_its_navigation(page, make_user, role):
    user = make_user(role)
    browser_login(page, user.username)
    assert page.url.endswith("/")
    labels = page.locator("nav#sidebar a").all_inner_texts()
    assert labels == EXPECTED_NAV[role]
    assert page.get_by_role("heading", name=re.compile(rf", {user.first_name}$")).is_visible()
    assert page.locator(".badge-role").inner_text() == role
    screenshot(page, f"home-{role.lower().replace(' ', '-')}")


def test_wrong_password_says_what_to_fix(page, make_user):
    make_user(roles.FINANCE)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("frank")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert (
        page.get_by_role("alert")
        .inner_text()
        .startswith("Your username and password did not match.")
    )


def test_anonymous_visitor_lands_on_login_and_returns_after(page, make_user):
    make_user(roles.MANAGER)
    page.goto("/jobs/")
    assert "/accounts/login/?next=/jobs/" in page.url
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/jobs/")
    assert page.get_by_role("heading", name="Background jobs").is_visible()


def test_sign_out_ends_the_session(page, make_user):
    make_user(roles.FINANCE)
    browser_login(page, "frank")
    page.get_by_role("button", name="Sign out").click()
    page.goto("/")
    assert "/accounts/login/" in page.url


def test_job_page_shows_progress_changing_then_the_result(page, make_user, worker):
    make_user(roles.ADMINISTRATOR)
    job = services.job_run_enqueue(kind="tests.steps", params={"steps": 6, "delay": 0.7})
    browser_login(page, "arjun")
    page.goto(f"/jobs/{job.pk}/")
    # the count on the page moves while the job runs, without reloading
    seen = set()

    def progressed():
        text = page.locator("#job-progress .done").first.get_attribute("data-done")
        seen.add(text)
        return len(seen - {"0"}) >= 2

    wait_for(progressed, timeout=40, interval=0.2)
    screenshot(page, "job-running")
    page.locator("#job-status", has_text="Succeeded").wait_for(timeout=40_000)
    assert "counted" in page.locator(".result-box").inner_text()
    assert JobRun.objects.get(pk=job.pk).status == JobRun.Status.SUCCEEDED


def test_failed_job_shows_its_error_and_can_be_retried(page, make_user, worker):
    make_user(roles.ADMINISTRATOR)
    job = services.job_run_enqueue(kind="tests.fail")
    browser_login(page, "arjun")
    page.goto(f"/jobs/{job.pk}/")
    page.locator("#job-status", has_text="Failed").wait_for(timeout=40_000)
    assert (
        "ledger file line 4: amount 'abc' is not a number"
        in page.locator("#job-error").inner_text()
    )
    screenshot(page, "job-failed")
    page.get_by_role("button", name="Retry").click()
    assert page.locator(".message-success").inner_text().startswith("Retrying as job #")


def test_api_docs_render_from_local_assets_only(page, make_user, live_server):
    make_user(roles.FINANCE)
    browser_login(page, "frank")
    outside = []
    page.on(
        "request",
        lambda req: outside.append(req.url) if not req.url.startswith(live_server.url) else None,
    )
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title", has_text="Dues desk API").wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/me/").first.wait_for()
    assert outside == []
    screenshot(page, "api-docs")


def test_manager_reads_the_audit_trail_of_sign_ins(page, make_user):
    make_user(roles.MANAGER)
    make_user(roles.FINANCE)
    browser_login(page, "frank")
    page.context.clear_cookies()
    browser_login(page, "grace")
    page.get_by_role("link", name="Audit").click()
    page.get_by_label("Person").fill("frank")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit tbody tr")).to_have_count(1)
    assert "frank signed in" in page.locator("#audit tbody tr").inner_text()
    assert "person=frank" in page.locator("#audit-export").get_attribute("href")
    screenshot(page, "audit")
