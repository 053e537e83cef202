"""In a real Chromium: a membership user opens the renewal dashboard, follows a high-risk member
to their outreach proposal, edits the drafted e-mail and approves it."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from renewals import kinds, services
from renewals.models import Outreach
from reviews.models import ReviewItem
from reviews.services import review_item_execute
from tests.conftest import browser_login, screenshot
from tests.renewals.conftest import AS_OF

pytestmark = pytest.mark.browser


def test_membership_user_follows_a_high_risk_member_to_their_outreach_and_approves_it(
    page, sandbox_mirror, staff, settings
):
    settings.RENEWALS_HOLDOUT_SHARE = 0.0
    services.model_version_train(as_of=AS_OF)
    run = services.scoring_run_execute(as_of=AS_OF)
    assert run.bands["high"] > 0
    # the member to follow: high risk, with an offer a staff member may approve
    outreach = (
        Outreach.objects.filter(group="outreach", band="high", item__queue="membership")
        .select_related("item", "score")
        .order_by("-probability")
        .first()
    )
    name = outreach.score.member_name
    browser_login(page, "maya")
    page.get_by_role("link", name="Renewals", exact=True).click()
    page.get_by_role("heading", name="Renewals", exact=True).wait_for()
    expect(page.locator("#chart-upcoming")).to_be_visible()
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 6")
    screenshot(page, "renewals-dashboard")
    assert page.locator("#causes-summary").inner_text().startswith("Of ")
    # follow the high-risk members to this one
    page.get_by_role("link", name="High risk").click()
    page.get_by_role("heading", name="At-risk members").wait_for()
    screenshot(page, "renewals-at-risk")
    page.get_by_label("Name").fill(name)
    page.get_by_role("link", name=name, exact=True).first.click()
    page.locator("#reasons li").first.wait_for()
    assert page.locator("#band").inner_text() == "High risk"
    screenshot(page, "renewals-member")
    page.locator(f"#outreach-item-{outreach.item_id}").click()
    page.get_by_role("heading", name=outreach.item.title).wait_for()
    # edit the drafted e-mail and approve it
    body = page.locator("#p-draft-body")
    edited = body.input_value().replace(
        "Warm regards,", "I will call you this week.\n\nWarm regards,"
    )
    body.fill(edited)
    screenshot(page, "renewals-outreach-item")
    page.get_by_role("button", name="Save edit for a second approval").click()
    expect(page.locator(".message-success")).to_contain_text("someone else must approve it")
    item = ReviewItem.objects.get(pk=outreach.item_id)
    assert (item.status, item.last_edited_by) == ("pending", staff["maya"])
    # a second person approves the edited message (four eyes)
    page.context.clear_cookies()
    browser_login(page, "jo")
    page.goto(f"/reviews/{item.pk}/")
    page.get_by_role("button", name="Accept", exact=True).click()
    page.wait_for_url(lambda url: f"/reviews/{outreach.item_id}/" not in url)
    item = ReviewItem.objects.get(pk=outreach.item_id)
    assert (item.kind, item.status, item.decided_by) == (kinds.OUTREACH, "edited", staff["jo"])
    # when the effect runs, the member gets the edited words once and the caller a task
    review_item_execute(item_id=item.pk)
    assert len(mail.outbox) == 1
    assert "I will call you this week." in mail.outbox[0].body
    # and the call is on the suggested caller's home page
    page.context.clear_cookies()
    browser_login(page, item.payload["staff"])
    card = page.locator("a.card", has_text="Outreach calls to make")
    expect(card).to_contain_text("1")
    card.click()
    expect(page.locator("#tasks tbody tr")).to_have_count(1)
    screenshot(page, "renewals-calls")
