"""Benchmark the month-end close: reconcile a month of 120,000 payments by 100,000 members.

Usage: ``uv run python bench/close.py`` (defaults: 100,000 members, 120,000 payments, November
2026) prints one JSON object:

- ``reconcile_seconds``: ``dues.close.reconcile.reconciliation_run`` on the month, end to end
  (reading and classifying every payment and deposit, writing the differences, drafting the
  adjusting entries for review); target 60 s.
- ``unexplained``: differences the reconciliation could not explain on the sandbox's month
  (``sandbox.payments.close_month``: payouts with fees, timing across months, payments in hold,
  unmatched, not ours, posted and not yet seen, refunds); target 0.
- ``unbalanced``: drafted entries that do not balance, and recorded ones the database holds
  unbalanced once they are approved and recorded; target 0.
- ``by_cause`` (count and amount per cause) beside the generator's ``truth`` for the same month,
  and ``matches_truth``.

The month is written to a fresh database in bulk (triggers off while loading, as a restore
would); the reconciliation then runs with every rule of the database in force.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import fresh_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")

STATUS = {
    "posted_seen": "posted",
    "posted_unseen": "posted",
    "held": "held",
    "unmatched": "unmatched",
    "not_ours": "not_ours",
    "refunded": "refunded",
}


def load(month) -> None:
    """Write the month's payments, their intake journal, deposits and iMIS postings in bulk."""
    from django.db import connection, transaction
    from django.utils import timezone

    from dues.models import BankDeposit, JournalLine, JournalTransaction, Payment
    from imis_client.models import OutboxWrite

    now = timezone.now()
    delivered = now - timedelta(hours=3)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        deposits = {}
        for d in month.deposits:
            deposits[d.key] = BankDeposit(
                dedupe_key=d.key,
                kind=d.kind,
                account=d.account,
                received_on=d.received_on,
                amount=d.amount,
                fee=d.fee,
                bank_reference=d.key[:120],
                status="itemized",
                items=len(d.payments),
                items_total=d.amount + d.fee,
                raw={},
            )
        BankDeposit.objects.bulk_create(deposits.values(), batch_size=5000)
        payments = [
            Payment(
                source=p.source,
                dedupe_key=p.key,
                provider_id=p.key,
                raw={"account": p.account} if p.account else {},
                amount=p.amount,
                received_on=p.received_on,
                status=STATUS[p.status],
                refunded_amount=p.refunded,
                member_id=p.member_id,
                deposit=deposits.get(p.deposit),
                imis_reference=f"DD-{p.key}" if p.status.startswith("posted") else "",
                posted_at=delivered if p.status.startswith("posted") else None,
            )
            for p in month.payments
        ]
        Payment.objects.bulk_create(payments, batch_size=5000)
        txns = JournalTransaction.objects.bulk_create(
            [
                JournalTransaction(
                    payment=p, kind="intake", key=f"intake:{p.pk}", memo="", actor_name="bench"
                )
                for p in payments
            ],
            batch_size=5000,
        )
        lines = []
        for txn, p in zip(txns, payments, strict=True):
            lines += [
                JournalLine(transaction=txn, payment=p, account="cash_clearing", amount=p.amount),
                JournalLine(transaction=txn, payment=p, account="unapplied", amount=-p.amount),
            ]
            if p.refunded_amount:
                lines += [
                    JournalLine(
                        transaction=txn,
                        payment=p,
                        account="cash_clearing",
                        amount=-p.refunded_amount,
                    ),
                    JournalLine(
                        transaction=txn, payment=p, account="unapplied", amount=p.refunded_amount
                    ),
                ]
        JournalLine.objects.bulk_create(lines, batch_size=10000)
        OutboxWrite.objects.bulk_create(
            [
                OutboxWrite(
                    reference=f"DD-{p.key}",
                    entity="ComboOrder",
                    method="POST",
                    path="/api/ComboOrder",
                    body={},
                    state="delivered" if p.status == "posted_seen" else "pending",
                    next_attempt_at=delivered,
                    delivered_at=delivered if p.status == "posted_seen" else None,
                )
                for p in month.payments
                if p.status.startswith("posted")
            ],
            batch_size=5000,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=120_000)
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="bench_close")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duesdesk")
    os.environ["DATABASE_URL"] = fresh_database(base, args.database)

    import django

    django.setup()
    from django.core.management import call_command

    from dues.close.entries import JournalEntryDraft
    from dues.close.periods import parse_month
    from dues.close.reconcile import pending_entries, reconciliation_run
    from dues.ledger.gl import gl_entry_record
    from dues.models import GlEntryLine
    from sandbox.payments.close_month import generate_month

    call_command("migrate", verbosity=0)
    first = parse_month(args.month)
    started = time.perf_counter()
    month = generate_month(first, payments=args.payments, members=args.members, seed=args.seed)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    load(month)
    loaded = time.perf_counter() - started

    started = time.perf_counter()
    recon = reconciliation_run(month=first)
    reconcile_seconds = time.perf_counter() - started

    drafts = [JournalEntryDraft.from_payload(i.payload) for i in pending_entries(first)]
    unbalanced = sum(1 for d in drafts if not d.balanced)
    for n, draft in enumerate(drafts):
        gl_entry_record(draft=draft, key=f"bench:{n}")
    from django.db.models import Sum

    unbalanced += (
        GlEntryLine.objects.values("entry_id").annotate(t=Sum("amount")).exclude(t=0).count()
    )
    counts, amounts = recon.figures["counts"], recon.figures["by_cause"]
    by_cause = {c: [counts[c], amounts[c]] for c in counts if counts[c]}
    own = {c: v for c, v in by_cause.items() if c != "timing"}
    truth = {c: v for c, v in month.truth.items() if c != "timing"}
    print(
        json.dumps(
            {
                "members": args.members,
                "payments": recon.figures["payments"],
                "deposits": len(month.deposits),
                "month": args.month,
                "generate_seconds": round(generated, 2),
                "load_seconds": round(loaded, 2),
                "reconcile_seconds": round(reconcile_seconds, 2),
                "differences": recon.figures["differences"],
                "unexplained": recon.figures["unexplained"],
                "unbalanced": unbalanced,
                "entries_drafted": len(drafts),
                "by_cause": by_cause,
                "truth": month.truth,
                "matches_truth": own == truth,
                "at": datetime.now().isoformat(timespec="seconds"),
            }
        )
    )


if __name__ == "__main__":
    main()
