"""Benchmark payment matching: speed end to end, and accuracy against the sandbox's ground truth.

Usage: ``uv run python bench/matching.py`` (defaults: 100,000 open invoices, 10,000 payments)
prints one JSON object:

- ``seconds``: loading the open invoices, parties and payment history from PostgreSQL (the
  mirror tables of a fresh database filled for the run, and last cycle's applied payments as
  posted payments of the dues app) with the queries of ``dues.matching.candidates``, building
  the index, and matching every payment; the total is the figure to hold against the 15 s
  target.
- ``accuracy`` at ``DEFAULT_AUTO_THRESHOLD``: precision of the payments that would be applied
  without a person and their share of all payments; top-3 recall for the payments left to a
  person; per confidence band, how often the best candidate was right; payments that belong to
  no one; and per scenario of the generator.

``--in-memory`` skips PostgreSQL (for iterating on the matcher). ``--fit-calibration`` fits the
calibration table of ``dues.matching.matcher.CALIBRATION`` on payments drawn with another seed and
prints it. ``--without-links`` runs without payment history and postal codes, to show what
households and history add.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")

from dues import matching  # noqa: E402
from dues.matching import matcher  # noqa: E402
from sandbox.payments import (  # noqa: E402
    Book,
    generate_payments,
    payment_history,
    synthetic_book,
)
from sandbox.payments.anet_api import transaction_details  # noqa: E402
from sandbox.payments.files import authorizenet_transaction_id  # noqa: E402

BANDS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.97, 0.99, 0.999, 1.01)


ANET_DETAILS: dict = {}  # transaction id -> getTransactionDetails, as the sandbox answers it


def remittance_of(payment) -> matching.Remittance:
    """What intake hands to matching for one payment (an Authorize.Net payment with what
    getTransactionDetails adds to its notification, as dues.intake.events does)."""
    name, email, reference, postal, memo = (
        payment.payer_name,
        payment.email,
        payment.reference,
        payment.payer_postal,
        payment.memo,
    )
    if payment.channel == "authorizenet" and ANET_DETAILS:
        found = ANET_DETAILS.get(authorizenet_transaction_id(payment)) or {}
        bill = found.get("billTo") or {}
        name = name or " ".join(f"{bill.get('firstName', '')} {bill.get('lastName', '')}".split())
        email = email or (found.get("customer") or {}).get("email", "")
        reference = reference or (found.get("order") or {}).get("invoiceNumber", "")
        postal = postal or bill.get("zip", "")
        memo = memo or (found.get("order") or {}).get("description", "")
    return matching.Remittance(
        amount=(Decimal(payment.amount) / 100).quantize(Decimal("0.01")),
        payer_name=name,
        email=email,
        memo=memo,
        reference=reference,
        received_on=payment.received_on,
        method=payment.method,
        payer_postal_code=postal,
    )


def book_records(book: Book):
    invoices = [
        matching.OpenInvoice(
            invoice_id=i.invoice_id,
            number=i.number,
            member_id=i.member_id,
            payer_id=i.payer_id,
            balance=(Decimal(i.balance) / 100).quantize(Decimal("0.01")),
            invoice_date=i.invoice_date,
        )
        for i in book.invoices
    ]
    parties = [
        matching.Party(
            party_id=p.party_id,
            name=p.name,
            first_name=p.first,
            last_name=p.last,
            email=p.email,
            org_id=p.org_id,
            org_name=p.org_name if not p.is_org else "",
            is_org=p.is_org,
            informal_name=p.informal,
            postal_code=p.postal,
            middle_name=p.middle,
            former_names=p.former,
        )
        for p in book.parties.values()
    ]
    return invoices, parties


def history_records(past) -> list:
    """Last cycle's dues payments as the product's payment records keep them: the member each
    was applied to, and payer name and e-mail as the payment said (not who the payer was)."""
    return [
        matching.PastPayment(
            member_id=p.member_id, payer_name=p.payer_name, email=p.email, paid_on=p.paid_on
        )
        for p in past
    ]


def write_mirror(book: Book) -> None:
    """Fill the mirror's party and invoice tables with the book (COPY, as the sync does)."""
    from django.db import transaction

    from imis_client.mirror_writer import MirrorWriter, encode_raw
    from imis_client.models import ImisInvoice, ImisParty

    now = datetime.now(UTC)
    party_writer = MirrorWriter(ImisParty)
    invoice_writer = MirrorWriter(ImisInvoice)

    def filled(model, writer, values: dict) -> dict:
        row = {}
        for name in writer.data_fields:
            f = model._meta.get_field(name)
            row[name] = values.get(
                name,
                None
                if f.null
                else ("" if f.get_internal_type() in ("CharField", "TextField") else False),
            )
        return row

    with transaction.atomic():
        batch = []
        for p in book.parties.values():
            values = {
                "imis_id": p.party_id,
                "is_organization": p.is_org,
                "name": p.name,
                "first_name": p.first,
                "last_name": p.last,
                "middle_name": p.middle,
                "prefix": p.prefix,
                "suffix": p.suffix,
                "informal_name": p.informal,
                # What the party parser reads from the site's former-name attribute.
                "former_names": "; ".join(p.former),
                "email": p.email,
                "postal_code": p.postal,
                "primary_org_id": p.org_id,
                "primary_org_name": p.org_name if not p.is_org else "",
            }
            batch.append(
                party_writer.prepare(
                    filled(ImisParty, party_writer, values), encode_raw(values), now
                )
            )
        party_writer.write(batch)
        batch = []
        for i in book.invoices:
            balance = (Decimal(i.balance) / 100).quantize(Decimal("0.01"))
            values = {
                "imis_id": i.invoice_id,
                "number": i.number,
                "invoice_date": i.invoice_date,
                "bill_to_id": i.payer_id,
                "sold_to_id": i.member_id,
                "amount": balance,
                "balance": balance,
                "description": i.description,
                "is_open": True,
            }
            raw = {k: str(v) for k, v in values.items()}
            batch.append(
                invoice_writer.prepare(
                    filled(ImisInvoice, invoice_writer, values), encode_raw(raw), now
                )
            )
        invoice_writer.write(batch)


def write_payment_history(history) -> None:
    """Last cycle's dues payments as the product keeps the payments it applied: posted
    payments with the member each was applied to and the payer's name and e-mail as written
    (rows only, no journal: matching reads who paid for whom, nothing else of them)."""
    from dues.models import Payment

    source = {"card": "stripe", "ach": "bai2", "check": "bai2", "wire": "bai2"}
    Payment.objects.bulk_create(
        (
            Payment(
                source=source.get(p.method, "csv"),
                dedupe_key=f"last-cycle-{n}",
                raw={"bench": "last cycle"},
                amount=(Decimal(p.amount) / 100).quantize(Decimal("0.01")),
                received_on=p.paid_on,
                payer_name=p.payer_name,
                payer_email=p.email,
                method=p.method if p.method in source else "other",
                status=Payment.Status.POSTED,
                member_id=p.member_id,
            )
            for n, p in enumerate(history, 1)
        ),
        batch_size=5000,
    )


def is_right(candidate, payment) -> bool:
    """The candidate applies exactly what the ground truth says (invoices and amounts)."""
    want = {(i, a) for i, a in payment.truth_allocations}
    got = {(i, int(a * 100)) for i, a in candidate.allocations}
    return bool(want) and want == got


def same_invoices(candidate, payment) -> bool:
    want = {i for i, _ in payment.truth_allocations}
    return bool(want) and want == {i for i, _ in candidate.allocations}


def evaluate(payments, results, threshold: float) -> dict:
    total = len(payments)
    auto = auto_right = 0
    rest = rest_found = 0
    bands = defaultdict(lambda: [0, 0, 0.0])
    scenarios = defaultdict(Counter)
    not_ours = {"payments": 0, "auto_applied": 0, "max_confidence": 0.0}
    errors = []
    ours = first_right = 0
    for payment, (candidates, applied) in zip(payments, results, strict=True):
        top = candidates[0] if candidates else None
        conf = top.confidence if top else 0.0
        right = bool(top) and is_right(top, payment)
        if payment.ours:
            ours += 1
            # The right invoices applied, or proposed first for a person to confirm.
            first_right += bool(top) and same_invoices(top, payment)
        band = next(b for b in range(len(BANDS) - 1) if BANDS[b] <= conf < BANDS[b + 1])
        bands[band][0] += 1
        bands[band][1] += right
        bands[band][2] += conf
        s = scenarios[payment.scenario]
        s["payments"] += 1
        if not payment.ours:
            not_ours["payments"] += 1
            not_ours["auto_applied"] += applied
            not_ours["max_confidence"] = max(not_ours["max_confidence"], conf)
        if applied:
            auto += 1
            auto_right += right
            s["auto"] += 1
            s["auto_right"] += right
            if not right and len(errors) < 25:
                errors.append(_describe(payment, candidates))
        elif payment.ours:
            rest += 1
            found = any(same_invoices(c, payment) for c in candidates[:3])
            rest_found += found
            s["rest"] += 1
            s["rest_top3"] += found
    return {
        "threshold": threshold,
        "payments": total,
        "auto_applied": auto,
        "auto_applied_share": round(auto / total, 4),
        "auto_precision": round(auto_right / auto, 5) if auto else None,
        "auto_wrong": auto - auto_right,
        "first_right_share": round(first_right / ours, 4) if ours else None,
        "rest_ours": rest,
        "rest_top3_recall": round(rest_found / rest, 4) if rest else None,
        "not_ours": not_ours,
        "bands": [
            {
                "band": f"{BANDS[b]:.3f}-{min(BANDS[b + 1], 1):.3f}",
                "payments": n,
                "top_right": r,
                "precision": round(r / n, 4),
                "mean_confidence": round(c / n, 4),
            }
            for b, (n, r, c) in sorted(bands.items())
        ],
        "scenarios": {k: dict(v) for k, v in sorted(scenarios.items())},
        "wrong_auto_examples": errors,
    }


def _describe(payment, candidates) -> dict:
    return {
        "payment": payment.payment_id,
        "scenario": payment.scenario,
        "payer": payment.payer_name,
        "memo": payment.memo,
        "reference": payment.reference,
        "amount": payment.amount,
        "truth": [payment.truth_member, list(payment.truth_allocations)],
        "top": [
            (c.member_id, [(i, str(a)) for i, a in c.allocations], c.confidence, c.explanation)
            for c in candidates[:2]
        ],
    }


def match_all(index, payments, threshold):
    from common.gc_pause import kept_out_of_collection

    out = []
    with kept_out_of_collection():  # as dues.matching.run.payments_match matches
        for payment in payments:
            remittance = remittance_of(payment)
            candidates = matching.match(remittance, index)
            out.append((candidates, matching.auto_applicable(candidates, remittance, threshold)))
    return out


def fit_calibration(index, payments) -> dict:
    """Isotonic regression of "the best candidate was right" on the model's log-odds z.

    One-nat bins of z, pooled where a bin is no better than the one below it
    (pool-adjacent-violators); each block's rate is smoothed as (right + 1) / (n + 2) and placed
    at the block's middle.
    """
    saved = matcher.CALIBRATION
    matcher.CALIBRATION = ()  # the model's own posterior
    points = []
    for payment in payments:
        candidates = matching.match(remittance_of(payment), index, limit=1)
        if not candidates:
            continue
        p = min(max(candidates[0].confidence, 1e-9), 1 - 1e-9)
        z = math.log(p / (1 - p))
        points.append((z, 1.0 if is_right(candidates[0], payment) else 0.0))
    matcher.CALIBRATION = saved
    # One-nat bins of z, made monotone by pool-adjacent-violators over the bins.
    bins: dict[int, list[float]] = {}
    for z, y in points:
        b = bins.setdefault(max(-15, min(15, math.floor(z))), [0.0, 0.0])
        b[0] += y
        b[1] += 1
    blocks: list[list] = []  # [first bin, last bin, right, n]
    for b in sorted(bins):
        blocks.append([b, b, *bins[b]])
        while len(blocks) > 1 and blocks[-2][2] / blocks[-2][3] >= blocks[-1][2] / blocks[-1][3]:
            last = blocks.pop()
            blocks[-1][1] = last[1]
            blocks[-1][2] += last[2]
            blocks[-1][3] += last[3]
    table = [
        (round((first + last + 1) / 2, 2), round(_rate(right, n), 5))
        for first, last, right, n in blocks
    ]
    return {"knots": table, "fitted_on": len(points)}


def _rate(right: float, n: float) -> float:
    return (right + 1) / (n + 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument(
        "--profile",
        default="default",
        help="the sandbox book's profile (b: names written "
        "further from the record, organisations paying for employees billed one by one)",
    )
    parser.add_argument(
        "--tie-rule",
        default="oldest",
        choices=["propose", "oldest", "current"],
        help="several open invoices equal the amount: the manager's rule (the sandbox's clerk "
        "takes the oldest)",
    )
    parser.add_argument("--database", default="duesdesk_bench_matching")
    parser.add_argument("--in-memory", action="store_true")
    parser.add_argument("--fit-calibration", action="store_true")
    parser.add_argument("--examples", action="store_true", help="list wrong auto-applications")
    parser.add_argument(
        "--without-anet-details",
        action="store_true",
        help="Authorize.Net payments as their notifications alone carry them (no payer)",
    )
    parser.add_argument(
        "--without-links",
        action="store_true",
        help="no payment history and no postal codes (what the matcher does without them)",
    )
    args = parser.parse_args()
    threshold = args.threshold if args.threshold is not None else matching.DEFAULT_AUTO_THRESHOLD

    started = time.perf_counter()
    cpu: dict[str, float] = {}
    book = synthetic_book(args.invoices, seed=args.seed, profile=args.profile)
    payments = generate_payments(book, args.payments, seed=args.seed)
    if not args.without_anet_details:
        ANET_DETAILS.update(transaction_details(book, payments))
    past = [] if args.without_links else payment_history(book, seed=args.seed)
    history = history_records(past)
    if args.without_links:
        book.parties = {pid: dataclasses.replace(p, postal="") for pid, p in book.parties.items()}
    prepare_s = time.perf_counter() - started
    seconds = {}
    if args.in_memory:
        invoices, parties = book_records(book)
        t, c = time.perf_counter(), time.process_time()
        index = matching.build_index(invoices, parties, history, tie_rule=args.tie_rule)
        seconds["index"], cpu["index"] = time.perf_counter() - t, time.process_time() - c
    else:
        from bench._common import fresh_database

        base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duesdesk")
        os.environ["DATABASE_URL"] = fresh_database(base, args.database)
        import subprocess

        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
        import django

        django.setup()
        from django.db import connection

        write_mirror(book)
        write_payment_history(past)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        from dues.matching import candidates as loader

        # What dues.matching.candidates.match_index reads (the runner's index), timed apart from the
        # building of the index.
        t, c = time.perf_counter(), time.process_time()
        invoices, billing = loader.load_invoices()
        parties = loader.load_parties()
        history = [*billing, *loader.load_payment_history()]
        seconds["load"], cpu["load"] = time.perf_counter() - t, time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        index = matching.build_index(invoices, parties, history, tie_rule=args.tie_rule)
        seconds["index"], cpu["index"] = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    results = match_all(index, payments, threshold)
    seconds["match"], cpu["match"] = time.perf_counter() - t, time.process_time() - c
    seconds["total"] = sum(seconds.values())
    cpu["total"] = sum(cpu.values())
    report = {
        "open_invoices": len(index.invoices),
        "parties": index.n_parties,
        "past_payments": len(history),
        "payments": len(payments),
        "seed": args.seed,
        "prepare_seconds": round(prepare_s, 2),
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        # CPU seconds of this process (the database server's work is not counted): wall
        # seconds on a machine other jobs share are longer.
        "cpu_seconds": {k: round(v, 2) for k, v in cpu.items()},
        "load_average_1min": round(os.getloadavg()[0], 2),
        "payments_per_second": round(len(payments) / seconds["match"]),
        "calibration_knots": len(matcher.CALIBRATION),
        "profile": args.profile,
        "authorizenet_details": not args.without_anet_details,
        "tie_rule": args.tie_rule,
        "accuracy": evaluate(payments, results, threshold),
    }
    # Organisations paying (for one employee, for several) apart from persons paying.
    for name, wanted in (("persons", False), ("organisations", True)):
        kept = [
            (p, r)
            for p, r in zip(payments, results, strict=True)
            if p.scenario.startswith("employer") == wanted
        ]
        part = evaluate([p for p, _ in kept], [r for _, r in kept], threshold)
        report[f"accuracy_{name}"] = {
            k: part[k]
            for k in (
                "payments",
                "auto_applied_share",
                "auto_precision",
                "auto_wrong",
                "first_right_share",
                "rest_top3_recall",
            )
        }
    if not args.examples:
        report["accuracy"].pop("wrong_auto_examples")
    if args.fit_calibration:
        train = generate_payments(book, args.payments, seed=args.seed + 1000)
        report["fitted_calibration"] = fit_calibration(index, train)
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
