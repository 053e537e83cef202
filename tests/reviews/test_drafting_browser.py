"""In a real Chromium: a manager previews a template live against a member and saves a new
version; a reviewer sees a draft's flags inline beside the words and fixes them before approving."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from common import roles
from reviews import services
from reviews.drafting import draft_message
from reviews.drafting.golden import golden_cases, install_case
from reviews.models import MessageTemplate, ReviewItem
from tests.conftest import browser_login, screenshot
from tests.reviews import drafting_support  # noqa: F401  (registers tests.message)

pytestmark = pytest.mark.browser
CASES = {case["id"]: case for case in golden_cases()}


@pytest.fixture(autouse=True)
def no_model(settings):
    settings.LLM_MODEL = ""


def test_manager_previews_a_template_against_a_member_and_saves_a_version(page, make_user):
    make_user(roles.MANAGER)
    install_case(CASES["dunning-1-email"])
    browser_login(page, "grace")
    page.get_by_role("link", name="Templates").click()
    # the library's 18 templates: billing's adjustment and collections' failed payment added theirs
    expect(page.locator("#templates tbody tr")).to_have_count(18)
    screenshot(page, "drafting-template-list")
    page.locator('#templates tr[data-purpose="dunning_1"][data-channel="email"] a').click()
    # the preview fills itself from the member with an open invoice
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Dear Zoë,")
    expect(preview).to_contain_text("Our records show a balance of $245.00 on invoice D-10452")
    expect(preview).to_contain_text("no blocking flags")
    # typing a prohibited promise marks it in the preview, with the rule's message beside it
    body = page.get_by_label("Body")
    body.press("End")
    body.press("Control+End")
    body.type("\n\nWe guarantee a reply the same day.")
    mark = preview.locator('mark[data-codes="prohibited_term"]')
    expect(mark).to_have_text("guarantee")
    expect(preview.locator('.flag-note[data-code="prohibited_term"]')).to_contain_text(
        "Prohibited term: “guarantee”. The association cannot promise outcomes"
    )
    screenshot(page, "drafting-template-preview-flag")
    # a number typed as literal text is refused even in the preview
    body.type(" Or pay $10.00 now.")
    expect(page.locator("#preview-error")).to_contain_text("“$10.00” is written as literal text")
    # a clean edit saves as version 2, and the history shows it as current
    body.fill(
        body.input_value().replace(
            "\n\nWe guarantee a reply the same day. Or pay $10.00 now.",
            "\n\nWe answer every message within a day.",
        )
    )
    expect(preview).to_contain_text("We answer every message within a day.")
    expect(preview).to_contain_text("no blocking flags")
    page.get_by_label("What changed, and why").fill("Promise a quick answer, without a guarantee")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.locator(".message-success")).to_contain_text("Saved as version 2")
    expect(page.locator("#current-version")).to_have_text("v2")
    expect(page.locator('#versions tr[data-version="2"]')).to_contain_text("grace")
    template = MessageTemplate.objects.get(purpose="dunning_1", channel="email")
    assert template.current.version == 2
    assert "We answer every message within a day." in template.current.body
    screenshot(page, "drafting-template-detail")


def test_reviewer_sees_flags_inline_and_fixes_the_draft_before_approving(page, make_user):
    make_user(roles.MEMBERSHIP)
    member_id, invoice_id, _ = install_case(CASES["dunning-1-email"])
    draft = draft_message(purpose="dunning_1", member_id=member_id, invoice_id=invoice_id)
    payload = draft.as_payload()
    payload["body"] = payload["body"].replace("a balance of $245.00", "a balance of $295.00")
    payload["body"] = payload["body"].replace("You can pay at", "Pay today at")
    item = services.review_item_propose(
        kind="tests.message",
        title="Dunning reminder for Zoë Hartmann",
        member_id=member_id,
        payload={"draft": payload},
        confidence=Decimal("0.9"),
    )
    browser_login(page, "maya")
    page.goto(f"/reviews/{item.pk}/")
    flags = page.locator("#draft-flags")
    # the invented amount is marked where it is, its message right after it
    expect(flags.locator('mark[data-codes="untraced_amount"]')).to_have_text("$295.00")
    expect(flags.locator('.flag-note[data-code="untraced_amount"]')).to_contain_text(
        "“$295.00”: no fact in this draft's context gives this amount"
    )
    expect(flags.locator("#general-flags")).to_contain_text(
        "The message must state the amount due ($245.00)."
    )
    expect(page.locator("#draft-provenance")).to_contain_text(
        "Drafted from template dunning_1/email v1 · no model"
    )
    screenshot(page, "drafting-item-inline-flags")
    # accepting is refused while a blocking flag remains
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.locator(".message-error")).to_contain_text(
        "The draft cannot be approved while it has a blocking problem"
    )
    # fixing the amount clears the flags as she types
    body = page.get_by_label("Message (EMAIL)")
    body.fill(body.input_value().replace("$295.00", "$245.00"))
    expect(flags).to_contain_text("no blocking flags")
    expect(flags.locator("mark")).to_have_count(0)
    screenshot(page, "drafting-item-fixed")
    page.get_by_role("button", name="Save edit for a second approval").click()
    expect(page.locator(".message-success")).to_contain_text("someone else must approve it")
    item.refresh_from_db()
    assert item.status == ReviewItem.Status.PENDING and item.last_edited_by.username == "maya"
    assert "a balance of $245.00" in item.payload["draft"]["body"]
    assert item.payload["draft"]["flags"] == []


def test_manager_adds_a_guardrail_rule_and_reads_the_draft_log(page, make_user):
    from reviews.drafting import check_draft
    from reviews.models import GuardrailRule

    make_user(roles.MANAGER)
    member_id, invoice_id, _ = install_case(CASES["dunning-1-email"])
    payload = draft_message(
        purpose="dunning_1", member_id=member_id, invoice_id=invoice_id
    ).as_payload()
    browser_login(page, "grace")
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="Guardrail rules").click()
    form = page.locator("#add-rule")
    form.get_by_label("Kind").select_option("prohibited")
    form.get_by_label("Word, phrase or domain").fill("ignore this reminder")
    form.get_by_label("Message on the flag").fill("Never tell members to ignore a reminder.")
    form.get_by_label("Dunning: first reminder").check()
    form.get_by_role("button", name="Add rule").click()
    expect(page.locator(".message-success")).to_contain_text(
        "Prohibited term “ignore this reminder” added."
    )
    expect(page.locator('#rules tr[data-phrase="ignore this reminder"]')).to_be_visible()
    rule = GuardrailRule.objects.get(phrase="ignore this reminder")
    assert rule.purposes == ["dunning_1"]
    # the shipped dunning text says it, so the stored draft is now flagged on those words
    [flag] = check_draft(payload)
    assert payload["body"][flag["start"] : flag["end"]] == "ignore this reminder"
    screenshot(page, "drafting-guardrails")
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="Draft log").click()
    expect(page.locator("#draft-summary")).to_contain_text("template (no model)")
    expect(page.locator("#drafts tbody tr")).to_have_count(1)
    expect(page.locator("#drafts tbody")).to_contain_text("dunning_1/email v1")
    page.wait_for_function("() => window.Chart && Chart.getChart('draft-chart') !== undefined")
    screenshot(page, "drafting-draft-log")
