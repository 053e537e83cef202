"""Template drafts: every shipped purpose and channel is complete, traced and within length;
the library is versioned, and a template that could state an untraced number is refused."""

import re

import pytest

from common.errors import DomainError
from common.models import AuditEvent
from reviews.drafting import PURPOSES, check_draft, draft_message, elements
from reviews.drafting.golden import golden_cases, install_case
from reviews.drafting.services import template_version_create
from reviews.drafting.templates import default_templates
from reviews.models import DraftRecord, MessageTemplate

SHIPPED = [(t["purpose"], t["channel"]) for t in default_templates()]
CASES = golden_cases()


@pytest.fixture(autouse=True)
def no_model(settings):
    settings.LLM_MODEL = ""


def test_default_set_covers_every_purpose_and_sms_for_reminders():
    assert {purpose for purpose, _ in SHIPPED} == set(PURPOSES)
    assert ("renewal_reminder", "sms") in SHIPPED
    # and the golden set has a case for every shipped template
    assert {(c["purpose"], c["channel"]) for c in CASES} >= set(SHIPPED)


@pytest.mark.django_db
def test_fresh_database_holds_the_shipped_templates_as_version_one():
    templates = MessageTemplate.objects.all()
    assert {(t.purpose, t.channel) for t in templates} == set(SHIPPED)
    assert {t.current.version for t in templates} == {1}


@pytest.mark.django_db
@pytest.mark.parametrize(("purpose", "channel"), SHIPPED, ids=[f"{p}/{c}" for p, c in SHIPPED])
def test_template_draft_is_complete_traced_and_within_length(purpose, channel):
    for case in [c for c in CASES if (c["purpose"], c["channel"]) == (purpose, channel)]:
        member_id, invoice_id, extra = install_case(case)
        draft = draft_message(
            purpose=purpose,
            member_id=member_id,
            channel=channel,
            invoice_id=invoice_id,
            extra_facts=extra,
        )
        # complete: no gap, no flag of any kind, every required line present
        assert draft.flags == [], (case["id"], draft.flags)
        assert not re.search(r"\[[a-z_]+\]", draft.body + draft.subject)
        sender = {
            "email": "Sent on behalf of Example Professional Association by its membership team.",
            "sms": "On behalf of Example Professional Association.",
        }
        assert sender[channel] in draft.body
        # traced: every fact the case expects is stated, and each fact names its source
        shown = {
            f["name"]
            for f in draft.facts
            if f["display"] and f["display"] in draft.subject + draft.body
        }
        assert set(case["expect"]["mentions"]) <= shown, case["id"]
        assert all(f["source"] for f in draft.facts)
        # within length
        if channel == "sms":
            assert len(draft.body) <= elements.SMS_LIMIT and draft.subject == ""
        else:
            assert 0 < len(draft.subject) <= elements.EMAIL_SUBJECT_LIMIT
            assert len(draft.body) <= elements.EMAIL_BODY_LIMIT
        # recorded with the template version and no model
        assert (draft.template, draft.template_version, draft.model) == (
            f"{purpose}/{channel}",
            1,
            "",
        )
        assert DraftRecord.objects.get(pk=draft.record_id).template_version.version == 1


@pytest.mark.django_db
def test_dunning_draft_states_exact_amount_date_and_sources():
    case = next(c for c in CASES if c["id"] == "dunning-2-partial-payment")
    member_id, invoice_id, _ = install_case(case)
    draft = draft_message(purpose="dunning_2", member_id=member_id, invoice_id=invoice_id)
    facts = {f["name"]: f for f in draft.facts}
    assert facts["amount_due"]["value"] == "125.00"
    assert facts["amount_due"]["source"] == "ImisInvoice[GOLD-014-INV].balance"
    assert facts["days_overdue"]["value"] == 21
    assert "Invoice D-10460 for $125.00 was due on" in draft.body
    assert "and is now 21 days past due" in draft.body
    # only the facts dunning may use are in its context: no engagement or tenure facts
    assert "events_attended_12m" not in facts and "years_member" not in facts


@pytest.mark.django_db
def test_auto_draft_carries_the_automated_label():
    case = next(c for c in CASES if c["id"] == "renewal-reminder-sms")
    member_id, _, _ = install_case(case)
    draft = draft_message(purpose="renewal_reminder", member_id=member_id, channel="sms", auto=True)
    assert draft.body.endswith("Reply STOP to opt out. Automated message.")
    assert draft.as_payload()["auto"] is True and not draft.blocking


@pytest.mark.django_db
def test_unknown_member_and_channel_are_refused_or_flagged():
    with pytest.raises(DomainError, match=r"Win-back offer is sent by email, not sms\."):
        draft_message(purpose="win_back", member_id="1", channel="sms")
    with pytest.raises(LookupError, match="Unknown purpose 'welcome'"):
        draft_message(purpose="welcome", member_id="1")
    draft = draft_message(purpose="renewal_notice", member_id="NOPE-1")
    assert draft.blocking
    assert draft.flags[0]["message"] == (
        "Member NOPE-1 is not in the mirror; sync iMIS or check the id."
    )
    # a person's edit of the text does not make the unread facts read: approval still waits
    edited = {**draft.as_payload(), "body": "Dear member, your renewal is due."}
    blocks = [f for f in check_draft(edited) if f["severity"] == "block"]
    assert [f["message"] for f in blocks if f["code"] == "facts_unavailable"] == [
        "Member NOPE-1 is not in the mirror; sync iMIS or check the id."
    ]


@pytest.mark.django_db
def test_manager_edit_makes_a_new_version_that_new_drafts_use(make_user):
    grace = make_user("Manager")
    template = MessageTemplate.objects.get(purpose="dunning_1", channel="sms")
    version = template_version_create(
        template_id=template.pk,
        user=grace,
        note="Shorter",
        subject="",
        body="{{ first_name }}: {{ amount_due }} due {{ due_date }}. {{ renew_url }}",
    )
    assert version.version == 2 and template.versions.count() == 2
    case = next(c for c in CASES if c["id"] == "dunning-1-sms")
    member_id, invoice_id, _ = install_case(case)
    draft = draft_message(
        purpose="dunning_1", member_id=member_id, channel="sms", invoice_id=invoice_id
    )
    assert draft.template_version == 2
    assert draft.body.startswith("Wei: $95.00 due ")
    event = AuditEvent.objects.get(action="drafting.template_saved")
    assert event.summary == "Dunning: first reminder (sms): version 2"
    assert event.data["previous"] == 1 and event.actor_name == "grace"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Pay {{ amount_due }} within 30 days.",
            "In the body: “30” is written as literal text. Write amounts, dates, percentages and "
            "counts as placeholders bound to facts (e.g. {{ amount_due }}).",
        ),
        ("Pay $25.00 now.", "In the body: “$25.00” is written as literal text."),
        (
            "Hello {{ favourite_colour }}",
            "In the body: {{ favourite_colour }} is not a fact of Dunning: first reminder.",
        ),
        ("{% if amount_due %}Pay", "In the body: Line 1: {% if amount_due %} is never closed"),
        ("Hi {{ First_Name }}", "In the body: Line 1: “{{ First_Name }}” is not a placeholder"),
        ("Pay {{ pending_payment_notice }}", "is untrusted text or a control fact"),
    ],
)
def test_template_that_could_state_an_untraced_number_is_refused(make_user, body, message):
    grace = make_user("Manager")
    template = MessageTemplate.objects.get(purpose="dunning_1", channel="email")
    with pytest.raises(DomainError, match=re.escape(message)):
        template_version_create(template_id=template.pk, user=grace, subject="Invoice", body=body)
    assert template.versions.count() == 1


@pytest.mark.django_db
def test_saving_the_same_text_again_is_refused(make_user):
    template = MessageTemplate.objects.get(purpose="dunning_1", channel="email")
    current = template.current
    with pytest.raises(DomainError, match="Nothing was changed"):
        template_version_create(
            template_id=template.pk,
            user=make_user("Manager"),
            subject=current.subject,
            body=current.body + "\r\n",
        )
