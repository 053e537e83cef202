"""Deposits for the close: what reached the bank, beside the payments it carried.

- BAI2 files: each account's credits that became payments are recorded as one deposit per
  account and day, and the file's own control totals (the account trailer 49 and the group
  trailer 98) are checked against the records they close. A total that does not add up is
  reported line by line and the deposit is kept, marked as not adding up, never dropped.
- CSV files: each day's rows of an import are one batch deposit.
- Stripe ``payout.paid`` events (signature checked like every Stripe event): the payout's net
  amount reached the bank; the Stripe payments it carries are those not yet paid out, made on
  or before its arrival date less the payout delay; the fee is what they add up to less the net.
  A fee is an expense, not a short payment: the payments stay whole.
"""

import hashlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from common.audit import audit_event, audit_record, audit_record_many
from common.errors import DomainError
from common.money import ZERO, format_money
from dues.models import BankDeposit, Payment, PaymentImport

D = BankDeposit.Status
PAYOUT_PAID = "payout.paid"


def _cents(text: str) -> Decimal | None:
    """A BAI2 amount: whole cents, optionally signed; None when blank or unreadable."""
    text = text.strip().rstrip("/")
    if not text:
        return None
    try:
        return (Decimal(int(text)) / 100).quantize(Decimal("0.01"))
    except (ValueError, InvalidOperation):
        return None


def _summary_amounts(fields: list[str]) -> list[Decimal]:
    """The amounts of an 03 record's summary triples (type code, amount, item count, funds
    type and the funds type's own fields)."""
    amounts, i = [], 0
    while i + 1 < len(fields):
        type_code = fields[i].strip()
        if not type_code:  # an empty summary (some banks lead with one)
            i += 4
            continue
        amount = _cents(fields[i + 1])
        if amount is not None:
            amounts.append(amount)
        funds = fields[i + 3].strip().upper() if i + 3 < len(fields) else ""
        i += 4 + {"S": 3, "V": 2}.get(funds, 0)
        if funds == "D" and i < len(fields):
            count = int(fields[i].strip() or 0) if fields[i].strip().isdigit() else 0
            i += 1 + 2 * count
    return amounts


def bai2_control_totals(text: str) -> list[dict]:
    """Each account's and group's control total against the sum of the records it closes:
    [{"line", "kind" (account | group), "account", "day", "stated", "computed"}]."""
    from dues.intake.bai2file import _records

    out: list[dict] = []
    group_day, group_sum, account, account_sum = None, ZERO, "", ZERO
    last = None  # the record an 88 continues
    for code, body, line in _records(text):
        if code is None:
            continue
        fields = body.rstrip("/").split(",")
        if code == "88":
            if last == "03":  # an account's summary amounts continue on 88 records
                account_sum += sum(_summary_amounts(fields), ZERO)
            continue
        last = code
        if code == "02":
            group_sum = ZERO
            raw_day = fields[3].strip() if len(fields) > 3 else ""
            try:
                group_day = datetime.strptime(raw_day, "%y%m%d").date()
            except ValueError:
                group_day = None
        elif code == "03":
            account = fields[0].strip()
            account_sum = sum(_summary_amounts(fields[2:]), ZERO)
        elif code == "16":
            amount = _cents(fields[1]) if len(fields) > 1 else None
            account_sum += amount or ZERO
        elif code == "49":
            stated = _cents(fields[0]) if fields else None
            out.append(
                {
                    "line": line,
                    "kind": "account",
                    "account": account,
                    "day": group_day,
                    "stated": stated,
                    "computed": account_sum,
                }
            )
            group_sum += stated if stated is not None else account_sum
        elif code == "98":
            stated = _cents(fields[0]) if fields else None
            out.append(
                {
                    "line": line,
                    "kind": "group",
                    "account": "",
                    "day": group_day,
                    "stated": stated,
                    "computed": group_sum,
                }
            )
    return out


def _problems_of(totals: list[dict]) -> dict[str, list[dict]]:
    """Control totals that do not add up, by account ("" for a group's)."""
    problems: dict[str, list[dict]] = defaultdict(list)
    for t in totals:
        if t["stated"] is None:
            problems[t["account"]].append(
                {"line": t["line"], "problem": f"the {t['kind']} trailer has no control total"}
            )
        elif t["stated"] != t["computed"]:
            what = f"account {t['account']}" if t["kind"] == "account" else "the group"
            problems[t["account"]].append(
                {
                    "line": t["line"],
                    "difference": str(t["stated"] - t["computed"]),
                    "problem": f"{what} trailer says {format_money(t['stated'])}; its records "
                    f"add up to {format_money(t['computed'])} "
                    f"(difference {format_money(t['stated'] - t['computed'])})",
                }
            )
    return problems


def _digest(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:40]


def deposits_record_for_import(*, record: PaymentImport, text: str, uploaded_by=None) -> list:
    """The deposits a bank file's payments arrived in (one per account or batch and day), with
    the file's control totals checked; payments already in a lockbox deposit keep it.
    Returns the deposits; problems are kept on them and in the import's report."""
    payments = list(
        Payment.objects.filter(import_file=record, deposit__isnull=True).values_list(
            "pk", "received_on", "amount", "raw"
        )
    )
    groups: dict[tuple, list] = defaultdict(list)
    for pk, day, amount, raw in payments:
        account = str((raw or {}).get("account") or "") if record.file_format == "bai2" else ""
        groups[(account, day)].append((pk, amount))
    problems = _problems_of(bai2_control_totals(text)) if record.file_format == "bai2" else {}
    group_problems = problems.pop("", [])
    kind = (
        BankDeposit.Kind.BAI2_ACCOUNT
        if record.file_format == "bai2"
        else BankDeposit.Kind.CSV_BATCH
    )
    made, events = [], []
    for (account, day), items in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        total = sum((amount for _, amount in items), ZERO)
        found = [*problems.get(account, []), *group_problems]
        deposit, created = BankDeposit.objects.get_or_create(
            dedupe_key=f"{kind}:{record.sha256}:{_digest(account, day)}",
            defaults={
                "kind": kind,
                "import_file": record,
                "account": account[:60],
                "received_on": day,
                "amount": total,
                "status": D.UNBALANCED if found else D.ITEMIZED,
                "items": len(items),
                "items_total": total,
                "problems": found,
                "bank_reference": (
                    f"{'BAI2 account ' + account if account else 'CSV batch'} {day:%Y-%m-%d}"
                )[:120],
                "text": f"{record.filename}: {'account ' + account if account else 'batch'} "
                f"of {day:%Y-%m-%d}"[:500],
            },
        )
        if not created:
            continue
        Payment.objects.filter(pk__in=[pk for pk, _ in items]).update(deposit=deposit)
        made.append(deposit)
        events.append(
            audit_event(
                action="close.deposit_recorded",
                summary=f"{deposit.get_kind_display()} {deposit.reference}: "
                f"{format_money(total)} in {len(items)} payments"
                + (f"; {len(found)} control total(s) do not add up" if found else ""),
                actor=uploaded_by,
                actor_name=None if uploaded_by else record.file_format,
                object_type="bank_deposit",
                object_id=deposit.pk,
                data={"after": deposit.status, "amount": total, "problems": found},
            )
        )
    audit_record_many(events)
    if problems or group_problems:
        report = dict(record.report or {})
        report["control_totals"] = [
            p for rows in [*problems.values(), group_problems] for p in rows
        ]
        record.report = report
        record.save(update_fields=["report", "updated_at"])
    return made


# --- Stripe payouts --------------------------------------------------------------------------


def _payout_day(epoch, tz: ZoneInfo) -> date:
    if isinstance(epoch, bool) or not isinstance(epoch, int):
        raise DomainError("The payout has no arrival_date (a Unix time); it cannot be dated.")
    return datetime.fromtimestamp(epoch, tz).date()


@transaction.atomic
def stripe_payout_record(*, event: dict, tz: ZoneInfo | None = None) -> BankDeposit:
    """Record a paid Stripe payout once (by its id), with the payments it carries and its fee."""
    tz = tz or ZoneInfo(settings.TIME_ZONE)
    payout = (event.get("data") or {}).get("object") or {}
    payout_id = str(payout.get("id") or "")
    if not payout_id.startswith("po_"):
        raise DomainError("The payout.paid event carries no payout id (po_...).")
    amount = payout.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise DomainError(f"Payout {payout_id} has no positive amount in cents.")
    net = (Decimal(amount) / 100).quantize(Decimal("0.01"))
    arrival = _payout_day(payout.get("arrival_date"), tz)
    existing = BankDeposit.objects.filter(dedupe_key=f"stripe_payout:{payout_id}").first()
    if existing is not None:
        return existing
    cutoff = arrival - timedelta(days=settings.CLOSE_STRIPE_PAYOUT_DELAY_DAYS)
    carried = Payment.objects.select_for_update().filter(
        source=Payment.Source.STRIPE, deposit__isnull=True, received_on__lte=cutoff
    )
    ids = list(carried.values_list("pk", flat=True))
    sums = Payment.objects.filter(pk__in=ids).aggregate(
        gross=Sum("amount"), refunded=Sum("refunded_amount")
    )
    gross = (sums["gross"] or ZERO) - (sums["refunded"] or ZERO)
    fee = gross - net
    problems = []
    if fee < 0:
        problems.append(
            {
                "line": None,
                "difference": str(-fee),
                "problem": f"payout {payout_id} paid {format_money(net)} but the Stripe payments "
                f"not yet paid out up to {cutoff:%Y-%m-%d} add up to {format_money(gross)}: "
                "payments are missing here",
            }
        )
    deposit = BankDeposit.objects.create(
        dedupe_key=f"stripe_payout:{payout_id}",
        kind=BankDeposit.Kind.STRIPE_PAYOUT,
        account=str(payout.get("destination") or "")[:60],
        received_on=arrival,
        amount=net,
        currency=str(payout.get("currency") or "usd").upper()[:3],
        bank_reference=payout_id[:120],
        status=D.UNBALANCED if problems else D.ITEMIZED,
        items=len(ids),
        items_total=gross,
        fee=max(fee, ZERO),
        problems=problems,
        text=f"Stripe payout {payout_id} of {arrival:%Y-%m-%d}",
        raw={"id": payout_id, "amount": amount, "arrival_date": payout.get("arrival_date")},
    )
    Payment.objects.filter(pk__in=ids).update(deposit=deposit)
    audit_record(
        action="close.payout_recorded",
        summary=f"Stripe payout {payout_id}: {format_money(net)} net of "
        f"{format_money(deposit.fee)} fees, {len(ids)} payments",
        actor_name="stripe",
        object_type="bank_deposit",
        object_id=deposit.pk,
        data={"after": deposit.status, "amount": net, "fee": deposit.fee, "gross": gross},
    )
    return deposit
