"""GL export of a closed period: the month's GL entries as a generic CSV or as QuickBooks
Online's journal-entry import.

Generic: ``date, journal, account_code, debit, credit, memo, reference`` (ISO dates, one row a
line, the account as the association's GL code). QuickBooks Online: ``JournalNo, JournalDate,
AccountName, Debits, Credits, Description, Name`` (MM/DD/YYYY; rows sharing a JournalNo form one
entry; the account by its name in QuickBooks, since its import expects names with account
numbers turned off). An account without a GL code (or, for QuickBooks, without a GL name) is
named instead of writing a file that would not import.

The month carries every journal of the close: the GL entries (reconciliation's adjusting
entries) and the revenue journal (deferrals, adjustments and recognition of dues revenue), the
latter summed per kind and account into one balanced entry a kind (``REV-YYYYMM-RECOGNISE``,
dated the month's last day), since a GL takes a sub-ledger's totals rather than an entry per
invoice. A month whose recognition still waits for approval is not exported: its GL would not tie.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Sum

from common.errors import DomainError
from dues.close.periods import month_end, period_name
from dues.ledger import accounts
from dues.models import (
    AccountingPeriod,
    GlEntryLine,
    GlMapping,
    RecognitionRun,
    RevenueEntry,
    RevenueLine,
)

GENERIC = "generic"
QBO = "qbo"
FORMATS = {GENERIC: "Generic CSV", QBO: "QuickBooks Online journal entries"}
GENERIC_HEADER = ["date", "journal", "account_code", "debit", "credit", "memo", "reference"]
QBO_HEADER = ["JournalNo", "JournalDate", "AccountName", "Debits", "Credits", "Description", "Name"]


@dataclass(frozen=True)
class Export:
    filename: str
    header: list[str]
    rows: list[list]


@dataclass(frozen=True)
class _Line:
    """One line of the export, from the GL journal or the revenue journal's month totals."""

    day: date
    journal: str
    account: str
    amount: Decimal  # debit +, credit -
    memo: str
    reference: str


def _memo(line) -> str:
    """The entry's memo, with the line's own in brackets when it has one."""
    memo = line.entry.memo
    if line.memo:
        memo = f"{memo} ({line.memo})" if memo else line.memo
    return memo[:300]


def _gl_lines(month: date) -> list[_Line]:
    lines = (
        GlEntryLine.objects.filter(entry__entry_date__range=(month, month_end(month)))
        .select_related("entry")
        .order_by("entry__entry_date", "entry_id", "id")
    )
    return [
        _Line(
            li.entry.entry_date,
            li.entry.journal,
            li.account,
            li.amount,
            _memo(li),
            li.entry.reference,
        )
        for li in lines
    ]


REVENUE_KINDS = {
    RevenueEntry.Kind.DEFER: "deferred",
    RevenueEntry.Kind.ADJUST: "adjusted (credit memos, refunds, cancellations, tier changes)",
    RevenueEntry.Kind.RECOGNISE: "recognised",
}


def revenue_lines(month: date) -> list[_Line]:
    """The revenue journal of the month as one entry a kind, each account's lines summed (an
    account whose lines cancel out is left out); each entry balances as its entries do."""
    counts = dict(
        RevenueEntry.objects.filter(period=month)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    totals = (
        RevenueLine.objects.filter(entry__period=month)
        .values("entry__kind", "account")
        .annotate(total=Sum("amount"))
        .order_by("entry__kind", "account")
    )
    by_kind: dict[str, list[tuple[str, Decimal]]] = {}
    for row in totals:
        if row["total"]:
            by_kind.setdefault(row["entry__kind"], []).append((row["account"], row["total"]))
    key, day = f"{month:%Y%m}", month_end(month)
    lines = []
    for kind, what in REVENUE_KINDS.items():
        n = counts.get(kind, 0)
        memo = (
            f"{period_name(month)}: dues revenue {what}, "
            f"{n} entr{'y' if n == 1 else 'ies'} of the revenue journal"
        )
        for account, amount in sorted(by_kind.get(kind, []), key=lambda r: (r[1] < 0, r[0])):
            lines.append(_Line(day, "REV", account, amount, memo, f"REV-{key}-{kind.upper()}"))
    return lines


def _require_recognition_posted(month: date) -> None:
    run = RecognitionRun.objects.filter(period=month).first()
    if run is not None and run.status != RecognitionRun.Status.POSTED:
        raise DomainError(
            f"The revenue recognition of {period_name(month)} still waits for approval in the "
            "finance queue; decide its entries first, or the export would not tie to the GL.",
            code="recognition_pending",
        )


def gl_export(*, month: date, fmt: str) -> Export:
    """The month's export, or a DomainError saying what to do first (close the month, map the
    accounts it names)."""
    if fmt not in FORMATS:
        raise DomainError(f"Unknown export format {fmt!r}; choose {' or '.join(FORMATS)}.")
    period = AccountingPeriod.objects.filter(month=month).first()
    if period is None or period.status != AccountingPeriod.Status.CLOSED:
        raise DomainError(f"Close {period_name(month)} before exporting it: an open month changes.")
    _require_recognition_posted(month)
    lines = _gl_lines(month) + revenue_lines(month)
    mapped = {
        m.account: m for m in GlMapping.objects.filter(account__in={li.account for li in lines})
    }
    missing = sorted(
        {
            li.account
            for li in lines
            if li.account not in mapped or (fmt == QBO and not mapped[li.account].gl_name)
        }
    )
    if missing:
        what = "a GL code" if fmt == GENERIC else "a GL code and the QuickBooks account name"
        names = "; ".join(f"{accounts.account_label(a)} ({a})" for a in missing)
        raise DomainError(
            f"The export of {period_name(month)} needs {what} for: {names}. Map "
            f"{'it' if len(missing) == 1 else 'them'} on the chart-of-accounts page; no file was "
            "written.",
            code="unmapped",
        )
    key = f"{month:%Y-%m}"
    if fmt == GENERIC:
        rows = [
            [
                li.day.isoformat(),
                li.journal,
                mapped[li.account].gl_code,
                str(li.amount) if li.amount > 0 else "",
                str(-li.amount) if li.amount < 0 else "",
                li.memo,
                li.reference,
            ]
            for li in lines
        ]
        return Export(f"gl-{key}.csv", GENERIC_HEADER, rows)
    rows = [
        [
            li.reference,
            li.day.strftime("%m/%d/%Y"),
            mapped[li.account].gl_name,
            str(li.amount) if li.amount > 0 else "",
            str(-li.amount) if li.amount < 0 else "",
            li.memo,
            "",
        ]
        for li in lines
    ]
    return Export(f"gl-{key}-quickbooks.csv", QBO_HEADER, rows)
