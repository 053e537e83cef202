"""In a real Chromium: a finance user clears a queue with the keyboard; the audit shows it."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from common import roles
from reviews import services
from reviews.models import Communication, ReviewItem
from tests.conftest import browser_login, screenshot, wait_for

pytestmark = pytest.mark.browser


def test_finance_user_clears_a_queue_by_keyboard_and_the_audit_shows_it(page, make_user):
    make_user(roles.FINANCE)
    make_user(roles.MANAGER)
    items = [
        services.review_item_propose(
            kind="tests.note",
            title=f"Note for member {10001 + i}",
            member_id=str(10001 + i),
            payload={"text": f"Thank you for renewing, member {10001 + i}."},
            amount=Decimal("25.00"),
            confidence=Decimal("0.9"),
            priority=10 - i,
            evidence=[{"fact": "renewed on time", "source": "Subscription PaidThru"}],
        )
        for i in range(3)
    ]
    browser_login(page, "frank")
    page.get_by_role("link", name="Review queue").click()
    expect(page.locator("#queue tbody tr")).to_have_count(3)
    screenshot(page, "review-queue")
    # j to the first row, Enter to open it, a to accept: the next item opens by itself
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=items[0].title).wait_for()
    page.keyboard.press("a")
    page.get_by_role("heading", name=items[1].title).wait_for()
    # e to edit the second, then save the edit: it waits for someone else to approve it
    page.keyboard.press("e")
    page.keyboard.press("Control+a")
    page.keyboard.type("Thank you, and see you at the spring meeting.")
    page.get_by_role("button", name="Save edit for a second approval").click()
    expect(page.locator(".message-success")).to_contain_text("someone else must approve it")
    page.goto(f"/reviews/{items[2].pk}/")
    page.get_by_role("heading", name=items[2].title).wait_for()
    # r to reject the third, with a reason
    page.keyboard.press("r")
    page.get_by_label("Reason").select_option("duplicate")
    page.get_by_role("button", name="Reject").click()
    expect(page.locator(".message-success")).to_contain_text("rejected")
    statuses = [ReviewItem.objects.get(pk=i.pk).status for i in items]
    assert statuses == ["approved", "pending", "rejected"]
    # a manager approves the edit, and reads the three decisions in the audit trail
    page.context.clear_cookies()
    browser_login(page, "grace")
    page.goto(f"/reviews/{items[1].pk}/")
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.locator(".message-success")).to_contain_text("edited")
    assert ReviewItem.objects.get(pk=items[1].pk).status == "edited"
    page.goto("/audit/?person=frank&kind=review.")
    expect(page.locator("#audit tbody tr")).to_have_count(3)
    text = page.locator("#audit tbody").inner_text()
    assert "approved" in text and "edited" in text and "rejected" in text


def test_manager_switches_a_kind_to_auto_on_the_governance_page(page, make_user):
    from reviews.models import ReviewPolicy

    make_user(roles.MANAGER)
    browser_login(page, "grace")
    page.get_by_role("link", name="Governance").click()
    page.get_by_label("Mode for Test note").select_option("auto")
    page.get_by_label("Minimum confidence for Test note").fill("0.97")
    page.get_by_label("Maximum amount for Test note").fill("30")
    row = page.locator("#policies tbody tr").filter(has=page.get_by_label("Mode for Test note"))
    row.get_by_role("button", name="Save").click()
    expect(page.locator(".message-success")).to_contain_text("Policy saved")
    policy = ReviewPolicy.objects.get(kind="tests.note", segment="")
    assert (policy.mode, str(policy.min_confidence), str(policy.max_amount)) == (
        "auto",
        "0.970",
        "30.00",
    )
    screenshot(page, "governance")


def test_manager_sees_metrics_drawn_as_a_chart(page, make_user):
    frank = make_user(roles.FINANCE)
    make_user(roles.MANAGER)
    item = services.review_item_propose(
        kind="tests.note", title="Note", payload={"text": "Hi"}, amount=Decimal("10.00")
    )
    services.review_item_decide(item_id=item.pk, user=frank, decision="accept")
    browser_login(page, "grace")
    page.get_by_role("link", name="Review metrics").click()
    expect(page.locator('#metrics tr[data-kind="tests.note"] td').nth(3)).to_have_text("1")
    # the chart script is deferred: wait until it has drawn, rather than check too early
    page.wait_for_function("() => window.Chart && Chart.getChart('decisions-chart') !== undefined")
    screenshot(page, "review-metrics")


@pytest.fixture
def worker_env(smtp_sink):
    return {"TEST_EMAIL_URL": f"smtp://{smtp_sink.host}:{smtp_sink.port}"}


def test_approved_email_is_sent_by_the_worker_shown_in_history_and_reversible(
    page, make_user, smtp_sink, worker
):
    # given a drafted email waiting in the membership queue
    make_user(roles.MEMBERSHIP)
    item = services.review_item_propose(
        kind="tests.email",
        title="Renewal reminder for Zoë O'Brien",
        member_id="10001",
        payload={
            "to": "zoe@example.org",
            "subject": "Your renewal",
            "body": "Dear Zoë, your membership renews on 30 June.",
        },
    )
    browser_login(page, "maya")
    page.goto(f"/reviews/{item.pk}/")
    # when maya accepts it, the worker sends it over SMTP
    page.get_by_role("button", name="Accept", exact=True).click()
    wait_for(lambda: ReviewItem.objects.get(pk=item.pk).status == "done")
    wait_for(lambda: Communication.objects.filter(item=item, status="sent").exists())
    assert [m["To"] for m in smtp_sink.messages] == ["zoe@example.org"]
    # then the item shows where it went, and the history lists it with its iMIS Activity
    page.goto(f"/reviews/{item.pk}/")
    expect(page.locator("#item-status")).to_have_text("Done")
    expect(page.get_by_text("Email sent to zoe@example.org")).to_be_visible()
    page.get_by_role("link", name="history").click()
    expect(page.locator("#communications tbody tr")).to_have_count(1)
    expect(page.locator("#communications tbody")).to_contain_text("Your renewal")
    screenshot(page, "communications")
    # and she can reverse it, with a reason, which files the correction
    page.goto(f"/reviews/{item.pk}/")
    page.get_by_label("Reverse this effect: why?").fill("Sent to the wrong member")
    page.get_by_role("button", name="Reverse").click()
    expect(page.locator(".message-success")).to_contain_text("reversed")
    expect(page.locator("#item-status")).to_have_text("Reversed")
