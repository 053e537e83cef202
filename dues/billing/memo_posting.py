"""Credit memos once decided: the approved effect (the adjustment into the outbox), its reversal,
the adjustment journal, and what iMIS answers (``credit_memos_sync``): posted exactly once, keyed
in by hand where the site cannot take it over REST, or refused. Proposing is ``memos``.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from common.errors import DomainError
from common.money import ZERO, format_money
from common.states import transition
from dues.billing.memos import PURPOSE, M, R, memo_audit, memo_transition
from dues.models import AdjustmentAccount, AdjustmentEntry, AdjustmentLine, CreditMemo, Finding
from imis_client.contracts import writes
from imis_client.models import ImisInvoice, OutboxWrite
from imis_client.services import outbox_enqueue
from reviews.services import review_item_close

CANNOT_TAKE = (404, 501)  # a site without adjustments over REST (CONTRACT.md)


def effect(item) -> dict:
    """Approved: the adjustment goes to the outbox (once: a second run finds it sent)."""
    memo = CreditMemo.objects.select_for_update().get(pk=int(item.payload["memo"]))
    if memo.status != M.PROPOSED:
        return {"memo": memo.pk, "status": memo.status, "outbox": memo.outbox_reference}
    memo_transition(memo, M.APPROVED)
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
    memo_audit(memo, "approved", f"sent to iMIS as {write.reference}", actor=who)
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
    memo_transition(memo, M.REVERSED)
    memo.reversal_reference = write.reference
    memo.save()
    memo_audit(memo, "reversed", f"reversal sent to iMIS as {write.reference}")
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
    memo_transition(memo, M.POSTED)
    memo.posted_at = timezone.now()
    _journal(memo, AdjustmentEntry.Kind.POST, posting_lines(memo), text=f"{memo.reference} {how}")
    memo.save()
    memo_audit(memo, "posted", how)
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
    memo_transition(memo, M.TO_KEY_IN)
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
    memo_audit(memo, "to_key_in", f"iMIS answered {status}; note {note.reference} for finance")


def _refused(memo: CreditMemo, write: OutboxWrite) -> None:
    memo_transition(memo, M.REFUSED)
    memo.imis_message = write.last_error[:500]
    memo.save()
    memo_audit(memo, "refused", f"iMIS refused it: {write.last_error[:200]}")


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
                memo_transition(memo, M.OBSERVED)
                memo.save()
                counts["observed"] += 1
                continue
            memo_transition(memo, M.REJECTED)
            memo.save()
            finding = memo.finding
            if finding and finding.status == Finding.Status.MEMO:
                # A person's rejection dismisses the finding; an expired or stale proposal
                # leaves it open, to be filed again.
                rejected = memo.review_item.status == R.REJECTED
                to = Finding.Status.DISMISSED if rejected else Finding.Status.OPEN
                transition(finding, to, subject=f"Finding #{finding.pk}")
                finding.save(update_fields=["status"])
            memo_audit(
                memo, "rejected", f"proposal #{memo.review_item_id} {memo.review_item.status}"
            )
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
