"""A month's reconciliation: deposits tied to the payments stored per source, applied, posted to
iMIS and seen in the iMIS mirror; every difference listed with its cause, and a balanced
adjusting entry drafted for each cause that needs one (filed in the finance queue).

Reads in a handful of set-based queries (a month of 120,000 payments in a few seconds); the
differences are written in bulk. Running it again replaces nothing: each run is kept, the
latest is the one shown, and entries already drafted or recorded for the month are not drafted
twice (only what changed since is).
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from common.errors import DomainError
from common.money import ZERO, format_money
from common.states import transition
from dues.close import causes
from dues.close.causes import Found, PaymentRow
from dues.close.periods import entry_date_for, month_end, period_name
from dues.ledger import accounts
from dues.models import (
    BankDeposit,
    Difference,
    GlEntryLine,
    JournalLine,
    Payment,
    Reconciliation,
)
from reviews.models import ReviewItem

C = Difference.Cause
R = Reconciliation.Status
OPEN_ITEM = ("pending", "approved", "edited", "executing")
# The account each entry cause holds the month's cash against (credit), and its words.
ENTRY_ACCOUNTS: dict[str, tuple[str, str]] = {
    C.HOLD: (accounts.HOLD, "Payments applied and in the hold window"),
    C.UNMATCHED: (accounts.SUSPENSE, "Payments not yet applied"),
    C.NOT_OURS: (accounts.REFUNDS_PAYABLE, "Payments not ours: refunds due"),
    C.FEE: (accounts.PROCESSOR_FEES, "Processor fees withheld from payouts"),
}

# Per source: what the month's payments brought, what became of them, and the deposits.
FIGURES = (
    "payments",
    "received",
    "refunded",
    "applied",
    "posted",
    "seen_in_imis",
    "deposit_count",
    "deposits",
    "fees",
)

_PAYMENTS_SQL = """
SELECT p.id, p.source, p.amount, p.refunded_amount, p.status, p.received_on, p.deposit_id,
       d.received_on, p.provider_id,
       (p.status = 'posted' AND o.delivered_at IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM dues_journalline l
              JOIN imis_client_imisinvoice i ON i.imis_id = l.invoice_id
             WHERE l.payment_id = p.id AND l.account = 'receivable' AND l.invoice_id <> ''
               AND i.synced_at < o.delivered_at)) AS seen
  FROM dues_payment p
  LEFT JOIN dues_bankdeposit d ON d.id = p.deposit_id
  LEFT JOIN imis_client_outboxwrite o
         ON p.status = 'posted' AND o.state = 'delivered'
        AND o.reference = split_part(p.imis_reference, ',', 1)
 WHERE p.received_on BETWEEN %s AND %s
"""


def latest_reconciliation(month: date) -> Reconciliation | None:
    return Reconciliation.objects.filter(month=month, status=R.DONE).order_by("-id").first()


def pending_entries(month: date):
    """The month's drafted entries still waiting for a decision or their effect."""
    from dues.close.entries import KIND

    return ReviewItem.objects.filter(
        kind=KIND, status__in=OPEN_ITEM, object_ref__startswith=f"close {month:%Y-%m} "
    )


def _payment_rows(start: date, end: date) -> list[PaymentRow]:
    with connection.cursor() as cursor:
        cursor.execute(_PAYMENTS_SQL, [start, end])
        return [
            PaymentRow(
                id=r[0],
                source=r[1],
                amount=r[2],
                refunded=r[3],
                status=r[4],
                received_on=r[5],
                deposit_id=r[6],
                deposit_on=r[7],
                reference=r[8] or "",
                seen=bool(r[9]),
            )
            for r in cursor.fetchall()
        ]


def _source_of(deposit: BankDeposit) -> str:
    sources: dict[str, str] = {
        BankDeposit.Kind.STRIPE_PAYOUT: Payment.Source.STRIPE,
        BankDeposit.Kind.CSV_BATCH: Payment.Source.CSV,
    }
    return sources.get(deposit.kind, Payment.Source.BAI2)


def _deposit_findings(start: date, end: date) -> tuple[list[Found], dict]:
    deposits = list(BankDeposit.objects.filter(received_on__range=(start, end)))
    carried: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])  # this month, earlier
    rows = (
        Payment.objects.filter(deposit__in=deposits)
        .values("deposit_id", "source", "received_on")
        .annotate(amount=Sum("amount"), refunded=Sum("refunded_amount"))
    )
    for row in rows:
        value = row["amount"] - (row["refunded"] if row["source"] in causes.PAYOUT_SOURCES else 0)
        carried[row["deposit_id"]][0] += value
        if row["received_on"] < start:
            carried[row["deposit_id"]][1] += value
    found: list[Found] = []
    per_source: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"deposits": ZERO, "fees": ZERO, "count": ZERO}
    )
    for d in deposits:
        source = _source_of(d)
        now, earlier = carried[d.pk]
        found += causes.deposit_differences(d, now, earlier, source)
        per_source[source]["deposits"] += d.amount
        per_source[source]["fees"] += d.fee
        per_source[source]["count"] += 1
    return found, per_source


def _ledger_check(start: date, end: date, expected: Decimal) -> Found | None:
    """The payment journal's cash for the month's payments against what they are now worth."""
    cash = (
        JournalLine.objects.filter(
            payment__received_on__range=(start, end), account="cash_clearing"
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    if cash == expected:
        return None
    return Found(
        C.UNEXPLAINED,
        cash - expected,
        "",
        f"The payment journal holds "
        f"{format_money(cash)} of cash for the month's payments; they are worth "
        f"{format_money(expected)} after refunds",
    )


def reconcile_figures(month: date, progress=None) -> tuple[dict, list[Found]]:
    """Tie the month; returns (figures, differences). Reads only."""
    start, end = month, month_end(month)
    if progress:
        progress.stage("Reading the month's payments")
    rows = _payment_rows(start, end)
    found: list[Found] = []
    per_source: dict = defaultdict(lambda: dict.fromkeys(FIGURES, ZERO))
    if progress:
        progress.stage("Classifying payments", total=len(rows))
    for n, row in enumerate(rows, start=1):
        s = per_source[row.source]
        s["received"] += row.amount
        s["refunded"] += row.refunded
        s["payments"] += 1
        if row.status in (Payment.Status.HELD, Payment.Status.POSTED):
            s["applied"] += row.available
        if row.status == Payment.Status.POSTED:
            s["posted"] += row.available
            if row.seen:
                s["seen_in_imis"] += row.available
        found += causes.payment_differences(row, end)
        if progress and n % 5000 == 0:
            progress.advance(5000)
    if progress:
        progress.stage("Tying deposits")
    deposit_found, deposit_sources = _deposit_findings(start, end)
    found += deposit_found
    for source, values in deposit_sources.items():
        per_source[source]["deposits"] += values["deposits"]
        per_source[source]["fees"] += values["fees"]
        per_source[source]["deposit_count"] += values["count"]
    for values in per_source.values():
        values["payments"], values["deposit_count"] = (
            int(values["payments"]),
            int(values["deposit_count"]),
        )
    net = sum((s["received"] - s["refunded"] for s in per_source.values()), ZERO)
    if (check := _ledger_check(start, end, net)) is not None:
        found.append(check)
    by_cause = causes.totals_by_cause(found)
    counts = {cause: 0 for cause in C.values}
    for f in found:
        counts[f.cause] += 1
    figures = {
        "month": f"{month:%Y-%m}",
        "period": period_name(month),
        "payments": len(rows),
        "sources": {
            source: {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}
            for source, values in sorted(per_source.items())
        },
        "by_cause": {cause: str(total) for cause, total in by_cause.items()},
        "counts": counts,
        "differences": len(found),
        "unexplained": counts[C.UNEXPLAINED],
    }
    return figures, found


def _entry_lines(found: list[Found], month: date) -> dict[str, list[tuple[str, Decimal, str]]]:
    """Per entry cause, the balanced lines still to record: the month's amounts per source less
    what earlier runs' entries already hold (recorded or waiting)."""
    from dues.close.entries import JournalEntryDraft

    wanted: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for f in found:
        if f.cause in ENTRY_ACCOUNTS and f.source:
            wanted[f.cause][f.source] += f.amount
    drafted: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for cause in ENTRY_ACCOUNTS:
        ref = f"{month:%Y-%m}:{cause}"
        for row in GlEntryLine.objects.filter(
            entry__source="reconciliation", entry__source_ref=ref, account__startswith="cash:"
        ).values("account", "amount"):
            drafted[cause][row["account"]] += row["amount"]
        for item in pending_entries(month).filter(object_ref=f"close {month:%Y-%m} {cause}"):
            for line in JournalEntryDraft.from_payload(item.payload).lines:
                if line.account.startswith("cash:"):
                    drafted[cause][line.account] += line.amount
    out: dict[str, list[tuple[str, Decimal, str]]] = {}
    for cause, (account, _) in ENTRY_ACCOUNTS.items():
        sign = -1 if cause == C.FEE else 1  # a fee takes cash out; the others bring it in
        lines = []
        for source, amount in sorted(wanted[cause].items()):
            cash = accounts.cash_account(source)
            delta = sign * amount - drafted[cause].get(cash, ZERO)
            if delta:
                lines.append((cash, delta, f"{source}"))
        for cash, amount in drafted[cause].items():
            if cash not in {accounts.cash_account(s) for s in wanted[cause]} and amount:
                lines.append((cash, -amount, "reversed: no longer outstanding"))
        total = sum((amount for _, amount, _ in lines), ZERO)
        if lines and total:
            lines.append((account, -total, ENTRY_ACCOUNTS[cause][1]))
        if lines:
            out[cause] = lines
    return out


def _draft_entries(recon: Reconciliation, found: list[Found], user) -> list[ReviewItem]:
    from dues.close.entries import EntryLine, JournalEntryDraft, journal_entry_propose

    month = recon.month
    day = entry_date_for(month)
    items = []
    differences: dict[str, list[int]] = {
        cause: list(recon.differences.filter(cause=cause).values_list("pk", flat=True)[:20])
        for cause in ENTRY_ACCOUNTS
    }
    for cause, lines in _entry_lines(found, month).items():
        label = C(cause).label
        draft = JournalEntryDraft(
            entry_date=day,
            journal="ADJ",
            reference=f"REC-{month:%Y%m}-{cause.upper()}-{recon.pk}",
            memo=f"{period_name(month)}: {label.lower()} ({ENTRY_ACCOUNTS[cause][1].lower()})",
            lines=tuple(EntryLine(a, amount, memo) for a, amount, memo in lines if amount),
            source="reconciliation",
            source_ref=f"{month:%Y-%m}:{cause}",
        )
        if not draft.balanced:  # cannot happen: the last line takes the total
            raise DomainError(
                f"The {label.lower()} entry of {period_name(month)} does not balance."
            )
        item = journal_entry_propose(
            draft=draft,
            title=f"Adjusting entry {period_name(month)}: {label.lower()} "
            f"{format_money(draft.total_debit)}",
            summary=f"Reconciliation #{recon.pk} of {period_name(month)} found these "
            f"{label.lower()} differences; the entry brings them into the general ledger.",
            evidence=[
                {"fact": f"difference #{pk}", "source": f"reconciliation {recon.pk}"}
                for pk in differences[cause]
            ],
            user=user,
            job="dues.reconcile_month",
            segment=cause,
        )
        ReviewItem.objects.filter(pk=item.pk).update(object_ref=f"close {month:%Y-%m} {cause}")
        recon.differences.filter(cause=cause).update(review_item=item)
        items.append(item)
    return items


def reconciliation_run(*, month: date, user=None, progress=None, job_run_id=None) -> Reconciliation:
    """Reconcile a month and draft its adjusting entries; the run's row says how it went."""
    recon = Reconciliation.objects.create(month=month, started_by=user, job_run_id=job_run_id)
    try:
        figures, found = reconcile_figures(month, progress)
        if progress:
            progress.stage("Recording differences and drafting entries", total=len(found))
        with transaction.atomic():
            Difference.objects.bulk_create(
                [
                    Difference(
                        reconciliation=recon,
                        cause=f.cause,
                        amount=f.amount,
                        source=f.source,
                        payment_id=f.payment_id,
                        deposit_id=f.deposit_id,
                        reference=f.reference[:200],
                        explanation=f.explanation[:500],
                    )
                    for f in found
                ],
                batch_size=5000,
            )
            items = _draft_entries(recon, found, user)
            figures["entries_drafted"] = [item.pk for item in items]
            recon.figures = figures
            transition(recon, R.DONE, subject=str(recon))
            recon.finished_at = timezone.now()
            recon.save()
            from common.audit import audit_record

            audit_record(
                action="close.reconciled",
                summary=f"{period_name(month)} reconciled: {figures['differences']} differences, "
                f"{figures['unexplained']} unexplained, {len(items)} entries drafted",
                actor=user,
                object_type="reconciliation",
                object_id=recon.pk,
                data={"after": R.DONE, "by_cause": figures["by_cause"]},
            )
    except Exception as exc:
        Reconciliation.objects.filter(pk=recon.pk).update(
            status=R.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
        raise
    return recon


def summary(recon: Reconciliation, seconds: float | None = None) -> dict:
    """The one JSON line ``reconcile_month`` prints."""
    f = recon.figures
    out = {
        "month": f.get("month"),
        "reconciliation": recon.pk,
        "payments": f.get("payments"),
        "differences": f.get("differences"),
        "unexplained": f.get("unexplained"),
        "by_cause": f.get("by_cause"),
        "entries_drafted": len(f.get("entries_drafted", [])),
    }
    if seconds is not None:
        out["seconds"] = round(seconds, 2)
    return out
