"""What an inquiry needs besides words: a billing error found (a credit memo of billing's kind
for finance), a request that needs action (a refund from the calculator, a plan offer, a contact
change for staff), and the PartyNote that tells iMIS users an inquiry was escalated."""

import re
from dataclasses import dataclass

from django.utils import timezone

from common.errors import DomainError
from common.money import format_money
from dues.billing import memos
from dues.billing.calculate import calculate
from dues.inquiries.account import Account, OpenInvoice
from dues.models import CreditMemo, Finding, Inquiry
from imis_client.contracts import writes
from imis_client.services import outbox_enqueue

JOB = "dues.inquiries"
# Hooks other modules fill (payment plans): fn(*, invoice_id, reason, proposed_by) -> text saying
# what was proposed, or raises DomainError. Empty: the plan request waits for finance by hand.
PLAN_PROPOSERS: list = []


@dataclass
class Outcome:
    escalation: str = ""
    notes: list[str] | None = None

    def note(self, text: str) -> None:
        self.notes = [*(self.notes or []), text]


def _memo_in_progress(invoice_id: str) -> CreditMemo | None:
    return CreditMemo.objects.filter(
        invoice_id=invoice_id,
        status__in=[CreditMemo.Status.PROPOSED, CreditMemo.Status.APPROVED],
    ).first()


def billing_error(
    account: Account, invoice: OpenInvoice | None, outcome: Outcome, *, any_invoice: bool = False
) -> bool:
    """A genuine error on the invoice asked about (else, for a dispute that names none, on any
    of the member's open invoices): a finding of the checks kept from their last run, or what
    the checks find now (a duplicate, a wrong price...). Its credit memo is proposed (or the one
    in progress named). True when one was found."""
    candidates = [invoice] if invoice is not None else []
    if any_invoice:
        candidates += [i for i in account.invoices if i is not invoice]
    for open_invoice in candidates:
        inv = open_invoice.invoice
        finding = (
            Finding.objects.filter(invoice_id=inv.imis_id, status__in=Finding.ACTIVE)
            .order_by("-id")
            .first()
        )
        if finding is None and not open_invoice.error:
            continue
        existing = _memo_in_progress(inv.imis_id)
        if existing is not None:
            outcome.note(
                f"{existing.label} {existing.reference} is already proposed on invoice "
                f"{inv.number}."
            )
            return True
        check = open_invoice.check
        kind = finding.kind if finding is not None else check.kind
        try:
            memo = memos.credit_memo_propose(
                invoice_id=inv.imis_id,
                amount=finding.difference if finding is not None else check.difference,
                reason=memos.REASONS.get(kind, memos.REASONS["other_difference"]),
                breakdown=(finding.breakdown if finding is not None else check.breakdown).get(
                    "expected", []
                ),
                origin=CreditMemo.Origin.CHECK,
                finding=finding if finding is not None and finding.status == "open" else None,
                job=JOB,
                segment=kind,
            )
        except DomainError as exc:
            outcome.note(f"A credit memo could not be proposed on invoice {inv.number}: {exc}")
            return True
        outcome.note(
            f"{memo.label} {memo.reference} of {format_money(memo.amount)} proposed on invoice "
            f"{memo.invoice_number} ({kind.replace('_', ' ')}) for finance to decide."
        )
        return True
    return False


def refund_proposal(member_id: str, outcome: Outcome) -> None:
    """A cancellation: the calculator's refund (or write-off) proposed as billing's memo."""
    try:
        result = calculate(member_id=member_id, change="cancellation", on=timezone.localdate())
        if result.amount == 0:
            outcome.note("The calculator finds nothing to refund or write off on cancelling today.")
            return
        memo = memos.credit_memo_propose(
            invoice_id=result.invoice.imis_id,
            amount=result.amount,
            reason=result.reason,
            breakdown=result.steps,
            parts=result.parts,
            origin=CreditMemo.Origin.CALCULATOR,
            job=JOB,
            segment="calculator",
        )
    except DomainError as exc:
        outcome.note(f"No refund could be calculated: {exc}")
        return
    outcome.note(
        f"Cancellation: {memo.label} {memo.reference} of {format_money(memo.amount)} proposed "
        f"on invoice {memo.invoice_number} (the calculator's figures)."
    )


def plan_proposal(invoice: OpenInvoice | None, outcome: Outcome, *, proposed_by=None) -> None:
    if invoice is None:
        outcome.note("Payment plan asked for, but the member has no open invoice.")
        return
    if not PLAN_PROPOSERS:
        outcome.note(
            f"Payment plan asked for on invoice {invoice.invoice.number}: offer one by hand "
            "(no plan service is installed)."
        )
        return
    for propose in PLAN_PROPOSERS:
        try:
            outcome.note(
                propose(
                    invoice_id=invoice.invoice.imis_id,
                    reason="the member asked to pay in instalments",
                    proposed_by=proposed_by,
                )
            )
        except DomainError as exc:
            outcome.note(f"No plan offer could be proposed: {exc}")


_CONTACT_LINE = re.compile(
    r"(?i)(\d+\s+\w+.*\b(street|st|avenue|ave|road|rd|drive|dr|lane|ln|way|blvd|court|ct|place|"
    r"pl|suite|apt)\b|@|\bphone\b|\btel\b|\bzip\b|\bpost ?code\b|\bnew address\b|\bname\b)"
)


def new_contact_from(text: str) -> str:
    """The lines of the member's own words that carry the new details (all of them if none do);
    kept as untrusted text for staff to key in by hand."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    picked = [line for line in lines if _CONTACT_LINE.search(line)]
    return "\n".join(picked or lines)[:1000]


def party_note(inquiry: Inquiry, text: str):
    """A PartyNote on the member in iMIS (through the outbox) saying what the desk did."""
    return outbox_enqueue(
        build=writes.party_note,
        source=f"inquiry {inquiry.pk}",
        party_id=inquiry.member_id,
        text=f"Dues desk inquiry #{inquiry.pk} ({inquiry.get_category_display()}): {text}"[:1900],
    )
