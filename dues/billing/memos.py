"""Credit memos and debit adjustments: proposed for a finding or from the calculator, decided in
the finance queue (reviews), posted to iMIS through the outbox and to the adjustment journal
exactly once, and explained to the member only after they have posted.

Status of a memo (CreditMemo.TRANSITIONS): proposed → approved (its effect ran: the adjustment
waits in the outbox) → posted (iMIS took it, or a sync saw it keyed in by hand); a site that
answers 404 or 501 to ``Invoice/_execute`` gets a PartyNote for finance and the memo waits as
"to key in by hand"; an iMIS 400 leaves it refused, with iMIS's message.
"""

from dataclasses import replace
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from common.audit import audit_record
from common.errors import DomainError
from common.money import ZERO, format_money, to_money
from common.states import transition
from dues.billing.policy import current_policy
from dues.models import AdjustmentAccount, AdjustmentEntry, AdjustmentLine, CreditMemo, Finding
from imis_client.contracts import writes
from imis_client.models import ImisInvoice, ImisParty, OutboxWrite
from imis_client.services import outbox_enqueue
from reviews.kinds import register_kind
from reviews.models import ReviewItem
from reviews.services import review_item_close, review_item_propose

M = CreditMemo.Status
R = ReviewItem.Status
KIND = "dues.credit_memo"
PURPOSE = "billing_adjustment"
CANNOT_TAKE = (404, 501)  # a site without adjustments over REST (CONTRACT.md)

# Why an invoice is corrected, in words for the member (no figures: those are facts).
REASONS = {
    "wrong_tier": "the invoice used another membership type's dues",
    "stale_price": "the invoice used a price that was not the one in force when your term began",
    "org_individual_rate": "an organisation was billed an individual membership rate",
    "duplicate": "the same membership term was billed twice",
    "chapter_line": "the chapter dues on the invoice were not right",
    "multi_year_discount": "the multi-year discount was not applied as the policy sets it",
    "tier_change_not_prorated": "your change of membership type was billed in full instead of "
    "for the rest of the term",
    "other_difference": "the amount differed from the dues policy",
    "tier_change": "your membership type changed during the term",
    "cancellation": "your membership was cancelled",
    "multi_year": "your membership term changed length",
    "joiner": "you joined part-way through the membership year",
}


def _transition(memo: CreditMemo, to: str) -> None:
    transition(memo, to, subject=f"Memo {memo.reference or memo.pk}")


def _audit(memo: CreditMemo, action: str, summary: str, *, actor=None, **data) -> None:
    audit_record(
        action=f"billing.memo_{action}",
        summary=f"{memo.label} {memo.reference} on invoice {memo.invoice_number}: {summary}",
        actor=actor,
        actor_name=None if actor else "system",
        object_type="credit_memo",
        object_id=memo.pk,
        member_id=memo.member_id,
        data={"invoice": memo.invoice_id, "amount": memo.amount, **data},
    )


def current_kind():
    """The memo kind with the manager threshold in force now (a setting a manager may change),
    registered again so that proposals made in this process use it."""
    from dues.billing.kinds import CREDIT_MEMO

    return register_kind(replace(CREDIT_MEMO, threshold=current_policy().memo_threshold))


# --- proposing ----------------------------------------------------------------------------


def _facts(memo: CreditMemo, invoice: ImisInvoice | None, steps: list[dict]) -> dict:
    """The breakdown as drafting facts, each with its source."""
    src = f"dues credit memo {memo.reference}"
    billed = (invoice.amount or ZERO) + (invoice.adjustment_amount or ZERO) if invoice else None
    facts = {
        "adjustment_reason": (memo.reason, f"{src} reason"),
        "expected_amount": ((billed or ZERO) + memo.amount, f"{src}: billed plus the memo"),
    }
    if billed is not None:
        facts["billed_amount"] = (billed, f"ImisInvoice[{invoice.imis_id}].amount")
        if invoice.balance is not None:
            facts["new_balance"] = (
                invoice.balance + memo.amount,
                f"ImisInvoice[{invoice.imis_id}].balance plus the memo",
            )
    side = "credit_amount" if memo.amount < 0 else "debit_amount"
    facts[side] = (abs(memo.amount), f"{src} amount")
    for step in steps:
        rule = step.get("rule")
        if rule == "term" and step.get("begin") and step.get("end"):
            facts["term_start"] = (_day(step["begin"]), f"{src} breakdown: term")
            facts["term_end"] = (_day(step["end"]), f"{src} breakdown: term")
        if rule == "price in force" and step.get("price"):
            facts["price_in_force"] = (Decimal(step["price"]), f"{src} breakdown: {step['item']}")
        if rule == "multi-year discount" and step.get("discount"):
            facts["discount_percent"] = (Decimal(step["discount"]), f"{src} breakdown: discount")
        if rule in ("proration", "joiner proration") and step.get("months"):
            facts["months_charged"] = (int(step["months"]), f"{src} breakdown: months")
        if rule in ("proration", "joiner proration") and step.get("days"):
            facts["days_charged"] = (int(step["days"]), f"{src} breakdown: days")
    return facts


def _day(text: str):
    from datetime import date

    return date.fromisoformat(text[:10])


def _draft(memo: CreditMemo, invoice, steps: list[dict]) -> dict | None:
    """The member's explanation, drafted from the breakdown under the guardrails; None when it
    cannot be drafted (the memo is still proposed, and says no explanation will go)."""
    from reviews.drafting import draft_message

    try:
        draft = draft_message(
            purpose=PURPOSE,
            member_id=memo.member_id,
            invoice_id=memo.invoice_id,
            extra_facts=_facts(memo, invoice, steps),
        )
    except DomainError:
        return None
    return draft.as_payload()


def _words(steps: list[dict]) -> str:
    return "\n".join(f"- {s['text']}" for s in steps if s.get("text"))


def payload_of(memo: CreditMemo, draft: dict | None) -> dict:
    payload = {
        "memo": str(memo.pk),
        "invoice": memo.invoice_id,
        "amount": str(memo.amount),
        "reason": memo.reason,
        "breakdown": _words(memo.breakdown),
    }
    if draft is not None:
        payload["draft"] = draft
    return payload


@transaction.atomic
def credit_memo_propose(
    *,
    invoice_id: str,
    amount: Decimal,
    reason: str,
    breakdown: list[dict],
    origin: str,
    parts: dict | None = None,
    finding: Finding | None = None,
    user=None,
    job: str = "",
    segment: str = "",
) -> CreditMemo:
    """File a credit memo (amount < 0) or debit adjustment (> 0) on one invoice for review."""
    amount = to_money(amount)
    if amount == 0:
        raise DomainError("The adjustment is 0.00: there is nothing to correct.", code="zero")
    invoice = ImisInvoice.objects.filter(imis_id=invoice_id, deleted_at__isnull=True).first()
    if invoice is None:
        raise DomainError(f"Invoice {invoice_id} is not in the iMIS mirror; sync iMIS first.")
    billed = (invoice.amount or ZERO) + (invoice.adjustment_amount or ZERO)
    if amount < 0 and -amount > billed:
        raise DomainError(
            f"A credit of {format_money(-amount)} is more than invoice {invoice.number} bills "
            f"({format_money(billed)}); lower it."
        )
    if CreditMemo.objects.filter(
        invoice_id=invoice_id, status__in=[M.PROPOSED, M.APPROVED, M.TO_KEY_IN]
    ).exists():
        raise DomainError(
            f"Invoice {invoice.number} already has a memo in progress; decide that one first.",
            code="duplicate",
        )
    party = ImisParty.objects.filter(imis_id=invoice.sold_to_id).first()
    memo = CreditMemo(
        origin=origin,
        finding=finding,
        invoice_id=invoice_id,
        invoice_number=invoice.number,
        member_id=invoice.sold_to_id,
        member_name=party.name if party else "",
        amount=amount,
        reason=reason.strip()[:300] or "a correction of the invoice",
        breakdown=breakdown,
        parts={k: str(v) for k, v in (parts or {}).items()},
        proposed_by=user,
        created_at=timezone.now(),
    )
    memo.full_clean(exclude=["reference"])
    memo.save()
    memo.reference = f"DD-CM-{memo.pk:06d}"
    memo.save(update_fields=["reference"])
    _file_item(memo, invoice, user=user, job=job, segment=segment, finding=finding)
    if finding is not None and finding.status == Finding.Status.OPEN:
        transition(finding, Finding.Status.MEMO, subject=f"Finding #{finding.pk}")
        finding.save(update_fields=["status"])
    _audit(memo, "proposed", f"proposed {format_money(amount)}", actor=user, origin=origin)
    return memo


def _file_item(memo, invoice, *, user, job, segment, finding) -> ReviewItem:
    current_kind()
    draft = _draft(memo, invoice, memo.breakdown)
    what = "Credit memo" if memo.amount < 0 else "Debit adjustment"
    item = review_item_propose(
        kind=KIND,
        title=f"{what} {format_money(abs(memo.amount))} on invoice {memo.invoice_number}"[:200],
        payload=payload_of(memo, draft),
        member_id=memo.member_id,
        invoice_id=memo.invoice_id,
        object_ref=f"credit memo {memo.pk}",
        summary=(finding.summary if finding else memo.reason)[:2000],
        evidence=[
            {"fact": s["text"], "source": s.get("price_source") or s.get("rule", "")}
            for s in memo.breakdown
            if s.get("text")
        ],
        rationale="Computed by the billing calculator from the policy and the iMIS prices."
        + ("" if draft else " The explanation could not be drafted; none will be sent."),
        confidence=finding.confidence if finding else Decimal("1.000"),
        amount=abs(memo.amount),
        proposed_by=user,
        proposed_by_job=job,
        segment=segment,
    )
    memo.review_item = item
    if item.status == R.OBSERVED:
        _transition(memo, M.OBSERVED)
    memo.save(update_fields=["review_item", "status"])
    return item


def credit_memos_file_for_findings(*, limit: int = 1000) -> dict:
    """A proposal for each open finding that has an amount to correct (a job after the checks);
    each in its own transaction, so one that cannot be filed leaves the rest filed."""
    filed, refused = 0, {}
    ids = list(
        Finding.objects.filter(status=Finding.Status.OPEN, expected__isnull=False)
        .exclude(difference=0)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    for finding_id in ids:
        try:
            with transaction.atomic():
                finding = Finding.objects.select_for_update(skip_locked=True).get(pk=finding_id)
                if finding.status != Finding.Status.OPEN:
                    continue
                credit_memo_propose(
                    invoice_id=finding.invoice_id,
                    amount=finding.difference,
                    reason=REASONS.get(finding.kind, REASONS["other_difference"]),
                    breakdown=finding.breakdown.get("expected", []),
                    origin=CreditMemo.Origin.CHECK,
                    finding=finding,
                    job="dues.billing_checks",
                    segment=finding.kind,
                )
                filed += 1
        except (DomainError, Finding.DoesNotExist) as exc:
            refused[finding_id] = str(exc)
    return {"filed": filed, "not_filed": len(refused)}


@transaction.atomic
def credit_memo_amend(*, memo_id: int, user, amount: Decimal, reason: str = "") -> CreditMemo:
    """Change a proposed memo's amount: the proposal is filed again by this person (so someone
    else approves it), with the explanation drafted again for the new figures."""
    memo = CreditMemo.objects.select_for_update().get(pk=memo_id)
    if memo.status != M.PROPOSED:
        raise DomainError(
            f"Memo {memo.reference} is {memo.get_status_display().lower()}; only a proposed "
            "memo's amount can be changed."
        )
    try:
        amount = to_money(amount)
    except (ValueError, TypeError):
        raise DomainError(f"“{amount}” is not an amount; write it like -25.00.") from None
    if amount == 0:
        raise DomainError("An amount of 0.00 corrects nothing; reject the memo instead.")
    if amount == memo.amount and not reason.strip():
        raise DomainError("Nothing was changed.", code="unchanged")
    invoice = ImisInvoice.objects.filter(imis_id=memo.invoice_id).first()
    billed = (invoice.amount or ZERO) + (invoice.adjustment_amount or ZERO) if invoice else ZERO
    if amount < 0 and -amount > billed:
        raise DomainError(
            f"A credit of {format_money(-amount)} is more than the invoice bills "
            f"({format_money(billed)}); lower it."
        )
    before = {"amount": memo.amount, "reason": memo.reason}
    old = memo.review_item
    if old is not None:
        review_item_close(
            item_id=old.pk, to=R.STALE, reason="superseded: the amount was edited", actor=user
        )
    memo.amount, memo.reason = amount, (reason.strip() or memo.reason)[:300]
    memo.breakdown = [
        *memo.breakdown,
        {
            "rule": "edited",
            "text": f"Amount set to {format_money(amount)} by {user.get_username()} "
            f"(computed: {format_money(before['amount'])}).",
            "amount": str(amount),
        },
    ]
    memo.review_item = None
    memo.save()
    _file_item(memo, invoice, user=user, job="", segment=_segment(memo), finding=memo.finding)
    _audit(
        memo,
        "amended",
        f"amount {format_money(before['amount'])} → {format_money(amount)}",
        actor=user,
        before=before,
        after={"amount": memo.amount, "reason": memo.reason},
    )
    return memo


def _segment(memo: CreditMemo) -> str:
    return memo.finding.kind if memo.finding else "calculator"


# --- the effect, its reversal, and what iMIS answers ---------------------------------------


def effect(item) -> dict:
    """Approved: the adjustment goes to the outbox (once: a second run finds it sent)."""
    memo = CreditMemo.objects.select_for_update().get(pk=int(item.payload["memo"]))
    if memo.status != M.PROPOSED:
        return {"memo": memo.pk, "status": memo.status, "outbox": memo.outbox_reference}
    _transition(memo, M.APPROVED)
    write = outbox_enqueue(
        build=writes.cash_adjustment,
        source=f"credit memo {memo.pk}",
        memo_reference=memo.reference,
        invoice_id=memo.invoice_id,
        amount=memo.amount,
        reason=item.payload.get("reason") or memo.reason,
    )
    invoice = ImisInvoice.objects.filter(imis_id=memo.invoice_id).first()
    memo.outbox_reference = write.reference
    memo.baseline_adjustment = (invoice.adjustment_amount or ZERO) if invoice else ZERO
    memo.save()
    who = item.decided_by if item.decided_by_id else None
    _audit(memo, "approved", f"sent to iMIS as {write.reference}", actor=who)
    return {"memo": memo.pk, "status": memo.status, "outbox": write.reference}


def recheck(item) -> str | None:
    memo = CreditMemo.objects.filter(pk=int(item.payload.get("memo") or 0)).first()
    if memo is None:
        return "the memo no longer exists"
    if memo.review_item_id != item.pk:
        return "the memo's amount was edited; a newer proposal replaces this one"
    if memo.status != M.PROPOSED:
        return f"memo {memo.reference} is {memo.get_status_display().lower()}"
    if memo.finding and memo.finding.status == Finding.Status.RESOLVED:
        return "a later check found the invoice right; nothing to correct"
    if not ImisInvoice.objects.filter(imis_id=memo.invoice_id, deleted_at__isnull=True).exists():
        return f"invoice {memo.invoice_number} is no longer in iMIS"
    return None


def reverse(item) -> dict:
    """Undo a posted memo: the opposite adjustment through the outbox, a reversing entry."""
    memo = CreditMemo.objects.select_for_update().get(pk=int(item.payload["memo"]))
    if memo.status != M.POSTED:
        raise DomainError(
            f"Memo {memo.reference} is {memo.get_status_display().lower()}; only a posted memo "
            "can be reversed."
        )
    write = outbox_enqueue(
        build=writes.cash_adjustment,
        source=f"credit memo {memo.pk} reversal",
        memo_reference=f"{memo.reference}-R",
        invoice_id=memo.invoice_id,
        amount=-memo.amount,
        reason=f"Reversal of {memo.reference}",
    )
    original = memo.journal.get(kind=AdjustmentEntry.Kind.POST)
    _journal(
        memo,
        AdjustmentEntry.Kind.REVERSE,
        [(li.account, -li.amount) for li in original.lines.all()],
        reverses=original,
        text=f"Reversal of {memo.reference}, sent to iMIS as {write.reference}",
    )
    _transition(memo, M.REVERSED)
    memo.reversal_reference = write.reference
    memo.save()
    _audit(memo, "reversed", f"reversal sent to iMIS as {write.reference}")
    return {"memo": memo.pk, "reversal": write.reference}


def _journal(memo, kind: str, lines, *, text: str, reverses=None) -> AdjustmentEntry:
    lines = [(account, amount) for account, amount in lines if amount]
    if len(lines) < 2 or sum(a for _, a in lines) != 0:
        raise ValueError(f"adjustment entry of memo {memo.pk} does not balance: {lines}")
    entry = AdjustmentEntry.objects.create(
        memo=memo,
        kind=kind,
        key=f"memo:{memo.pk}:{kind}",
        memo_text=text[:300],
        actor_name="system",
        reverses=reverses,
        created_at=timezone.now(),
    )
    AdjustmentLine.objects.bulk_create(
        [
            AdjustmentLine(
                entry=entry,
                account=account,
                amount=amount,
                invoice_id=memo.invoice_id,
                member_id=memo.member_id,
            )
            for account, amount in lines
        ]
    )
    return entry


def posting_lines(memo: CreditMemo) -> list[tuple[str, Decimal]]:
    """Balanced lines of a posting: a debit adjustment raises receivable and dues revenue; a
    credit lowers receivable against credit memos and allowances (a cancellation's unpaid rest
    against write-offs)."""
    A = AdjustmentAccount
    if memo.amount > 0:
        return [(A.RECEIVABLE, memo.amount), (A.DUES_REVENUE, -memo.amount)]
    credit = -memo.amount
    write_off = min(Decimal(memo.parts.get("write_off") or 0), credit)
    return [
        (A.WRITE_OFFS, write_off),
        (A.CREDIT_MEMOS, credit - write_off),
        (A.RECEIVABLE, -credit),
    ]


def _post(memo: CreditMemo, how: str) -> None:
    _transition(memo, M.POSTED)
    memo.posted_at = timezone.now()
    _journal(memo, AdjustmentEntry.Kind.POST, posting_lines(memo), text=f"{memo.reference} {how}")
    memo.save()
    _audit(memo, "posted", how)
    _explain(memo)


def _explain(memo: CreditMemo) -> None:
    """The member's explanation, now that the adjustment is in iMIS (once: keyed by the memo).
    A failure to send leaves the posting as it is and is shown on the memo."""
    from reviews.communications import communication_send, recipient_for

    item = memo.review_item
    draft = (item.payload.get("draft") if item else None) or None
    if not draft:
        return
    try:
        with transaction.atomic():
            communication_send(
                key=f"billing-memo-{memo.pk}",
                member_id=memo.member_id,
                to_address=recipient_for(memo.member_id, "email"),
                subject=draft.get("subject", ""),
                body=draft["body"],
                purpose=PURPOSE,
                item=item,
                actor=item.decided_by,
                auto=item.decided_by_policy,
            )
    except Exception as exc:  # kept on the memo; the adjustment itself stands
        memo.explanation_error = f"{type(exc).__name__}: {exc}"[:300]
        memo.save(update_fields=["explanation_error"])


def _key_in(memo: CreditMemo, status: int) -> None:
    """The site cannot take adjustments over REST: a note for finance to key it in."""
    _transition(memo, M.TO_KEY_IN)
    note = outbox_enqueue(
        build=writes.party_note,
        source=f"credit memo {memo.pk}",
        party_id=memo.member_id,
        text=f"Finance: key in by hand a {memo.label.lower()} of {format_money(memo.amount)} on "
        f"invoice {memo.invoice_number} (ProcessCashAdjustment, reference {memo.reference}): "
        f"{memo.reason}. iMIS answered {status} to the adjustment over REST.",
        purpose="Finance",
    )
    memo.note_reference = note.reference
    memo.imis_message = f"iMIS answered {status}: this site takes no adjustments over REST."
    memo.save()
    _audit(memo, "to_key_in", f"iMIS answered {status}; note {note.reference} for finance")


def _refused(memo: CreditMemo, write: OutboxWrite) -> None:
    _transition(memo, M.REFUSED)
    memo.imis_message = write.last_error[:500]
    memo.save()
    _audit(memo, "refused", f"iMIS refused it: {write.last_error[:200]}")


def credit_memos_sync() -> dict:
    """Move memos on from what reviews and iMIS say: a rejected, expired or stale proposal;
    an adjustment delivered, refused, or impossible over REST; one keyed in by hand that a sync
    now shows. Each memo in its own transaction; safe to run any number of times."""
    counts = {"rejected": 0, "observed": 0, "posted": 0, "to_key_in": 0, "refused": 0}
    # A later check found the invoice right (corrected in iMIS meanwhile): withdraw the proposal.
    moot = CreditMemo.objects.filter(
        status=M.PROPOSED,
        finding__status=Finding.Status.RESOLVED,
        review_item__status=R.PENDING,
    ).values_list("review_item_id", flat=True)
    for item_id in list(moot[:1000]):
        review_item_close(
            item_id=item_id, to=R.STALE, reason="a later check found the invoice right"
        )
    ended = CreditMemo.objects.filter(
        status=M.PROPOSED,
        review_item__status__in=[R.REJECTED, R.EXPIRED, R.STALE, R.OBSERVED],
    ).values_list("pk", flat=True)
    for memo_id in list(ended[:1000]):
        with transaction.atomic():
            memo = _lock(memo_id, M.PROPOSED)
            if memo is None or memo.review_item is None:
                continue
            if memo.review_item.status == R.OBSERVED:
                _transition(memo, M.OBSERVED)
                memo.save()
                counts["observed"] += 1
                continue
            _transition(memo, M.REJECTED)
            memo.save()
            finding = memo.finding
            if finding and finding.status == Finding.Status.MEMO:
                # A person's rejection dismisses the finding; an expired or stale proposal
                # leaves it open, to be filed again.
                rejected = memo.review_item.status == R.REJECTED
                to = Finding.Status.DISMISSED if rejected else Finding.Status.OPEN
                transition(finding, to, subject=f"Finding #{finding.pk}")
                finding.save(update_fields=["status"])
            _audit(memo, "rejected", f"proposal #{memo.review_item_id} {memo.review_item.status}")
            counts["rejected"] += 1
    sent = dict(
        OutboxWrite.objects.filter(
            reference__in=CreditMemo.objects.filter(status=M.APPROVED).values("outbox_reference")
        ).values_list("reference", "state")
    )
    for memo_id, reference in CreditMemo.objects.filter(status=M.APPROVED).values_list(
        "pk", "outbox_reference"
    ):
        if sent.get(reference) not in (OutboxWrite.State.DELIVERED, OutboxWrite.State.FAILED):
            continue
        with transaction.atomic():
            memo = _lock(memo_id, M.APPROVED)
            if memo is None:
                continue
            write = OutboxWrite.objects.get(reference=memo.outbox_reference)
            if write.state == OutboxWrite.State.DELIVERED:
                _post(memo, f"posted to iMIS ({write.reference})")
                counts["posted"] += 1
            elif (write.response or {}).get("status") in CANNOT_TAKE:
                _key_in(memo, write.response["status"])
                counts["to_key_in"] += 1
            else:
                _refused(memo, write)
                counts["refused"] += 1
    waiting = CreditMemo.objects.filter(status=M.TO_KEY_IN).values_list(
        "pk", "invoice_id", "amount", "baseline_adjustment"
    )
    adjustments = dict(
        ImisInvoice.objects.filter(
            imis_id__in=[invoice for _, invoice, _, _ in waiting]
        ).values_list("imis_id", "adjustment_amount")
    )
    for memo_id, invoice_id, amount, baseline in waiting:
        seen = (adjustments.get(invoice_id) or ZERO) - (baseline or ZERO)
        if seen != amount:
            continue
        with transaction.atomic():
            memo = _lock(memo_id, M.TO_KEY_IN)
            if memo is not None:
                _post(memo, "keyed in by hand; a sync shows the adjustment on the invoice")
                counts["posted"] += 1
    return counts


def _lock(memo_id: int, status: str) -> CreditMemo | None:
    return (
        CreditMemo.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("review_item", "finding")
        .filter(pk=memo_id, status=status)
        .first()
    )
