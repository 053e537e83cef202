"""The monthly recognition run: one drafted journal entry per revenue account, reviewed in the
finance queue (kind ``dues.revenue_recognition``), posted to the revenue journal on approval.

The payload is the balanced journal-lines form the month-end close's adjusting entries use:
``period`` (YYYY-MM), ``account`` (the revenue account), ``amount``, ``lines`` (one line per
journal line, ``Dr|Cr account amount``) and ``memo``. The amounts the effect posts come from the
run's record, never from the payload: an edited amount is refused with what to do instead.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from common.audit import audit_record
from common.errors import DomainError
from common.money import ZERO, format_money, to_money
from dues.close.recognition import Posting, entries_record, month_key, open_period, parse_period
from dues.close.rollforward import recognised_by_account
from dues.ledger import accounts as acct
from dues.models import RecognitionRun, RevenueEntry
from reviews.kinds import ReviewKind
from reviews.services import review_items_propose_many

KIND = "dues.revenue_recognition"


def journal_lines(account: str, amount: Decimal) -> list[tuple[str, Decimal]]:
    """Recognition moves revenue out of deferred (a debit) into the revenue account (a credit)."""
    return [(acct.DEFERRED_DUES_REVENUE, amount), (account, -amount)]


def lines_text(lines: list[tuple[str, Decimal]]) -> str:
    return "\n".join(
        f"{'Dr' if amount > 0 else 'Cr'} {account} {abs(amount):.2f}" for account, amount in lines
    )


def parse_lines(text: str) -> list[tuple[str, Decimal]]:
    """``Dr account 1.00`` lines back to signed (account, amount) pairs."""
    lines = []
    for number, raw in enumerate(str(text).splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        if len(parts) != 3 or parts[0] not in ("Dr", "Cr"):
            raise DomainError(f"Line {number} “{raw.strip()}”: write it as Dr|Cr account 0.00.")
        try:
            amount = to_money(parts[2])
        except ValueError:
            raise DomainError(f"Line {number}: “{parts[2]}” is not an amount.") from None
        lines.append((parts[1], amount if parts[0] == "Dr" else -amount))
    return lines


def _run_for(period_text: str) -> RecognitionRun:
    run = RecognitionRun.objects.filter(period=parse_period(period_text)).first()
    if run is None:
        raise DomainError(f"No recognition run for {period_text}; draft the month first.")
    return run


def validate(payload: dict) -> dict:
    period = str(payload.get("period") or "").strip()
    run = _run_for(period)
    account = str(payload.get("account") or "").strip()
    if account not in run.totals:
        raise DomainError(f"The run for {period} recognises nothing in “{account}”.")
    recorded = Decimal(run.totals[account])
    lines = parse_lines(payload.get("lines", ""))
    total = sum((amount for _, amount in lines), ZERO)
    if total != 0:
        raise DomainError(
            f"The entry does not balance: debits and credits differ by {format_money(total)}."
        )
    if sorted(lines) != sorted(journal_lines(account, recorded)):
        raise DomainError(
            f"The lines must recognise {format_money(recorded)} in {account}, as the schedules "
            "compute it; correct a schedule with a credit memo, not here."
        )
    memo = " ".join(str(payload.get("memo") or "").split()) or f"Dues revenue recognised {period}"
    return {
        "period": month_key(run.period),
        "account": account,
        "amount": str(recorded),
        "lines": lines_text(journal_lines(account, recorded)),
        "memo": memo[:300],
    }


def effect(item) -> dict:
    """Post the approved entry to the revenue journal once; the run is posted when all are."""
    run = RecognitionRun.objects.select_for_update().get(
        period=parse_period(item.payload["period"])
    )
    account = item.payload["account"]
    amount = Decimal(run.totals[account])
    made = entries_record(
        [
            Posting(
                kind=RevenueEntry.Kind.RECOGNISE,
                period=run.period,
                key=f"recognise:{month_key(run.period)}:{account}",
                memo=item.payload["memo"],
                lines=journal_lines(account, amount),
            )
        ],
        actor_name=f"review item {item.pk}",
        review_item=item,
    )
    posted = set(
        RevenueEntry.objects.filter(
            kind=RevenueEntry.Kind.RECOGNISE, period=run.period
        ).values_list("key", flat=True)
    )
    if run.status == run.Status.DRAFTED and all(
        f"recognise:{month_key(run.period)}:{a}" in posted for a in run.totals
    ):
        run.status = run.Status.POSTED
        run.save(update_fields=["status"])
        audit_record(
            action="revenue.recognition_posted",
            summary=f"Recognition of {month_key(run.period)} posted",
            object_type="dues.recognitionrun",
            object_id=run.pk,
            data={"status": ["drafted", "posted"], "totals": run.totals},
        )
    return {"posted": made, "account": account, "amount": str(amount)}


def recheck(item) -> str | None:
    run = RecognitionRun.objects.filter(period=parse_period(item.payload["period"])).first()
    if run is None or item.payload["account"] not in run.totals:
        return "The recognition run this entry belongs to no longer names its account."
    return None


REVENUE_RECOGNITION = ReviewKind(
    name=KIND,
    label="Revenue recognition entry",
    queue="finance",
    validate=validate,
    effect=effect,
    recheck=recheck,
    threshold=Decimal(settings.REVENUE_ENTRY_THRESHOLD),
)


@transaction.atomic
def recognition_draft(*, period: date, user=None) -> RecognitionRun:
    """Draft a month's recognition: the schedules' slices of the month per revenue account, each
    filed as a review item. Months are drafted in order, each once."""
    opened = open_period()
    if opened and period != opened:
        raise DomainError(
            f"Draft {month_key(opened)} next: months are recognised in order "
            f"and {month_key(period)} is {'already drafted' if period < opened else 'not next'}."
        )
    totals = {account: amount for account, amount in recognised_by_account(period) if amount}
    run = RecognitionRun.objects.create(
        period=period, totals={a: str(v) for a, v in totals.items()}, drafted_by=user
    )
    label = f"{period:%B %Y}"
    review_items_propose_many(
        kind=KIND,
        proposals=[
            {
                "title": (
                    f"Recognise {format_money(amount)} of {acct.account_label(account)}, {label}"
                ),
                "payload": {
                    "period": month_key(period),
                    "account": account,
                    "lines": lines_text(journal_lines(account, amount)),
                    "memo": f"Dues revenue recognised {month_key(period)}: {account}",
                },
                "object_ref": f"recognition:{month_key(period)}",
                "summary": f"Deferred dues revenue earned in {label}, from the schedules.",
                "amount": amount,
                "proposed_by": user,
                "proposed_by_job": "" if user else "recognition",
                "dedupe_key": f"recognition:{month_key(period)}:{account}",
            }
            for account, amount in totals.items()
        ],
    )
    if not totals:  # nothing to recognise: the month is closed for recognition at once
        run.status = run.Status.POSTED
        run.save(update_fields=["status"])
    audit_record(
        action="revenue.recognition_drafted",
        summary=f"Recognition of {month_key(period)} drafted: {len(totals)} entr(ies)",
        actor=user,
        object_type="dues.recognitionrun",
        object_id=run.pk,
        data={"status": [None, run.status], "totals": run.totals},
    )
    return run
