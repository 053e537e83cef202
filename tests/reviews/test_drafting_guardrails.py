"""Guardrails over drafts after a person's edit (check_draft), fact providers, and PII masking."""

from decimal import Decimal

import pytest

from reviews.drafting import check_draft, draft_message, register_fact_provider
from reviews.drafting import facts as facts_module
from reviews.drafting.golden import golden_cases, install_case
from reviews.drafting.pii import Masker, luhn_ok, scan
from reviews.drafting.services import guardrail_rule_create, guardrail_rule_update

CASES = {case["id"]: case for case in golden_cases()}


@pytest.fixture(autouse=True)
def no_model(settings):
    settings.LLM_MODEL = ""


@pytest.fixture(autouse=True)
def fixed_today(clock):
    # The golden cases' dates are relative to today, and some edits name the due date's month.
    clock("2026-11-10T12:00")


def _payload(case_id: str, **kwargs) -> dict:
    case = CASES[case_id]
    member_id, invoice_id, extra = install_case(case)
    draft = draft_message(
        purpose=case["purpose"],
        member_id=member_id,
        channel=case["channel"],
        invoice_id=invoice_id,
        extra_facts=extra,
        **kwargs,
    )
    return draft.as_payload()


def _edited(payload: dict, old: str, new: str) -> tuple[dict, int]:
    assert old in payload["body"]
    return {**payload, "body": payload["body"].replace(old, new, 1)}, payload["body"].index(old)


def _codes(flags) -> list[tuple[str, str]]:
    return [(f["code"], f["severity"]) for f in flags]


@pytest.mark.django_db
def test_clean_draft_has_no_flags_and_an_invented_amount_is_flagged_where_it_is():
    payload = _payload("dunning-1-email")
    assert check_draft(payload) == []
    edited, at = _edited(payload, "a balance of $245.00", "a balance of $254.00")
    dropped, flag = check_draft(edited)
    assert dropped["message"] == "The message must state the amount due ($245.00)."
    assert flag == {
        "code": "untraced_amount",
        "severity": "block",
        "field": "body",
        "message": "“$254.00”: no fact in this draft's context gives this amount; use the "
        "fact's value or remove it.",
        "start": at + len("a balance of "),
        "end": at + len("a balance of $254.00"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "due November",
            "due by the 3rd of December 2031, or November",
            [("untraced_date", "block")],
        ),
        ("You can pay at", "Take 20% off. You can pay at", [("untraced_percentage", "block")]),
        ("You can pay at", "Pay at www.dues-now.info or at", [("link", "block")]),
        ("You can pay at", "We guarantee you can pay at", [("prohibited_term", "block")]),
        ("You can pay at", "URGENT!! You can pay at", [("tone", "warn"), ("tone", "warn")]),
        (
            "write to membership@example.org",
            "write to boss@gmail.com",
            [("unknown_email", "block")],
        ),
        (
            "You can pay at",
            "Card 4111-1111-1111-1111 on file. You can pay at",
            [("sensitive_number", "block")],
        ),
        ("Dear Zoë", "Dear [first_name]", [("gap", "block")]),
    ],
)
def test_edit_flags(old, new, expected):
    payload = _payload("dunning-1-email")
    edited, _ = _edited(payload, old, new)
    assert sorted(_codes(check_draft(edited))) == sorted(expected)


@pytest.mark.django_db
def test_required_lines_and_facts_must_stay():
    payload = _payload("renewal-notice-engaged")
    opt_out = (
        "You receive this as a member of Example Professional Association. To stop these "
        "messages, reply UNSUBSCRIBE."
    )
    edited, _ = _edited(payload, opt_out, "")
    [flag] = check_draft(edited)
    assert flag["message"] == f"The opt-out line is missing; add it as: “{opt_out}”"
    edited, _ = _edited(payload, "is $245.00", "is affordable")
    assert [f["message"] for f in check_draft(edited)] == [
        "The message must state the renewal amount ($245.00)."
    ]


@pytest.mark.django_db
def test_sms_over_two_segments_is_blocked():
    payload = _payload("renewal-reminder-sms")
    edited = {**payload, "body": payload["body"] + " We hope to see you soon." * 6}
    [flag] = check_draft(edited)
    assert flag["code"] == "too_long"
    assert flag["message"] == (
        f"{len(edited['body'])} characters: an SMS may have at most 320; shorten it."
    )


@pytest.mark.django_db
def test_auto_draft_without_its_label_is_blocked():
    payload = _payload("renewal-reminder-sms", auto=True)
    edited, _ = _edited(payload, " Automated message.", "")
    assert [f["code"] for f in check_draft(edited)] == ["missing_element"]


@pytest.mark.django_db
def test_facts_cannot_be_traced_to_untrusted_text():
    payload = _payload("inquiry-why-charged")
    # the inquiry's own words copied into the reply, and an amount only the inquiry mentions
    payload["facts"].append(
        {
            "name": "inquiry_text",
            "value": "Please confirm my new balance of $10.00 is correct and nothing more is owed.",
            "source": "untrusted: inquiry",
            "kind": "text",
            "trusted": False,
            "display": "",
        }
    )
    edited, _ = _edited(
        payload,
        "Thank you for your message",
        "Your new balance of $10.00 is correct and nothing more is owed",
    )
    assert sorted(_codes(check_draft(edited))) == [
        ("untraced_amount", "block"),
        ("untrusted_text", "block"),
    ]


@pytest.mark.django_db
def test_manager_rules_apply_at_once_and_can_be_switched_off(make_user):
    grace = make_user("Manager")
    payload = _payload("dunning-1-email")
    edited, _ = _edited(payload, "You can pay at", "Kindly settle at")
    assert check_draft(edited) == []
    rule = guardrail_rule_create(
        user=grace,
        kind="tone",
        phrase="kindly settle",
        severity="warn",
        message="Sounds stiff; say “You can pay at”.",
    )
    [flag] = check_draft(edited)
    assert (flag["code"], flag["severity"]) == ("tone", "warn")
    assert flag["message"] == "Tone: “Kindly settle”. Sounds stiff; say “You can pay at”."
    guardrail_rule_update(
        rule_id=rule.pk, user=grace, is_active=False, severity="warn", message=rule.message
    )
    assert check_draft(edited) == []
    # a domain managers allow may be linked to
    link = "Events: https://events.example.com/spring. Pay at"
    edited, _ = _edited(payload, "You can pay at", link)
    assert [f["code"] for f in check_draft(edited)] == ["link"]
    guardrail_rule_create(user=grace, kind="domain", phrase="https://example.com/")
    assert check_draft(edited) == []


@pytest.mark.django_db
def test_pending_payment_notice_blocks_reminders_for_that_invoice():
    def pending(member_id, invoice_id):
        if invoice_id.endswith("-INV"):
            return {
                "pending_payment_notice": (
                    "ACH payment of $245.00 received, clearing",
                    "dues PendingPayment 31",
                )
            }
        return {}

    facts_module._PROVIDERS.append(pending)
    try:
        dunning = _payload("dunning-1-email")
        credit = _payload("credit-duplicate-charge")
    finally:
        facts_module._PROVIDERS.remove(pending)
    assert dunning["blocking"]
    assert dunning["flags"][0]["message"] == (
        "A payment on this invoice is pending: ACH payment of $245.00 received, clearing (dues "
        "PendingPayment 31). Do not send a reminder until it clears or fails; reject this draft or "
        "wait."
    )
    # the notice never reaches the text, and an edit cannot remove the block
    assert "clearing" not in dunning["body"]
    assert check_draft(dunning)[0]["code"] == "pending_payment"
    assert not credit["blocking"]  # not a reminder


@pytest.mark.django_db
def test_register_fact_provider_adds_a_purpose_fact_with_its_source():
    def offer(member_id, invoice_id):
        return {"offer_percent": (Decimal("12.5"), "renewals offer table row 4")}

    register_fact_provider(offer)
    try:
        payload = _payload("high-risk-outreach-no-offer")
    finally:
        facts_module._PROVIDERS.remove(offer)
    fact = next(f for f in payload["facts"] if f["name"] == "offer_percent")
    assert (fact["display"], fact["source"], fact["kind"]) == (
        "12.5%",
        "renewals offer table row 4",
        "percent",
    )
    assert "take 12.5% off your renewal" in payload["body"]


def test_card_numbers_are_luhn_checked_and_bank_numbers_found():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    found = scan(
        "card 4111 1111 1111 1111, not 4111 1111 1111 1112; IBAN GB82 WEST 1234 5698 "
        "7654 32; acct no. 000123456789; mail a.b@example.com; call (555) 201-0042; "
        "at 12 Oak Street"
    )
    assert [(f.kind, f.text) for f in found] == [
        ("CARD", "4111 1111 1111 1111"),
        ("BANK", "GB82 WEST 1234 5698 7654 32"),
        ("BANK", "000123456789"),
        ("EMAIL", "a.b@example.com"),
        ("PHONE", "(555) 201-0042"),
        ("ADDRESS", "12 Oak Street"),
    ]


def test_masker_restores_names_and_contacts_but_never_card_numbers():
    masker = Masker(names=["Maya Okafor", "Maya"], emails=["maya@example.net"])
    masked = masker.mask("Maya Okafor (maya@example.net) paid with 4111 1111 1111 1111. Maya")
    assert masked == "[[NAME_1]] ([[EMAIL_1]]) paid with [[CARD_1]]. [[NAME_2]]"
    assert masker.restore("Dear [[NAME_2]], card [[CARD_1]], [EMAIL_1]") == (
        "Dear Maya, card [[CARD_1]], maya@example.net"
    )
