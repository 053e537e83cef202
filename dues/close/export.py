"""GL export of a closed period: the month's GL entries as a generic CSV or as QuickBooks
Online's journal-entry import.

Generic: ``date, journal, account_code, debit, credit, memo, reference`` (ISO dates, one row a
line, the account as the association's GL code). QuickBooks Online: ``JournalNo, JournalDate,
AccountName, Debits, Credits, Description, Name`` (MM/DD/YYYY; rows sharing a JournalNo form one
entry; the account by its name in QuickBooks, since its import expects names with account
numbers turned off). An account without a GL code (or, for QuickBooks, without a GL name) is
named instead of writing a file that would not import.
"""

from dataclasses import dataclass
from datetime import date

from common.errors import DomainError
from dues.close.periods import month_end, period_name
from dues.ledger import accounts
from dues.models import AccountingPeriod, GlEntryLine, GlMapping

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


def _memo(line) -> str:
    """The entry's memo, with the line's own in brackets when it has one."""
    memo = line.entry.memo
    if line.memo:
        memo = f"{memo} ({line.memo})" if memo else line.memo
    return memo[:300]


def _lines(month: date):
    return (
        GlEntryLine.objects.filter(entry__entry_date__range=(month, month_end(month)))
        .select_related("entry")
        .order_by("entry__entry_date", "entry_id", "id")
    )


def gl_export(*, month: date, fmt: str) -> Export:
    """The month's export, or a DomainError saying what to do first (close the month, map the
    accounts it names)."""
    if fmt not in FORMATS:
        raise DomainError(f"Unknown export format {fmt!r}; choose {' or '.join(FORMATS)}.")
    period = AccountingPeriod.objects.filter(month=month).first()
    if period is None or period.status != AccountingPeriod.Status.CLOSED:
        raise DomainError(f"Close {period_name(month)} before exporting it: an open month changes.")
    lines = list(_lines(month))
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
                li.entry.entry_date.isoformat(),
                li.entry.journal,
                mapped[li.account].gl_code,
                str(li.amount) if li.amount > 0 else "",
                str(-li.amount) if li.amount < 0 else "",
                _memo(li),
                li.entry.reference,
            ]
            for li in lines
        ]
        return Export(f"gl-{key}.csv", GENERIC_HEADER, rows)
    rows = [
        [
            li.entry.reference,
            li.entry.entry_date.strftime("%m/%d/%Y"),
            mapped[li.account].gl_name,
            str(li.amount) if li.amount > 0 else "",
            str(-li.amount) if li.amount < 0 else "",
            _memo(li),
            "",
        ]
        for li in lines
    ]
    return Export(f"gl-{key}-quickbooks.csv", QBO_HEADER, rows)
