"""A synthetic month of money for the month-end close: payments per source with what became of
them, Stripe payouts with their fees, and bank deposits, with the truth of every difference.

Realistic differences, each with a known cause: card payments of the month's last days paid out
next month (and last month's paid out in this one), processor fees withheld from each payout,
payments still in the hold, unmatched, not ours, posted but not yet read back from iMIS, and
refunds. Same inputs, same month. Nothing here imports Django.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
SOURCES = (("stripe", 0.55), ("bai2", 0.25), ("csv", 0.12), ("check", 0.05), ("authorizenet", 0.03))
# What became of a payment by the time the month is reconciled.
STATUSES = (
    ("posted_seen", 0.86),
    ("posted_unseen", 0.03),
    ("held", 0.05),
    ("unmatched", 0.04),
    ("not_ours", 0.01),
    ("refunded", 0.01),
)
PRICES = (
    Decimal("95.00"),
    Decimal("120.00"),
    Decimal("185.00"),
    Decimal("240.00"),
    Decimal("325.00"),
)
BANK_ACCOUNTS = ("000123456789", "000123456790")


@dataclass
class MonthPayment:
    key: str
    source: str
    amount: Decimal
    received_on: date
    member_id: str
    status: str  # one of STATUSES' names
    refunded: Decimal = Decimal("0.00")
    account: str = ""  # the bank account (BAI2)
    deposit: str = ""  # the key of the deposit that carried it


@dataclass
class MonthDeposit:
    key: str
    kind: str  # stripe_payout | bai2_account | csv_batch
    received_on: date
    amount: Decimal  # what reached the bank
    fee: Decimal = Decimal("0.00")
    account: str = ""
    payments: list[str] = field(default_factory=list)


@dataclass
class Month:
    first: date
    payments: list[MonthPayment]
    deposits: list[MonthDeposit]
    truth: dict  # cause -> [count, amount], for the month's own payments and deposits


def _pick(rng: random.Random, table) -> str:
    x, acc = rng.random(), 0.0
    for name, share in table:
        acc += share
        if x < acc:
            return name
    return table[-1][0]


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _fee(gross: Decimal, count: int) -> Decimal:
    """Stripe's standard card pricing: 2.9% + 0.30 a charge."""
    return ((gross * Decimal("0.029")) + Decimal("0.30") * count).quantize(CENT, ROUND_HALF_UP)


def generate_month(
    first: date, *, payments: int, members: int, seed: int = 1, payout_delay_days: int = 2
) -> Month:
    """``payments`` payments received in the month of ``first`` (and the last days of the month
    before, for the timing of payouts), by ``members`` members."""
    rng = random.Random(f"close-month|{first}|{payments}|{members}|{seed}")
    end = _next_month(first) - timedelta(days=1)
    days = (end - first).days + 1
    out: list[MonthPayment] = []
    # the month's own, then a few card payments of the month before that this month pays out
    before = [first - timedelta(days=d) for d in range(1, payout_delay_days + 1)]
    for n in range(payments + payments // 200):
        own = n < payments
        source = _pick(rng, SOURCES) if own else "stripe"
        day = first + timedelta(days=rng.randrange(days)) if own else rng.choice(before)
        status = _pick(rng, STATUSES) if own else "posted_seen"
        amount = rng.choice(PRICES)
        if rng.random() < 0.1:
            amount = (amount * Decimal(rng.choice(["0.5", "2", "1.5"]))).quantize(CENT)
        p = MonthPayment(
            key=f"close-{first:%Y%m}-{n}",
            source=source,
            amount=amount,
            received_on=day,
            member_id=str(10000 + rng.randrange(members)),
            status=status,
            account=rng.choice(BANK_ACCOUNTS) if source == "bai2" else "",
        )
        if status == "refunded":
            p.refunded = amount
        out.append(p)
    deposits: list[MonthDeposit] = []
    # Stripe pays out each day's charges payout_delay_days later, less its fees and refunds.
    by_day: dict[date, list[MonthPayment]] = defaultdict(list)
    for p in out:
        if p.source == "stripe":
            by_day[p.received_on].append(p)
    for day, carried in sorted(by_day.items()):
        arrival = day + timedelta(days=payout_delay_days)
        gross = sum((p.amount - p.refunded for p in carried), Decimal("0.00"))
        fee = _fee(sum((p.amount for p in carried), Decimal("0.00")), len(carried))
        d = MonthDeposit(f"po_{day:%Y%m%d}", "stripe_payout", arrival, gross - fee, fee)
        for p in carried:
            p.deposit, d.payments = d.key, [*d.payments, p.key]
        deposits.append(d)
    # The bank's own files: one deposit per account (BAI2) or batch (CSV) and day.
    groups: dict[tuple, list[MonthPayment]] = defaultdict(list)
    for p in out:
        if p.source in ("bai2", "csv"):
            groups[(p.source, p.account, p.received_on)].append(p)
    for (source, account, day), carried in sorted(groups.items()):
        kind = "bai2_account" if source == "bai2" else "csv_batch"
        total = sum((p.amount for p in carried), Decimal("0.00"))
        d = MonthDeposit(f"{kind}:{account}:{day:%Y%m%d}", kind, day, total, account=account)
        for p in carried:
            p.deposit, d.payments = d.key, [*d.payments, p.key]
        deposits.append(d)
    return Month(first, out, deposits, _truth(first, end, out, deposits))


def _truth(first: date, end: date, payments, deposits) -> dict:
    truth: dict[str, list] = defaultdict(lambda: [0, Decimal("0.00")])
    arrival = {d.key: d.received_on for d in deposits}

    def add(cause: str, amount: Decimal) -> None:
        truth[cause][0] += 1
        truth[cause][1] += amount

    cause_of = {
        "posted_unseen": "not_seen",
        "held": "hold",
        "unmatched": "unmatched",
        "not_ours": "not_ours",
    }
    for p in payments:
        if not first <= p.received_on <= end:
            continue
        if p.status in cause_of:
            add(cause_of[p.status], p.amount - p.refunded)
        if p.source == "stripe" and p.amount - p.refunded and arrival[p.deposit] > end:
            add("timing", p.amount - p.refunded)
    for d in deposits:
        if not first <= d.received_on <= end:
            continue
        if d.fee:
            add("fee", d.fee)
    return {cause: [n, str(amount)] for cause, (n, amount) in sorted(truth.items())}
