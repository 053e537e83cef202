"""Review kinds of inquiries: the drafted reply (membership or finance queue, by the class of
question) and the contact-change task (carried out by hand in iMIS: no Party write exists).

Payloads are flat so the generic review page shows them: ``inquiry`` (our id), ``category``,
``summary`` (for the reviewer), ``draft`` (the reply; recipients come from the mirror when it
is sent, never from the payload) or ``new_contact`` (what the member asked to change to).
"""

from common.errors import DomainError
from reviews.kinds import ReviewKind

REPLY = "dues.inquiry_reply"
REPLY_FINANCE = "dues.inquiry_reply_finance"
CONTACT_TASK = "dues.inquiry_contact_task"


def _inquiry_ref(payload: dict) -> str:
    from dues.models import Inquiry

    ref = str(payload.get("inquiry") or "").strip()
    if not ref.isdigit() or not Inquiry.objects.filter(pk=int(ref)).exists():
        raise DomainError(f"Inquiry {ref or '(none)'} does not exist.")
    return ref


def validate_reply(payload: dict) -> dict:
    ref = _inquiry_ref(payload)
    draft = payload.get("draft")
    if not isinstance(draft, dict) or not str(draft.get("body") or "").strip():
        raise DomainError("The reply has no text; write one before approving.")
    return {
        "inquiry": ref,
        "category": str(payload.get("category") or "other")[:30],
        "summary": " ".join(str(payload.get("summary") or "").split())[:2000],
        "citations": str(payload.get("citations") or "")[:1000],
        "draft": draft,
    }


def validate_contact(payload: dict) -> dict:
    ref = _inquiry_ref(payload)
    new_contact = str(payload.get("new_contact") or "").strip()
    if not new_contact:
        raise DomainError("Write the new contact details the member gave before approving.")
    return {
        "inquiry": ref,
        "new_contact": new_contact[:1000],
        "summary": " ".join(str(payload.get("summary") or "").split())[:2000],
    }


def _reply_effect(item) -> dict:
    from dues.inquiries.services import inquiry_reply_effect

    return inquiry_reply_effect(item)


def _contact_effect(item) -> dict:
    from dues.inquiries.services import inquiry_contact_done

    return inquiry_contact_done(item)


def _recheck(item) -> str | None:
    from dues.models import Inquiry

    inquiry = Inquiry.objects.filter(pk=int(item.payload.get("inquiry") or 0)).first()
    if inquiry is None:
        return "the inquiry no longer exists"
    if inquiry.status == Inquiry.Status.CLOSED:
        return "the inquiry was closed"
    if inquiry.member_id != item.member_id:
        return "the inquiry was matched to another member"
    return None


INQUIRY_REPLY = ReviewKind(
    name=REPLY,
    label="Inquiry reply",
    queue="membership",
    validate=validate_reply,
    effect=_reply_effect,
    recheck=_recheck,
)
INQUIRY_REPLY_FINANCE = ReviewKind(
    name=REPLY_FINANCE,
    label="Inquiry reply (billing)",
    queue="finance",
    validate=validate_reply,
    effect=_reply_effect,
    recheck=_recheck,
)
INQUIRY_CONTACT_TASK = ReviewKind(
    name=CONTACT_TASK,
    label="Contact change to key into iMIS",
    queue="membership",
    validate=validate_contact,
    effect=_contact_effect,
    recheck=_recheck,
)
KINDS = (INQUIRY_REPLY, INQUIRY_REPLY_FINANCE, INQUIRY_CONTACT_TASK)
