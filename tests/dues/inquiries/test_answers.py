"""From an inquiry to a grounded, reviewed reply: classification, the member's own facts and the
calculator's breakdown, escalation with a credit memo and a PartyNote, proposals for requests,
the reply sent once and logged, policy passages cited."""

import json
from decimal import Decimal

import pytest

from common import roles
from common.errors import DomainError
from dues.inquiries import classify, kinds, policy_docs, services
from dues.inquiries.account import PART
from dues.models import CreditMemo, Inquiry, InquiryMessage
from imis_client.models import ImisParty, OutboxWrite
from reviews.models import Communication, ReviewItem
from reviews.services import review_item_decide, review_item_execute
from tests.dues.inquiries.conftest import member_alone_on_email, member_with_open_invoice
from tests.reviews.fake_llm import FakeChatServer

UNTRACED = {"untraced_amount", "untraced_date", "untraced_percentage", "untraced_number"}


def _ask(party: ImisParty, text: str, *, user, subject: str = "My dues") -> Inquiry:
    inquiry = services.inquiry_create(
        user=user, channel="phone", subject=subject, text=text, member_id=party.imis_id
    )
    return services.inquiry_process(inquiry_id=inquiry.pk)


def test_prorated_charge_question_is_answered_from_the_calculators_breakdown(mirror, make_user):
    party, invoice = member_with_open_invoice(mirror.association, "tier_change")
    clerk = make_user(roles.MEMBERSHIP)

    inquiry = _ask(
        party, f"Why is invoice {invoice.number} prorated? How was it worked out?", user=clerk
    )

    assert (inquiry.status, inquiry.category, inquiry.escalation) == (
        "drafted",
        "charge_explanation",
        "",
    )
    item = inquiry.review_item
    assert (item.kind, item.queue, item.member_id, item.proposed_by) == (
        kinds.REPLY_FINANCE,
        "finance",
        party.imis_id,
        clerk,
    )
    draft = item.payload["draft"]
    facts = {f["name"]: f for f in draft["facts"]}
    assert facts["charge_breakdown"]["source"] == (
        f"dues.billing calculator breakdown of invoice {invoice.imis_id}"
    )
    assert facts["charge_breakdown"]["value"] in draft["body"]
    assert PART.search(facts["charge_breakdown"]["value"])  # "10 of 12 months"
    assert f"invoice {invoice.number}" in draft["body"]
    assert not [f for f in draft["flags"] if f["code"] in UNTRACED]
    assert draft["blocking"] is False
    assert "calculator breakdown of invoice" in item.payload["citations"]


def test_duplicate_charge_goes_to_finance_with_a_credit_memo_and_a_party_note(mirror, make_user):
    party, _ = member_with_open_invoice(mirror.association, "duplicate")
    clerk = make_user(roles.FINANCE)

    inquiry = _ask(
        party, "I was charged twice for the same membership year! Please fix it.", user=clerk
    )

    assert (inquiry.status, inquiry.category, inquiry.escalation) == (
        "waiting",
        "dispute",
        "billing_error",
    )
    memo = CreditMemo.objects.get(member_id=party.imis_id)
    assert memo.amount < 0 and memo.status == "proposed"
    assert memo.review_item.kind == "dues.credit_memo"
    assert f"{memo.reference}" in inquiry.summary
    assert inquiry.review_item.queue == "finance"
    note = OutboxWrite.objects.get(source=f"inquiry {inquiry.pk}")
    assert note.path == "/api/PartyNote"
    assert note.body["PartyId"] == party.imis_id
    assert "Duplicate charge or dispute" in note.body["Text"]


def test_low_confidence_goes_to_staff_with_a_summary_and_a_party_note(mirror, make_user):
    party = member_alone_on_email()

    inquiry = _ask(
        party, "Hello, quick one about something from last week.", user=make_user(roles.MEMBERSHIP)
    )

    assert (inquiry.status, inquiry.category, inquiry.escalation) == (
        "waiting",
        "other",
        "low_confidence",
    )
    assert inquiry.review_item.queue == "membership"
    assert inquiry.summary.startswith("Other (confidence 0.500, rules).")
    assert "Escalated: Low confidence (staff)." in inquiry.summary
    assert OutboxWrite.objects.filter(source=f"inquiry {inquiry.pk}").count() == 1


def test_address_change_becomes_a_staff_task_with_the_new_address(mirror, make_user):
    party = member_alone_on_email()

    inquiry = _ask(
        party,
        "We moved last month. Please update my mailing address:\n42 Willow Lane, Springfield IL"
        " 62704\nThank you",
        user=make_user(roles.MEMBERSHIP),
    )

    assert (inquiry.category, inquiry.escalation, inquiry.status) == (
        "contact_update",
        "action",
        "waiting",
    )
    task = ReviewItem.objects.get(kind=kinds.CONTACT_TASK, member_id=party.imis_id)
    assert task.payload["new_contact"] == "42 Willow Lane, Springfield IL 62704"
    assert "no Party write" in task.payload["summary"]


def test_cancellation_becomes_the_calculators_refund_proposal(mirror, make_user):
    party, _ = member_with_open_invoice(mirror.association, "tier_change")

    inquiry = _ask(
        party, "Please cancel my membership and refund the rest.", user=make_user(roles.FINANCE)
    )

    assert (inquiry.category, inquiry.escalation) == ("cancellation", "action")
    memo = CreditMemo.objects.filter(member_id=party.imis_id, origin="calculator").first()
    if memo is None:  # the calculator found nothing to refund: it says so, and nothing is filed
        assert "No refund could be calculated" in inquiry.summary or (
            "nothing to refund" in inquiry.summary
        )
    else:
        assert memo.reason == "your membership was cancelled"
        assert memo.reference in inquiry.summary


def test_approved_reply_is_sent_once_to_the_members_own_address_and_logged(
    mirror, make_user, django_capture_on_commit_callbacks, smtp_sink
):
    party, _ = member_with_open_invoice(mirror.association, "tier_change")
    clerk, checker = make_user(roles.FINANCE, "clerk"), make_user(roles.FINANCE, "checker")
    inquiry = _ask(party, "What does my invoice cover? Please explain the charge.", user=clerk)
    item = inquiry.review_item

    with pytest.raises(DomainError, match=r"You proposed this item; someone else must"):
        review_item_decide(item_id=item.pk, user=clerk, decision="accept", enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        review_item_decide(item_id=item.pk, user=checker, decision="accept", enqueue=False)
        review_item_execute(item_id=item.pk)
        review_item_execute(item_id=item.pk)  # a retry: one message

    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.answered_without_edit) == ("answered", True)
    comm = Communication.objects.get(item=item)
    assert (comm.to_address, comm.status) == (party.email, "sent")
    assert comm.body.startswith(item.payload["draft"]["body"])
    assert "\nSee your dues and ask a question: http" in comm.body  # the footer's account link
    out = inquiry.messages.get(direction=InquiryMessage.Direction.OUT)
    assert out.text == item.payload["draft"]["body"]
    assert len(smtp_sink.to(party.email)) == 1


def test_policy_documents_are_chunked_searched_and_cited(mirror, make_user, settings):
    manager = make_user(roles.MANAGER)
    text = (
        b"# Refunds\n\nMembers who cancel within the refund window receive the unused part of "
        b"their dues back, less the cancellation fee.\n\n# Conference\n\nConference "
        b"registration opens each January for members in good standing.\n"
    )
    document = policy_docs.policy_document_upload(
        title="Member handbook", filename="handbook.md", data=text, user=manager
    )
    settings.INQUIRY_POLICY_MAX_BYTES = 100

    with pytest.raises(DomainError, match=r"is 2,048 bytes; the limit is 100 bytes"):
        policy_docs.policy_document_upload(
            title="", filename="big.txt", data=b"x" * 2048, user=manager
        )
    with pytest.raises(DomainError, match="upload Markdown"):
        policy_docs.policy_document_upload(title="", filename="a.docx", data=b"x", user=manager)

    assert [c.heading for c in document.chunks.all()] == ["Refunds", "Conference"]
    found = policy_docs.search("When does conference registration open?")
    assert [c.heading for c in found][:1] == ["Conference"]
    party = member_alone_on_email()
    inquiry = _ask(party, "When does registration open for the annual conference?", user=manager)
    draft = inquiry.review_item.payload["draft"]
    assert "Conference registration opens each January" in draft["body"]
    assert "Member handbook, “Conference”" in draft["body"]
    assert "Member handbook" in inquiry.review_item.payload["citations"]


def test_pdf_policy_is_read(mirror, make_user):
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 20 100 Td (Late fees are waived for members on a plan.) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)

    document = policy_docs.policy_document_upload(
        title="Plans", filename="plans.pdf", data=buffer.getvalue(), user=make_user(roles.MANAGER)
    )

    assert document.kind == "pdf"
    assert "Late fees are waived" in document.chunks.get().text


def test_with_a_model_configured_its_structured_answer_is_used_and_pii_is_masked(mirror, settings):
    party = member_alone_on_email()
    recorded = {"category": "plan_request", "also": ["payment_status"], "confidence": 0.91}
    server = FakeChatServer(behaviour=lambda request: recorded).start()
    settings.LLM_MODEL, settings.LLM_BASE_URL = "openai:local-test-model", server.base_url
    try:
        from reviews.drafting.facts import member_pii

        found = classify.classify(
            "help",
            f"This is {party.name}, email {party.email}. Can I pay over a few months?",
            pii=member_pii(party),
        )
    finally:
        server.stop()

    assert (found.category, found.categories, found.confidence, found.by) == (
        "plan_request",
        ["plan_request", "payment_status"],
        Decimal("0.91"),
        "model openai:local-test-model",
    )
    sent = json.dumps(server.requests)
    assert party.email not in sent and party.name not in sent
    assert "[[EMAIL_1]]" in sent


def test_a_model_that_fails_leaves_the_rules_answer(mirror, settings):
    server = FakeChatServer(behaviour=lambda request: "not json").start()
    settings.LLM_MODEL, settings.LLM_BASE_URL = "openai:local-test-model", server.base_url
    settings.LLM_MAX_RETRIES = 0
    try:
        found = classify.classify("Charged twice", "I was charged twice this month")
    finally:
        server.stop()

    assert (found.category, found.by) == ("dispute", "rules")
