"""Benchmark revenue recognition: build and roll forward the schedules of many dues invoices.

Usage: ``uv run python bench/close_recognition.py --invoices 100000`` prints one JSON object:
``recognition_seconds`` (open the schedules, apply their deferrals and a share of credit memos,
cancellations and refunds, and roll forward every month of the year) and
``roll_forward_difference`` (the largest difference between a month's roll-forward and the
revenue journal, counting recognition not yet posted: 0.00), with the counts behind them.

A fresh database (``<name>_bench_recognition``) is migrated first; the invoices are synthetic,
seeded, with anniversary terms spread over the year and amounts of a few dues tiers.
"""

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import fresh_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")

PRICES = [Decimal(p) for p in ("95.00", "240.00", "325.00", "410.00", "1250.00")]
ITEMS = ["DUES/STU", "DUES/ASSOC", "DUES/REG", "DUES/FELLOW", "DUES/ORG"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--method", choices=["months", "days"], default="months")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duesdesk")
    name = base.rsplit("/", 1)[-1] + "_bench_recognition"
    url = fresh_database(base, name)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(DATABASE_URL=url, REVENUE_RECOGNITION=args.method)

    import django

    django.setup()
    from dues.close.recognition import Change, InvoiceTerm, revenue_events_apply
    from dues.close.rollforward import roll_forward_many
    from dues.models import RevenueEvent

    Kind = RevenueEvent.Kind
    rng = random.Random(args.seed)
    terms, changes = [], []
    for n in range(args.invoices):
        begin = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        end = begin.replace(year=begin.year + 1) - timedelta(days=1)
        tier = rng.randrange(len(PRICES))
        invoice = f"INV{n:07d}"
        terms.append(InvoiceTerm(invoice, f"M{n}", ITEMS[tier], begin, end))
        changes.append(Change(invoice, Kind.DEFER, begin, PRICES[tier], f"bill:{invoice}"))
        roll = rng.random()
        later = begin + timedelta(days=rng.randrange(20, 300))
        if roll < 0.05:
            credit = -(PRICES[tier] * Decimal("0.1")).quantize(Decimal("0.01"))
            changes.append(Change(invoice, Kind.CREDIT_MEMO, later, credit, f"memo:{invoice}"))
        elif roll < 0.07:
            changes.append(
                Change(invoice, Kind.CANCELLATION, later, Decimal("-20.00"), f"c:{invoice}", later)
            )
        elif roll < 0.08:
            changes.append(Change(invoice, Kind.REFUND, later, Decimal("-5.00"), f"r:{invoice}"))
    started, cpu = time.perf_counter(), time.process_time()
    events = revenue_events_apply(changes=changes, actor_name="bench", new_terms=terms)
    applied = time.perf_counter() - started
    months = [date(2026, m, 1) for m in range(1, 13)] + [date(2027, m, 1) for m in range(1, 13)]
    rolled = roll_forward_many(months)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    print(
        json.dumps(
            {
                "invoices": args.invoices,
                "events": events,
                "method": args.method,
                "recognition_seconds": round(seconds, 2),
                "build_seconds": round(applied, 2),
                # this process's own CPU (the database's is not in it): the wall time above
                # depends on what else the machine runs
                "recognition_cpu_seconds": round(cpu, 2),
                "roll_forward_seconds": round(seconds - applied, 2),
                "months_rolled": len(rolled),
                "roll_forward_difference": str(max(abs(rf.difference) for rf in rolled)),
                "identity_holds": all(rf.identity_holds for rf in rolled),
                "chained": all(a.closing == b.opening for a, b in itertools.pairwise(rolled)),
                "recognised_total": str(sum(rf.recognised for rf in rolled)),
                "closing_2027_12": str(rolled[-1].closing),
            }
        )
    )


if __name__ == "__main__":
    main()
