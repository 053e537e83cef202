"""Benchmark cash application end to end: sandbox payments through the real intake and matching.

Usage: ``uv run python bench/payments.py`` (defaults: 20,000 open invoices, 2,000 payments)
prints one JSON object. Unlike bench/matching.py (the matcher alone, on the generator's fields),
every payment here travels as it would arrive: the BAI2 and CSV files through the import, the
signed Stripe and Authorize.Net events through signature checks and the event processing, then
``payments_match`` files every proposal (review items, candidates, audit) with an Auto policy at
``DEFAULT_AUTO_THRESHOLD``. As in bench/matching.py, last cycle's dues payments are in the
database as payments the product applied and posted (who paid for whom), and the matching run
reads them as it would in production. The figures are read back from the database against the
generator's ground truth:

- ``seconds``: import, webhooks (verify + store + process), matching and filing;
- ``auto_applied_share`` and ``auto_precision`` (the applied invoices and amounts equal the
  truth), ``rest_top3_recall`` for payments left to a person, and payments that belong to no one
  that were applied (must be 0); ``not_stored``: payments whose line or event intake refused.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ["STRIPE_WEBHOOK_SECRET"] = "whsec_bench"
os.environ["AUTHORIZENET_SIGNATURE_KEY"] = "BENCHSIGNATUREKEY"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--payments", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--database", default="duesdesk_bench_payments")
    args = parser.parse_args()

    from bench._common import fresh_database

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duesdesk")
    os.environ["DATABASE_URL"] = fresh_database(base, args.database)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench.matching import write_mirror, write_payment_history
    from dues import intake, matching
    from dues.intake import webhooks
    from dues.kinds import KIND
    from dues.matching.run import payments_match
    from dues.models import Payment, WebhookEvent
    from reviews.services import review_policy_set
    from sandbox.payments import (
        generate_payments,
        payment_history,
        synthetic_book,
        write_payment_files,
    )

    book = synthetic_book(args.invoices, seed=args.seed)
    payments = generate_payments(book, args.payments, seed=args.seed)
    write_mirror(book)
    write_payment_history(payment_history(book, seed=args.seed))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    manager = get_user_model().objects.create_user("bench-manager")
    threshold = Decimal(str(matching.DEFAULT_AUTO_THRESHOLD))
    review_policy_set(user=manager, kind=KIND, mode="auto", min_confidence=threshold)
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_payment_files(
            payments,
            folder,
            as_of=payments[0].received_on,
            stripe_secret=settings.STRIPE_WEBHOOK_SECRET,
            authorizenet_key=settings.AUTHORIZENET_SIGNATURE_KEY,
        )
        truths = json.loads((folder / "truth.json").read_text())
        t = time.perf_counter()
        for name in ("payments.bai2", "payments.csv"):
            intake.payment_import_file(filename=name, content=(folder / name).read_bytes())
        seconds["import_files"] = time.perf_counter() - t
        t = time.perf_counter()
        for line in (folder / "webhooks.jsonl").read_text().splitlines():
            request = json.loads(line)
            body, headers = request["body"].encode(), request["headers"]
            # Each event is checked at the moment it was signed, so it keeps its own date.
            if "stripe" in request["path"]:
                signature = headers["Stripe-Signature"]
                signed_at = int(signature.split(",")[0].removeprefix("t="))
                event = webhooks.stripe_verify(
                    body,
                    signature,
                    secret=settings.STRIPE_WEBHOOK_SECRET,
                    now=signed_at + 1,
                    tolerance=300,
                )
                intake.webhook_event_receive(source="stripe", event=event, body=body)
            else:
                sent = json.loads(body)["eventDate"]
                event = webhooks.anet_verify(
                    body,
                    headers["X-ANET-Signature"],
                    key=settings.AUTHORIZENET_SIGNATURE_KEY,
                    now=webhooks.anet_time(sent).timestamp() + 1,
                    tolerance=300,
                )
                intake.webhook_event_receive(source="authorizenet", event=event, body=body)
        for event_id in WebhookEvent.objects.values_list("pk", flat=True):
            intake.webhook_event_process(event_id=event_id)
        seconds["webhooks"] = time.perf_counter() - t
    t = time.perf_counter()
    summary = payments_match()
    seconds["match_and_file"] = time.perf_counter() - t
    print(
        json.dumps(
            {
                "invoices": len(book.invoices),
                "payments": len(payments),
                "stored": Payment.objects.exclude(dedupe_key__startswith="last-cycle-").count(),
                "match_run": summary,
                "seconds": {k: round(v, 2) for k, v in seconds.items()},
                "per_payment_ms": round(1000 * sum(seconds.values()) / len(payments), 1),
                **evaluate(truths),
            },
            indent=1,
        )
    )


def evaluate(truths: list[dict]) -> dict:
    from dues import ledger
    from dues.models import Payment, WebhookEvent

    def payment_for(truth: dict) -> Payment | None:
        channel, key = truth["channel"], truth["source_key"]
        if channel == "csv":
            return Payment.objects.filter(source="csv", line_number=int(key.split()[1])).first()
        if channel == "bai2":
            return Payment.objects.filter(source="bai2", provider_id=key).first()
        event = WebhookEvent.objects.filter(source=channel, event_id=key).first()
        return event.payment if event else None

    auto = auto_right = rest = rest_found = strangers_applied = not_stored = 0
    for truth in truths:
        payment = payment_for(truth)
        if payment is None:
            not_stored += 1
            rest += bool(truth["member_id"])  # a person must find it: not found in the top 3
            continue
        want = {(inv, Decimal(amount)) for inv, amount in truth["allocations"]}
        if payment.status == "held":
            auto += 1
            got, _ = ledger.payment_held_allocations(payment.pk)
            auto_right += bool(want) and set(got) == want
            strangers_applied += not truth["member_id"]
        elif truth["member_id"]:
            rest += 1
            wanted = {inv for inv, _ in want}
            rest_found += any(
                set(c.invoice_ids) == wanted for c in payment.candidates.filter(rank__lte=3)
            )
    return {
        "auto_applied_share": round(auto / len(truths), 4),
        "auto_precision": round(auto_right / auto, 5) if auto else None,
        "auto_wrong": auto - auto_right,
        "not_ours_applied": strangers_applied,
        "rest_ours": rest,
        "rest_top3_recall": round(rest_found / rest, 4) if rest else None,
        "not_stored": not_stored,
    }


if __name__ == "__main__":
    main()
