"""The Proration & refund calculator: a member, a change and a date → the adjustment to their
dues invoice, with its breakdown. Reads the mirror; computes with the calculator only."""

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from common.errors import DomainError
from common.money import ZERO, format_money
from dues.billing import calculator as calc
from dues.billing.checks import term_years
from dues.billing.memos import REASONS
from dues.billing.policy import current_policy
from dues.billing.prices import price_book
from imis_client.models import ImisInvoice, ImisParty, ImisSubscription

CHANGES = {
    "tier_change": "Tier change",
    "cancellation": "Cancellation",
    "multi_year": "Multi-year term",
    "joiner": "Calendar-model joiner",
}


@dataclass
class Calculation:
    member: ImisParty
    invoice: ImisInvoice
    change: str
    term: calc.Term
    billed: Decimal
    amount: Decimal  # the adjustment to the invoice: negative a credit memo, positive a debit
    steps: list[dict]
    reason: str
    parts: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.amount < 0:
            return f"Credit memo of {format_money(-self.amount)}"
        if self.amount > 0:
            return f"Debit adjustment of {format_money(self.amount)}"
        return "No adjustment"


def _dues_line(member: ImisParty, checker_types) -> ImisSubscription:
    rows = ImisSubscription.objects.filter(
        party_id=member.imis_id, deleted_at__isnull=True, bill_begin__isnull=False
    ).exclude(invoice_id="")
    dues = [r for r in rows if r.bill_through and checker_types(r.item_code)]
    if not dues:
        raise DomainError(
            f"Member {member.imis_id} has no dues line with an invoice in the mirror; sync iMIS, "
            "or check the member."
        )
    return max(dues, key=lambda r: (r.status.lower().startswith("a"), r.bill_begin))


def calculate(
    *,
    member_id: str,
    change: str,
    on: date,
    new_type: str = "",
    years: int = 1,
    paid: Decimal | None = None,
) -> Calculation:
    """What ``change`` on ``on`` means for the member's current dues invoice."""
    if change not in CHANGES:
        raise DomainError(f"Choose the change: {', '.join(CHANGES.values()).lower()}.")
    member = ImisParty.objects.filter(imis_id=str(member_id).strip()).first()
    if member is None:
        raise DomainError(f"No member {member_id} in the iMIS mirror; check the iMIS id.")
    policy, prices = current_policy(), price_book()
    known = calc.member_types(policy, prices)

    def type_of(code: str) -> str | None:
        return prices.member_type_of(policy, code)

    line = _dues_line(member, type_of)
    invoice = ImisInvoice.objects.filter(imis_id=line.invoice_id).first()
    if invoice is None:
        raise DomainError(f"Invoice {line.invoice_id} is not in the mirror; sync iMIS first.")
    billed = (invoice.amount or ZERO) + (invoice.adjustment_amount or ZERO)
    current = type_of(line.item_code) or member.customer_type
    term = calc.term_for(policy, line.bill_begin, term_years(line.bill_begin, line.bill_through))
    join = member.join_date
    if change == "tier_change":
        new_type = (new_type or "").strip().upper()
        if new_type not in known:
            raise DomainError(
                f"Unknown member type “{new_type or '(none)'}”; choose one of {', '.join(known)}."
            )
        if new_type == current:
            raise DomainError(f"The member is already {new_type}; choose another type.")
        adjustment = calc.tier_change(
            policy,
            old=prices.in_force(prices.dues_item(policy, current), term.begin),
            new=prices.in_force(prices.dues_item(policy, new_type), term.begin),
            term=term,
            change_date=on,
            join_date=join,
            old_type=current,
            new_type=new_type,
        )
        return Calculation(
            member,
            invoice,
            change,
            term,
            billed,
            adjustment.amount,
            adjustment.breakdown(),
            REASONS["tier_change"],
        )
    if change == "cancellation":
        paid = (invoice.payment_amount or ZERO) if paid is None else paid
        adjustment = calc.cancellation(
            policy, billed=billed, paid=paid, term=term, cancel_date=on, join_date=join
        )
        parts = {k: adjustment.parts[k] for k in ("refund", "write_off")}
        return Calculation(
            member,
            invoice,
            change,
            term,
            billed,
            adjustment.amount,
            adjustment.breakdown(),
            REASONS["cancellation"],
            parts,
        )
    if change == "multi_year":
        if years < 2:
            raise DomainError("A multi-year term is two or more years; choose how many.")
        term = calc.term_for(policy, line.bill_begin, years)
        reason = REASONS["multi_year"]
    else:
        # The calendar model's charge for a joiner, whatever term model the policy has now.
        policy = (
            policy if policy.term_model == "calendar" else replace(policy, term_model="calendar")
        )
        term = calc.calendar_term(policy, on)
        reason = REASONS["joiner"]
    expected = calc.expected_invoice(
        policy,
        prices,
        member_type=member.customer_type or current,
        term=term,
        organisation=member.is_organization,
        chapter=member.chapter,
        join_date=on if change == "joiner" else join,
    )
    steps = [
        *expected.breakdown(),
        {"rule": "billed", "text": f"Invoice {invoice.number} bills {format_money(billed)}."},
    ]
    return Calculation(
        member, invoice, change, term, billed, expected.amount - billed, steps, reason
    )
