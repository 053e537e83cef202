"""One member's own account, read for an answer or the member page: open invoices with each
line and the billing calculator's breakdown, payments, credits, plans and pending payments.

Every read is filtered by the one member id it is given; nothing here takes a second id.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q

from common.money import ZERO
from dues.billing import check_snapshot, checks
from dues.billing.policy import current_policy
from dues.billing.prices import price_book
from dues.models import CreditMemo
from dues.selectors.pending import pending_payments
from imis_client.models import ImisActivity, ImisInvoice, ImisParty, ImisSubscription

PAYMENT_TYPES = ("DUES", "PAYMENT")
# A charge for part of a term, in the calculator's words ("10 of 12 months", "prorated").
PART = re.compile(r"(?i)prorat|\b\d+ of \d+ (?:months|days)\b|part of the term")
# Other apps (payment plans) add the member's plans here: fn(member_id) -> [{"text", ...}].
PLAN_READERS: list = []


@dataclass
class Line:
    item: str
    name: str
    amount: Decimal | None
    begin: date | None
    through: date | None

    @property
    def text(self) -> str:
        span = ""
        if self.begin and self.through:
            span = f" for {self.begin:%B} {self.begin.day}, {self.begin.year} to "
            span += f"{self.through:%B} {self.through.day}, {self.through.year}"
        return f"{self.name or self.item}{span}"


@dataclass
class OpenInvoice:
    invoice: ImisInvoice
    lines: list[Line]
    steps: list[str]  # the calculator's breakdown, in words
    pending: list[str]
    check: checks.Outcome | None = None  # the invoice checks' outcome now (flagged or clean)

    @property
    def billed(self) -> Decimal:
        return (self.invoice.amount or ZERO) + (self.invoice.adjustment_amount or ZERO)

    @property
    def prorated(self) -> bool:
        return any(PART.search(s) for s in self.steps)

    @property
    def error(self) -> bool:
        """The checks find it mis-billed by an amount (a duplicate, a wrong price...)."""
        return bool(
            self.check is not None
            and self.check.outcome == "flagged"
            and self.check.expected is not None
            and self.check.difference
        )


@dataclass
class Account:
    party: ImisParty
    invoices: list[OpenInvoice] = field(default_factory=list)
    payments: list[ImisActivity] = field(default_factory=list)
    credits: list[CreditMemo] = field(default_factory=list)
    plans: list[dict] = field(default_factory=list)

    @property
    def total_due(self) -> Decimal:
        return sum(((i.invoice.balance or ZERO) for i in self.invoices), ZERO)

    def invoice(self, invoice_id: str) -> OpenInvoice | None:
        return next((i for i in self.invoices if i.invoice.imis_id == invoice_id), None)


def _checked(invoice_ids: list[str]) -> dict[str, checks.Outcome]:
    """The invoice checks' outcome for each invoice, with the calculator's breakdown of what
    the policy bills and why (the same reading as the billing pages)."""
    if not invoice_ids:
        return {}
    snapshot = check_snapshot.load(check_snapshot.invoices_query(invoice_ids=invoice_ids))
    if not snapshot.invoices:
        return {}
    checker = checks.Checker(current_policy(), price_book(), snapshot, explain=True)
    return {inv.id: checker.check(inv) for inv in snapshot.invoices}


def _words(outcome: checks.Outcome | None) -> list[str]:
    steps = ((outcome.breakdown or {}).get("expected") or []) if outcome else []
    return [s["text"] for s in steps if s.get("text")]


def member_account(member_id: str, *, with_breakdown: bool = True) -> Account | None:
    """The member's account, or None when the member is not in the mirror."""
    party = ImisParty.objects.filter(imis_id=member_id, deleted_at__isnull=True).first()
    if party is None:
        return None
    invoices = list(
        ImisInvoice.objects.filter(Q(sold_to_id=member_id) | Q(bill_to_id=member_id))
        .filter(is_open=True, deleted_at__isnull=True)
        .order_by("-invoice_date", "imis_id")[:20]
    )
    ids = [i.imis_id for i in invoices]
    lines: dict[str, list[Line]] = {}
    # By party (indexed), then by invoice: the mirror has no index on a line's invoice.
    parties = {i.sold_to_id for i in invoices if i.sold_to_id} | {member_id}
    subs = (
        ImisSubscription.objects.filter(party_id__in=parties, deleted_at__isnull=True)
        .filter(invoice_id__in=ids)
        .only("invoice_id", "item_code", "item_name", "billed_amount", "bill_begin", "bill_through")
        .order_by("-is_member_component", "item_code")
    )
    for sub in subs:
        lines.setdefault(sub.invoice_id, []).append(
            Line(sub.item_code, sub.item_name, sub.billed_amount, sub.bill_begin, sub.bill_through)
        )
    outcomes = _checked(ids) if with_breakdown else {}
    pending = pending_payments(ids)
    account = Account(party=party)
    for invoice in invoices:
        account.invoices.append(
            OpenInvoice(
                invoice,
                lines.get(invoice.imis_id, []),
                _words(outcomes.get(invoice.imis_id)),
                [e.get("text", "") for e in pending.get(invoice.imis_id, [])],
                outcomes.get(invoice.imis_id),
            )
        )
    account.payments = list(
        ImisActivity.objects.filter(
            party_id=member_id, activity_type__in=PAYMENT_TYPES, amount__isnull=False
        )
        .only("imis_id", "amount", "transaction_date", "description")
        .order_by("-transaction_date")[:10]
    )
    account.credits = list(
        CreditMemo.objects.filter(member_id=member_id)
        .exclude(status__in=[CreditMemo.Status.REJECTED, CreditMemo.Status.OBSERVED])
        .order_by("-created_at")[:10]
    )
    for reader in PLAN_READERS:
        account.plans += list(reader(member_id) or [])
    return account
