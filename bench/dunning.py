"""Benchmark the dunning planner: plan the day's steps for every open invoice, and file 5,000.

Usage: ``uv run python bench/dunning.py --members 100000`` prints one JSON object:
``plan_day_seconds`` (find each open invoice's step of the day, ask every pause provider and
the opt-outs, and keep the pause rows in step) and ``file_5000_proposals_seconds`` for ``--file``
proposals (each drafted from the approved template with its guardrails, filed as a review item
under the per-invoice locks, with its DunningAction and audit rows), with the 1-minute load
average beside them (the machine is shared).

bench/collections_bench.py measures the same over the sandbox's association synced over HTTP; this
one is quicker to run: the mirror is written straight into a fresh database (one member and one dues
invoice each, due dates spread over the last 120 days and the next 10, about a third still open),
as a sync would leave it; the sandbox's HTTP sync is measured by bench/sync.py and is not
repeated here.
"""

import argparse
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
from bench.sync import run_child  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")


def seed_mirror(members: int, seed: int) -> dict:
    from django.utils import timezone

    from imis_client.models import ImisInvoice, ImisParty

    rng = random.Random(seed)
    now, today = timezone.now(), timezone.localdate()
    parties, invoices, open_count = [], [], 0
    for n in range(members):
        pid = str(100000 + n)
        parties.append(
            ImisParty(
                imis_id=pid,
                name=f"Member {n}",
                first_name="Member",
                last_name=str(n),
                email=f"m{n}@example.org",
                phone=f"+1202555{n % 10000:04d}" if rng.random() < 0.6 else "",
                is_member=True,
                status="A",
                raw={},
                raw_hash=0,
                synced_at=now,
            )
        )
        amount = Decimal(rng.choice(("95.00", "180.00", "245.00", "320.00", "640.00")))
        is_open = rng.random() < 0.35
        open_count += is_open
        invoices.append(
            ImisInvoice(
                imis_id=f"INV{n}",
                number=f"D-{n}",
                invoice_date=today - timedelta(days=150),
                due_date=today - timedelta(days=rng.randint(-10, 120)),
                purpose="MembershipRenewal",
                bill_to_id=pid,
                sold_to_id=pid,
                amount=amount,
                payment_amount=Decimal("0.00") if is_open else amount,
                balance=amount if is_open else Decimal("0.00"),
                is_open=is_open,
                description="Dues",
                raw={},
                raw_hash=0,
                synced_at=now,
            )
        )
    ImisParty.objects.bulk_create(parties, batch_size=5000)
    ImisInvoice.objects.bulk_create(invoices, batch_size=5000)
    return {"members": members, "invoices": members, "open_invoices": open_count}


def measure_dunning(
    *, file_count: int = 5_000, as_of: date | None = None, spread_days: int = 0
) -> dict:
    """Plan the day's steps over the mirror as it is, then file ``file_count`` of them (Django
    set up by the caller). bench/collections_bench.py calls it after its sync and scoring with its
    ``as_of`` date (the sandbox's association is dated; planned against the calendar's today,
    nothing in it would be due); this script's own mirror is relative to today.

    ``spread_days``: when the day has fewer steps due than ``file_count``, go on to the next days
    (up to that many), each planned after the previous day's steps are filed, as the daily job
    would, until ``file_count`` are filed; the filing time is the sum over those days."""
    from datetime import timedelta

    from django.utils import timezone

    from dues.collections import planner

    day = as_of or timezone.localdate()
    cpu_started = time.process_time()
    started = time.perf_counter()
    found = planner.dunning_due(today=day)
    plan_seconds = time.perf_counter() - started
    load_plan = os.getloadavg()[0]
    cpu_plan = time.process_time() - cpu_started
    first = found
    filed_total, file_seconds, cpu_file, days = 0, 0.0, 0.0, []
    for offset in range(spread_days + 1):
        if offset:
            found = planner.dunning_due(today=day + timedelta(days=offset))
        due = found["due"][: file_count - filed_total]
        cpu_started = time.process_time()
        started = time.perf_counter()
        filed = planner.dunning_file(due=due, today=day + timedelta(days=offset))
        file_seconds += time.perf_counter() - started
        cpu_file += time.process_time() - cpu_started
        filed_total += filed["filed"]
        days.append({"day": (day + timedelta(days=offset)).isoformat(), "filed": filed["filed"]})
        if filed_total >= file_count:
            break
    return {
        "as_of": day.isoformat(),
        "plan_day_seconds": round(plan_seconds, 2),
        "plan_cpu_seconds": round(cpu_plan, 2),
        "plan_considered_invoices": first["considered"],
        "plan_due_steps": len(first["due"]),
        "plan_paused": first["paused"],
        "plan_by_step": first["counts"],
        "plan_load_average_1min": round(load_plan, 2),
        "file_asked": file_count,
        "file_proposals": filed_total,
        "file_days": days,
        "file_5000_proposals_seconds": round(file_seconds, 2),
        "file_cpu_seconds_this_process": round(cpu_file, 2),
        "file_per_second": round(filed_total / file_seconds, 1) if file_seconds else None,
        "file_load_average_1min": round(os.getloadavg()[0], 2),
    }


def child(args) -> None:
    import django

    django.setup()
    from django.db import connection

    seeded = seed_mirror(args.members, args.seed)
    with connection.cursor() as cursor:  # the statistics autovacuum keeps on a live database
        cursor.execute("ANALYZE")
    print(json.dumps({**seeded, "dunning": measure_dunning(file_count=args.file)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--file", type=int, default=5_000, help="proposals to file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="duesdesk_bench_dunning")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    base_db = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duesdesk")
    env = dict(os.environ, DATABASE_URL=fresh_database(base_db, args.database))
    env["PYTHONUNBUFFERED"] = "1"
    run_child(["migrate", "-v0"], env)
    out = subprocess.run(
        [sys.executable, __file__, "--child", *sys.argv[1:]],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(out.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
