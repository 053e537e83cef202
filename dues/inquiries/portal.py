"""The member's self-service page: its signed link (common.links, purpose "account"), and a
question asked there, answered only from this member's records and the policy documents.

Every question and answer is kept locally (an Inquiry of the portal channel with its messages)
and logged to the member's iMIS record as an Activity through the outbox. What cannot be
grounded becomes an inquiry for staff, and the member is told by when to expect a reply.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from common.errors import DomainError
from common.links import EmailLink, absolute_url, link_issue, member_email_links
from dues.inquiries import answers, intake, services
from dues.inquiries.account import member_account
from dues.inquiries.classify import classify
from dues.models import Inquiry, InquiryMessage
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue
from reviews.drafting.facts import member_pii

PURPOSE = "account"
MAX_QUESTION = 2000


def account_link(party_id: str, *, issued_by=None) -> str:
    """A new link to the member's own page, valid INQUIRY_ACCOUNT_LINK_DAYS."""
    token = link_issue(
        purpose=PURPOSE,
        party_id=party_id,
        subject=f"account:{party_id}",
        ttl=timedelta(days=settings.INQUIRY_ACCOUNT_LINK_DAYS),
        issued_by=issued_by,
    )
    return absolute_url(reverse("dues:member_account", kwargs={"token": token}))


def _footer_link(party_id: str, channel: str, communication=None) -> str:
    return account_link(party_id) if party_id and channel == "email" else ""


member_email_links.register(
    "account", EmailLink(label="See your dues and ask a question", build=_footer_link)
)


@dataclass
class Asked:
    inquiry: Inquiry
    answer: str  # shown to the member now; "" when staff will reply
    reply_by: date | None


def _rate(member_id: str) -> None:
    count_text, _, period = settings.INQUIRY_ASK_RATE.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(period.strip()[:1], 3600)
    limit = int(count_text)
    key = f"inquiry-ask:{member_id}:{int(timezone.now().timestamp() // seconds)}"
    cache.add(key, 0, timeout=seconds * 2)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=seconds * 2)
        count = 1
    if count > limit:
        raise DomainError(
            "You have asked several questions in a short time; please wait a little, or write "
            f"to {settings.DRAFTING_CONTACT_EMAIL}."
        )


def _activity(inquiry: Inquiry, question: str, answer: str) -> None:
    outbox_enqueue(
        build=writes.activity,
        source=f"inquiry {inquiry.pk}",
        party_id=inquiry.member_id,
        activity_type=settings.INQUIRY_ACTIVITY_TYPE,
        subject=f"Question on the member page (inquiry #{inquiry.pk})",
        summary=f"Q: {question}\n\nA: {answer}",
        transaction_date=timezone.localtime().replace(tzinfo=None),
    )


@transaction.atomic
def member_question_ask(*, link, question: str) -> Asked:
    """Answer a question for the link's member only; log it here and in iMIS."""
    member_id = link.party_id
    question = " ".join((question or "").split())[:MAX_QUESTION] if question else ""
    if not question.strip():
        raise DomainError("Write your question in the box, then press Ask.")
    _rate(member_id)
    account = member_account(member_id)
    if account is None:
        raise DomainError(
            "Your account could not be read just now; please try again later or write to "
            f"{settings.DRAFTING_CONTACT_EMAIL}."
        )
    now = timezone.now()
    found = classify("", question, pii=member_pii(account.party))
    inquiry = Inquiry(
        channel=Inquiry.Channel.PORTAL,
        subject=f"Question on the member page, {timezone.localdate():%Y-%m-%d}",
        thread_key=intake.thread_key(f"portal-{now.isoformat()}", member_id),
        member_id=member_id,
        member_name=account.party.name,
        matched_by=Inquiry.Match.LINK,
        category=found.category,
        categories=found.categories,
        confidence=found.confidence,
        classified_by=found.by,
        received_at=now,
    )
    inquiry.full_clean()
    inquiry.save()
    InquiryMessage.objects.create(
        inquiry=inquiry, direction=InquiryMessage.Direction.IN, text=question, created_at=now
    )
    grounding = answers.ground(account, text=question, category=found.category)
    answer = ""
    confident = found.confidence >= _floor()
    if found.category in answers.GROUNDABLE and grounding.grounded and confident:
        try:
            draft = answers.draft_reply(member_id=member_id, text=question, grounding=grounding)
        except DomainError:
            draft = None
        if draft is not None and not draft["blocking"]:
            answer = draft["body"]
    services.portal_recorded(inquiry, answered=bool(answer))
    if answer:
        InquiryMessage.objects.create(
            inquiry=inquiry, direction=InquiryMessage.Direction.OUT, text=answer, created_at=now
        )
        _activity(inquiry, question, answer)
        return Asked(inquiry, answer, None)
    due = answers.reply_by()
    _activity(inquiry, question, f"Passed to staff; a reply is due by {due:%Y-%m-%d}.")
    # Staff get it as any other inquiry: classified, grounded, drafted, in the right queue.
    transaction.on_commit(
        lambda: async_task("dues.inquiries.tasks.inquiry_process_task", inquiry.pk)
    )
    return Asked(inquiry, "", due)


def _floor() -> Decimal:
    return Decimal(str(settings.INQUIRY_CONFIDENCE_FLOOR))
