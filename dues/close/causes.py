"""Why a month's figures differ: each payment's and each deposit's differences, with their cause.

Pure functions over plain rows (read by ``reconcile``), so the rules are tested on their own and
a month of 120,000 payments is classified without a query per row.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from common.money import ZERO, format_money
from dues.models import BankDeposit, Difference, Payment

C = Difference.Cause
S = Payment.Status
# Sources whose money reaches the bank in a payout recorded here; the bank files' own payments
# are the bank's record of the deposit itself.
PAYOUT_SOURCES = (Payment.Source.STRIPE,)
BANK_SOURCES = (Payment.Source.BAI2, Payment.Source.CSV)
TIED_SOURCES = (*PAYOUT_SOURCES, *BANK_SOURCES)
# Causes that need an adjusting entry, and the account the cash is held against.
ENTRY_CAUSES = (C.HOLD, C.UNMATCHED, C.NOT_OURS, C.FEE)


@dataclass(frozen=True)
class PaymentRow:
    id: int
    source: str
    amount: Decimal
    refunded: Decimal
    status: str
    received_on: date
    deposit_id: int | None
    deposit_on: date | None
    seen: bool  # posted, and the iMIS mirror has read it since
    reference: str = ""

    @property
    def available(self) -> Decimal:
        return self.amount - self.refunded

    @property
    def carried(self) -> Decimal:
        """What its deposit carried of it: a payout nets refunds, a bank deposit does not."""
        return self.available if self.source in PAYOUT_SOURCES else self.amount


@dataclass(frozen=True)
class Found:
    """One difference: its cause, signed amount, and what it is about."""

    cause: str
    amount: Decimal
    source: str
    explanation: str
    payment_id: int | None = None
    deposit_id: int | None = None
    reference: str = ""


def payment_differences(row: PaymentRow, month_end: date) -> list[Found]:
    """Where a payment received this month stands against the ledger and iMIS, and whether it
    reached the bank this month."""
    found = []
    ref = row.reference or f"payment #{row.id}"
    available = row.available
    if available:
        if row.status == S.HELD:
            found.append(
                Found(
                    C.HOLD,
                    available,
                    row.source,
                    f"{ref}: applied, in the hold window, not yet posted to iMIS",
                    row.id,
                    reference=ref,
                )
            )
        elif row.status in (S.RECEIVED, S.UNMATCHED, S.PROPOSED):
            found.append(
                Found(
                    C.UNMATCHED,
                    available,
                    row.source,
                    f"{ref}: not yet applied to an invoice",
                    row.id,
                    reference=ref,
                )
            )
        elif row.status == S.NOT_OURS:
            found.append(
                Found(
                    C.NOT_OURS,
                    available,
                    row.source,
                    f"{ref}: not ours, to be refunded",
                    row.id,
                    reference=ref,
                )
            )
        elif row.status == S.POSTED and not row.seen:
            found.append(
                Found(
                    C.NOT_SEEN,
                    available,
                    row.source,
                    f"{ref}: posted to iMIS, not yet read back by the sync",
                    row.id,
                    reference=ref,
                )
            )
    deposited_later = row.deposit_on is None or row.deposit_on > month_end
    if row.source in PAYOUT_SOURCES and row.carried and deposited_later:
        when = f"paid out {row.deposit_on:%Y-%m-%d}" if row.deposit_on else "not paid out yet"
        found.append(
            Found(
                C.TIMING,
                row.carried,
                row.source,
                f"{ref}: received {row.received_on:%Y-%m-%d}, {when}",
                row.id,
                row.deposit_id,
                ref,
            )
        )
    return found


def deposit_differences(
    deposit: BankDeposit, carried_now: Decimal, carried_earlier: Decimal, source: str
) -> list[Found]:
    """A deposit of this month: its fee, the payments of last month it carried (timing), and
    whatever of it does not add up (unexplained)."""
    found = []
    ref = deposit.reference
    if deposit.fee:
        found.append(
            Found(
                C.FEE,
                deposit.fee,
                source,
                f"{deposit.get_kind_display()} {ref}: processor fee, {format_money(deposit.fee)}",
                None,
                deposit.pk,
                ref,
            )
        )
    if carried_earlier:
        found.append(
            Found(
                C.TIMING,
                -carried_earlier,
                source,
                f"{deposit.get_kind_display()} "
                f"{ref}: carries {format_money(carried_earlier)} received last month",
                None,
                deposit.pk,
                ref,
            )
        )
    gross = deposit.amount + deposit.fee
    gap = gross - carried_now
    if deposit.status == BankDeposit.Status.AWAITING_DETAIL:
        found.append(
            Found(
                C.UNEXPLAINED,
                deposit.amount,
                source,
                f"Lockbox deposit {ref}: no items yet; import the lockbox detail",
                None,
                deposit.pk,
                ref,
            )
        )
    elif gap:
        found.append(
            Found(
                C.UNEXPLAINED,
                gap,
                source,
                f"{deposit.get_kind_display()} {ref}: "
                f"{format_money(gross)} against {format_money(carried_now)} of "
                "payments",
                None,
                deposit.pk,
                ref,
            )
        )
    for problem in deposit.problems or []:
        line = f"line {problem['line']}: " if problem.get("line") else ""
        found.append(
            Found(
                C.UNEXPLAINED,
                Decimal(problem.get("difference") or "0"),
                source,
                f"{deposit.get_kind_display()} {ref}: {line}{problem['problem']}"[:500],
                None,
                deposit.pk,
                ref,
            )
        )
    return found


def totals_by_cause(found: list[Found]) -> dict[str, Decimal]:
    out = {cause: ZERO for cause in C.values}
    for f in found:
        out[f.cause] += f.amount
    return out
