"""Writes of inquiries: received (email, by hand), matched, processed into a drafted reply and
proposals, answered (the reply's effect) and closed. Every status change is audited."""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from common.audit import audit_record
from common.errors import DomainError
from common.states import transition
from dues.inquiries import answers, escalation, intake, kinds
from dues.inquiries.account import member_account
from dues.inquiries.classify import classify
from dues.models import Inquiry, InquiryMessage
from imis_client.models import ImisParty
from reviews.drafting.facts import member_pii
from reviews.models import ReviewItem
from reviews.services import review_item_close, review_item_propose

S = Inquiry.Status
C = Inquiry.Category
FINANCE = (C.CHARGE, C.PAYMENT_STATUS, C.DISPUTE, C.PLAN, C.CANCELLATION)


def _audit(inquiry: Inquiry, action: str, summary: str, *, actor=None, **data) -> None:
    audit_record(
        action=f"inquiries.{action}",
        summary=f"Inquiry #{inquiry.pk}: {summary}"[:500],
        actor=actor,
        actor_name=None if actor else "system",
        object_type="inquiry",
        object_id=inquiry.pk,
        member_id=inquiry.member_id,
        data=data,
    )


def _move(inquiry: Inquiry, to: str, *, actor=None, why: str = "") -> None:
    before = inquiry.status
    if before == to:
        return
    transition(inquiry, to, subject=f"Inquiry #{inquiry.pk}")
    inquiry.save()
    _audit(
        inquiry,
        "status",
        f"{before} → {to}{': ' + why if why else ''}",
        actor=actor,
        before=before,
        after=to,
    )


def _process_after_commit(inquiry_id: int) -> None:
    transaction.on_commit(
        lambda: async_task("dues.inquiries.tasks.inquiry_process_task", inquiry_id)
    )


@transaction.atomic
def inquiry_receive_email(*, inbound: intake.Inbound) -> tuple[Inquiry, bool]:
    """Store one inbound email as a new inquiry or a message of its open thread; the same
    message id twice adds nothing. Processing follows in a worker."""
    if inbound.message_id:
        seen = InquiryMessage.objects.filter(source_id=inbound.message_id).first()
        if seen is not None:
            return seen.inquiry, False
    now = timezone.now()
    key = intake.thread_key(inbound.subject, inbound.sender_email)
    inquiry = (
        Inquiry.objects.select_for_update()
        .filter(thread_key=key)
        .exclude(status=S.CLOSED)
        .order_by("-received_at")
        .first()
    )
    created = inquiry is None
    if created:
        found = intake.match_member(sender_email=inbound.sender_email, text=inbound.body)
        inquiry = Inquiry(
            channel=Inquiry.Channel.EMAIL,
            sender_email=inbound.sender_email,
            sender_name=inbound.sender_name,
            subject=inbound.subject or "(no subject)",
            thread_key=key,
            member_id=found.member_id,
            member_name=found.member_name,
            matched_by=found.how,
            invoice_id=found.invoice_id,
            summary=_candidates_text(found),
            received_at=now,
        )
        inquiry.full_clean()
        inquiry.save()
        _audit(inquiry, "received", f"email from {inbound.sender_email}", matched_by=found.how)
    elif inquiry.status == S.ANSWERED:
        _move(inquiry, S.NEW, why="the member wrote again")
    try:
        with transaction.atomic():
            InquiryMessage.objects.create(
                inquiry=inquiry,
                direction=InquiryMessage.Direction.IN,
                text=inbound.body,
                html=inbound.html,
                attachments=inbound.attachments,
                source_id=inbound.message_id,
                created_at=now,
            )
    except IntegrityError:  # the same message delivered twice at once
        return inquiry, False
    _process_after_commit(inquiry.pk)
    return inquiry, True


def _candidates_text(found: intake.MemberMatch) -> str:
    if found.member_id or not found.candidates:
        return ""
    names = ", ".join(f"{name} (#{pid})" for pid, name in found.candidates[:5])
    return f"Could be: {names}. Pick the member."


@transaction.atomic
def inquiry_create(
    *,
    user,
    channel: str,
    subject: str,
    text: str,
    member_id: str = "",
    sender_email: str = "",
    sender_name: str = "",
) -> Inquiry:
    """An inquiry taken by phone or letter, entered by staff (its proposer)."""
    if channel not in (Inquiry.Channel.PHONE, Inquiry.Channel.LETTER, Inquiry.Channel.EMAIL):
        raise DomainError("Choose how the inquiry came in: phone call, letter or email.")
    if not text.strip():
        raise DomainError("Write down what the member asked; an empty inquiry cannot be answered.")
    party = None
    if member_id.strip():
        party = ImisParty.objects.filter(imis_id=member_id.strip()).first()
        if party is None:
            raise DomainError(f"No member {member_id} in the iMIS mirror; check the iMIS id.")
    found = intake.MemberMatch()
    if party is None:
        found = intake.match_member(sender_email=sender_email.strip().lower(), text=text)
    now = timezone.now()
    inquiry = Inquiry(
        channel=channel,
        sender_email=sender_email.strip().lower()[:254],
        sender_name=sender_name.strip()[:200],
        subject=subject.strip()[:300] or f"{Inquiry.Channel(channel).label} of {now:%Y-%m-%d}",
        thread_key=intake.thread_key(subject or f"{channel}-{now.isoformat()}", sender_email),
        member_id=party.imis_id if party else found.member_id,
        member_name=party.name if party else found.member_name,
        matched_by=Inquiry.Match.STAFF if party else found.how,
        invoice_id=found.invoice_id,
        summary=_candidates_text(found),
        created_by=user,
        received_at=now,
    )
    inquiry.full_clean()
    inquiry.save()
    InquiryMessage.objects.create(
        inquiry=inquiry, direction=InquiryMessage.Direction.IN, text=text.strip(), created_at=now
    )
    _audit(inquiry, "received", f"{inquiry.get_channel_display().lower()} entered", actor=user)
    _process_after_commit(inquiry.pk)
    return inquiry


@transaction.atomic
def inquiry_match(*, inquiry_id: int, member_id: str, user) -> Inquiry:
    """Staff's pick of the member an inquiry is from; it is processed again for that member."""
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
    if inquiry.status == S.CLOSED:
        raise DomainError(f"Inquiry #{inquiry.pk} is closed; reopen it before matching.")
    party = ImisParty.objects.filter(imis_id=member_id.strip()).first()
    if party is None:
        raise DomainError(f"No member {member_id} in the iMIS mirror; check the iMIS id.")
    before = inquiry.member_id
    inquiry.member_id, inquiry.member_name = party.imis_id, party.name
    inquiry.matched_by = Inquiry.Match.STAFF
    inquiry.save()
    _audit(
        inquiry,
        "matched",
        f"matched to member {party.imis_id}",
        actor=user,
        before=before,
        after=party.imis_id,
    )
    if inquiry.status != S.NEW:
        _move(inquiry, S.NEW, actor=user, why="matched to another member")
    _process_after_commit(inquiry.pk)
    return inquiry


def _text_of(inquiry: Inquiry) -> str:
    messages = inquiry.messages.filter(direction=InquiryMessage.Direction.IN)
    parts = []
    for message in messages:
        text = message.text.strip()
        if not text and message.attachments:
            text = "(attachments only: " + ", ".join(message.attachments) + ")"
        parts.append(text)
    return "\n\n".join(p for p in parts if p)


@transaction.atomic
def inquiry_process(*, inquiry_id: int, user=None) -> Inquiry:
    """Classify; for a matched member, ground and draft the reply, file it in the right queue
    with any proposals the request needs, and escalate when it is an error or unsure."""
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
    if inquiry.status not in (S.NEW,):
        return inquiry
    text = _text_of(inquiry)
    party = (
        ImisParty.objects.filter(imis_id=inquiry.member_id).first() if inquiry.member_id else None
    )
    found = classify(inquiry.subject, text, pii=member_pii(party))
    inquiry.category, inquiry.categories = found.category, found.categories
    inquiry.confidence, inquiry.classified_by = found.confidence, found.by
    inquiry.save()
    _audit(
        inquiry,
        "classified",
        f"{inquiry.get_category_display()} ({found.confidence})",
        categories=found.categories,
        by=found.by,
    )
    if not text.strip():
        inquiry.escalation = Inquiry.Escalation.UNGROUNDED
        inquiry.summary = "The message has no text and no attachments: nothing to answer."
        _move(inquiry, S.WAITING, why="empty message")
        return inquiry
    if party is None:
        return inquiry  # waits on the list "to match" for staff's pick
    account = member_account(party.imis_id)
    grounding = answers.ground(account, text=text, category=found.category)
    outcome = escalation.Outcome()
    error = found.category in (C.DISPUTE, C.CHARGE) and escalation.billing_error(
        account, grounding.invoice, outcome, any_invoice=found.category == C.DISPUTE
    )
    if found.category == C.CANCELLATION:
        escalation.refund_proposal(party.imis_id, outcome)
    elif found.category == C.PLAN:
        escalation.plan_proposal(grounding.invoice, outcome, proposed_by=user or inquiry.created_by)
    if error:
        inquiry.escalation = Inquiry.Escalation.ERROR
    elif found.confidence < Decimal(str(settings.INQUIRY_CONFIDENCE_FLOOR)):
        inquiry.escalation = Inquiry.Escalation.LOW_CONFIDENCE
    elif found.category in (C.CANCELLATION, C.PLAN, C.CONTACT):
        inquiry.escalation = Inquiry.Escalation.ACTION
    elif not grounding.grounded:
        inquiry.escalation = Inquiry.Escalation.UNGROUNDED
    else:
        inquiry.escalation = Inquiry.Escalation.NONE
    if grounding.invoice is not None:
        inquiry.invoice_id = grounding.invoice.invoice.imis_id
    inquiry.summary = _summary(inquiry, found, outcome, grounding)
    inquiry.save()
    _supersede(inquiry, user)
    item = _file_reply(inquiry, text, grounding, user)
    if found.category == C.CONTACT:
        _file_contact_task(inquiry, text, user)
    if inquiry.escalation in (Inquiry.Escalation.ERROR, Inquiry.Escalation.LOW_CONFIDENCE):
        escalation.party_note(inquiry, inquiry.summary)
    inquiry.review_item = item
    inquiry.save()
    _move(inquiry, S.WAITING if inquiry.escalation else S.DRAFTED)
    return inquiry


def _summary(inquiry, found, outcome, grounding) -> str:
    lines = [f"{inquiry.get_category_display()} (confidence {found.confidence}, {found.by})."]
    if len(found.categories) > 1:
        labels = dict(C.choices)
        lines.append("Also asks about: " + ", ".join(labels[c] for c in found.categories[1:]))
    if inquiry.escalation:
        lines.append(f"Escalated: {inquiry.get_escalation_display()}.")
    lines += [n for n in (outcome.notes or []) if n]
    if grounding.citations:
        lines.append("Grounded in: " + "; ".join(grounding.citations) + ".")
    return " ".join(lines)[:2000]


def _supersede(inquiry: Inquiry, user) -> None:
    old = inquiry.review_item
    if old is not None and old.status in (ReviewItem.Status.PENDING, ReviewItem.Status.EDITED):
        review_item_close(
            item_id=old.pk,
            to=ReviewItem.Status.STALE,
            reason="superseded: the inquiry changed",
            actor=user,
        )


def _file_reply(inquiry: Inquiry, text: str, grounding, user) -> ReviewItem | None:
    try:
        draft = answers.draft_reply(member_id=inquiry.member_id, text=text, grounding=grounding)
    except DomainError as exc:
        inquiry.summary = f"{inquiry.summary} No reply could be drafted: {exc}"[:2000]
        inquiry.escalation = inquiry.escalation or Inquiry.Escalation.UNGROUNDED
        return None
    finance = inquiry.category in FINANCE or inquiry.escalation == Inquiry.Escalation.ERROR
    low = inquiry.escalation == Inquiry.Escalation.LOW_CONFIDENCE
    kind = kinds.REPLY_FINANCE if finance and not low else kinds.REPLY
    return review_item_propose(
        kind=kind,
        title=f"Reply to {inquiry.member_name or inquiry.member_id}: {inquiry.subject}"[:200],
        payload={
            "inquiry": str(inquiry.pk),
            "category": inquiry.category,
            "summary": inquiry.summary,
            "citations": "; ".join(grounding.citations),
            "draft": draft,
        },
        member_id=inquiry.member_id,
        invoice_id=inquiry.invoice_id,
        object_ref=f"inquiry {inquiry.pk}",
        summary=inquiry.summary,
        evidence=[{"fact": c, "source": "dues.inquiries"} for c in grounding.citations],
        rationale="Drafted from the approved inquiry template with the member's own records.",
        confidence=inquiry.confidence,
        priority=1 if inquiry.escalation else 0,
        proposed_by=user or inquiry.created_by,
        proposed_by_job="" if (user or inquiry.created_by) else escalation.JOB,
        segment=inquiry.category,
    )


def _file_contact_task(inquiry: Inquiry, text: str, user) -> ReviewItem:
    return review_item_propose(
        kind=kinds.CONTACT_TASK,
        title=f"Contact change for {inquiry.member_name or inquiry.member_id}"[:200],
        payload={
            "inquiry": str(inquiry.pk),
            "new_contact": escalation.new_contact_from(text),
            "summary": "Key the new details into iMIS by hand (the desk has no Party write), "
            "then approve to mark it done.",
        },
        member_id=inquiry.member_id,
        object_ref=f"inquiry {inquiry.pk}",
        summary="The member asked to change their contact details; the text is theirs, "
        "check it before keying it in.",
        proposed_by=user or inquiry.created_by,
        proposed_by_job="" if (user or inquiry.created_by) else escalation.JOB,
        segment="contact_update",
    )


def inquiry_reply_effect(item) -> dict:
    """Approved reply: sent once (recipient from the mirror), kept on the inquiry, answered."""
    from reviews.communications import communication_send, recipient_for

    inquiry = Inquiry.objects.select_for_update().get(pk=int(item.payload["inquiry"]))
    draft = item.payload["draft"]
    comm = communication_send(
        key=f"inquiry-{item.pk}-{item.effect_key}",
        member_id=item.member_id,
        to_address=recipient_for(item.member_id, "email"),
        subject=draft.get("subject", ""),
        body=draft["body"],
        purpose=answers.PURPOSE,
        item=item,
        actor=item.decided_by,
        auto=item.decided_by_policy,
    )
    if inquiry.status in (S.ANSWERED, S.CLOSED):
        return {"communication": comm.pk, "inquiry": inquiry.pk, "status": inquiry.status}
    now = timezone.now()
    InquiryMessage.objects.create(
        inquiry=inquiry, direction=InquiryMessage.Direction.OUT, text=draft["body"], created_at=now
    )
    inquiry.answered_at = now
    inquiry.answered_without_edit = not item.edit_diff and item.last_edited_by_id is None
    if inquiry.status == S.NEW:  # answered while a newer message waits: the thread stays open
        inquiry.save()
        return {"communication": comm.pk, "inquiry": inquiry.pk, "status": inquiry.status}
    _move(inquiry, S.ANSWERED, actor=item.decided_by, why=f"reply sent (message {comm.pk})")
    return {"communication": comm.pk, "inquiry": inquiry.pk, "status": inquiry.status}


def portal_recorded(inquiry: Inquiry, *, answered: bool) -> None:
    """A member-page question: audited; answered at once from the records, or left new for
    staff (processed like any inquiry)."""
    _audit(inquiry, "asked", "question on the member page", category=inquiry.category)
    if answered:
        inquiry.answered_at, inquiry.answered_without_edit = timezone.now(), True
        inquiry.save()
        _move(inquiry, S.ANSWERED, why="answered on the member page from the records")


def inquiry_contact_done(item) -> dict:
    inquiry = Inquiry.objects.get(pk=int(item.payload["inquiry"]))
    _audit(
        inquiry,
        "contact_keyed",
        "contact change keyed into iMIS by hand",
        actor=item.decided_by,
        new_contact=item.payload.get("new_contact", ""),
    )
    return {"inquiry": inquiry.pk, "keyed_by_hand": True}


@transaction.atomic
def inquiry_close(*, inquiry_id: int, user, reason: str = "") -> Inquiry:
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
    _move(inquiry, S.CLOSED, actor=user, why=reason.strip()[:200] or "closed by staff")
    _supersede(inquiry, user)
    return inquiry


@transaction.atomic
def inquiry_reopen(*, inquiry_id: int, user) -> Inquiry:
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
    _move(inquiry, S.NEW, actor=user, why="reopened by staff")
    _process_after_commit(inquiry.pk)
    return inquiry
