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
from dues.models import CreditMemo, Finding
from imis_client.models import ImisInvoice, ImisParty
from reviews.kinds import register_kind
from reviews.models import ReviewItem
from reviews.services import review_item_close, review_item_propose

M = CreditMemo.Status
R = ReviewItem.Status
KIND = "dues.credit_memo"
PURPOSE = "billing_adjustment"

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


def memo_transition(memo: CreditMemo, to: str) -> None:
    transition(memo, to, subject=f"Memo {memo.reference or memo.pk}")


def memo_audit(memo: CreditMemo, action: str, summary: str, *, actor=None, **data) -> None:
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
    memo_audit(memo, "proposed", f"proposed {format_money(amount)}", actor=user, origin=origin)
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
        memo_transition(memo, M.OBSERVED)
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
    memo_audit(
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
