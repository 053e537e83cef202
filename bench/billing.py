"""Benchmark the invoice checks against the sandbox's billing truth.

Usage: ``uv run python bench/billing.py --members 100000`` prints one JSON object: the seconds
to check every invoice of the last 120 days and the microseconds per invoice; flag precision and
recall overall and per kind; the share of correctly flagged invoices whose expected amount is
exact to the cent; and the findings on invoices that look unusual but are right, by scenario.

The sandbox (with ``--billing``, its own truth written to a CSV) runs in its own process; the
members, lines, invoices and prices are synced into a fresh database over HTTP by
``manage.py imis_sync``; ``manage.py validate_invoices --findings-csv`` then checks them, as in
production. Precision counts a flag wrong when the invoice is right or the kind is not the
truth's; recall counts a mis-billed invoice missed when it is not flagged with its own kind.
"""

import argparse
import csv
import json
import os
import sys
import tempfile
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import fresh_database, start_sandbox  # noqa: E402
from bench.sync import run_child  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")

AS_OF = date(2025, 6, 30)
WINDOW_DAYS = 120
UNUSUAL = ("employer_billed", "multi_year", "tier_change", "price_effective_date")


def _ratio(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None


def score(truth_path: Path, findings_path: Path) -> dict:
    with truth_path.open() as fh:
        truth = {row["invoice_id"]: row for row in csv.DictReader(fh)}
    with findings_path.open() as fh:
        found = {row["invoice_id"]: row for row in csv.DictReader(fh)}
    misbilled = {k: r for k, r in truth.items() if r["misbilled"] == "True"}
    kinds = sorted({r["kind"] for r in misbilled.values()})
    right_flags = [i for i in found if i in misbilled and found[i]["kind"] == misbilled[i]["kind"]]
    flagged_misbilled = [i for i in found if i in misbilled]
    per_kind = {}
    for kind in kinds:
        flagged_as = [i for i, f in found.items() if f["kind"] == kind]
        actual = [i for i, r in misbilled.items() if r["kind"] == kind]
        hits = [i for i in flagged_as if i in misbilled and misbilled[i]["kind"] == kind]
        per_kind[kind] = {
            "truth": len(actual),
            "flagged": len(flagged_as),
            "precision": _ratio(len(hits), len(flagged_as)),
            "recall": _ratio(len(hits), len(actual)),
        }
    exact = [
        i
        for i in right_flags
        if found[i]["expected_amount"]
        and Decimal(found[i]["expected_amount"]) == Decimal(misbilled[i]["expected_cents"]) / 100
    ]
    unusual = {}
    for scenario in UNUSUAL:
        rows = [i for i, r in truth.items() if r["scenario"] == scenario]
        unusual[scenario] = {
            "invoices": len(rows),
            "flagged": sum(1 for i in rows if i in found),
        }
    ordinary = [i for i, r in truth.items() if r["scenario"] == "ordinary"]
    return {
        "truth_invoices": len(truth),
        "truth_misbilled": len(misbilled),
        "flagged": len(found),
        "precision": _ratio(len(right_flags), len(found)),
        "precision_any_kind": _ratio(len(flagged_misbilled), len(found)),
        "recall": _ratio(len(right_flags), len(misbilled)),
        "recall_any_kind": _ratio(len(flagged_misbilled), len(misbilled)),
        "per_kind": per_kind,
        "expected_exact_share": _ratio(len(exact), len(right_flags)),
        "false_positives": {
            "clean_unusual": unusual,
            "ordinary": {
                "invoices": len(ordinary),
                "flagged": sum(1 for i in ordinary if i in found),
            },
            "not_in_truth": sum(1 for i in found if i not in truth),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.01, help="mis-billed share per kind")
    parser.add_argument("--item-shape", default="itemprice", choices=("sdk", "legacy", "itemprice"))
    parser.add_argument("--database", default="duesdesk_bench_billing")
    args = parser.parse_args()

    base_db = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duesdesk")
    db_url = fresh_database(base_db, args.database)
    env = dict(os.environ, DATABASE_URL=db_url, PYTHONUNBUFFERED="1")
    if args.item_shape == "legacy":
        env["BILLING_DUES_ITEM"] = "DUES-{type}"  # that shape names no member type
    run_child(["migrate", "-v0"], env)
    work = Path(tempfile.mkdtemp(prefix="bench-billing-"))
    truth_path, findings_path = work / "truth.csv", work / "findings.csv"
    extra = [
        "--as-of",
        AS_OF.isoformat(),
        "--billing",
        str(args.rate),
        "--billing-truth",
        str(truth_path),
        "--item-shape",
        args.item_shape,
    ]
    sandbox, _url, start_seconds = start_sandbox(args.members, args.seed, env, extra=extra)
    try:
        entities = ["--entity", "party", "--entity", "subscription", "--entity", "invoice"]
        sync_seconds, _, _ = run_child(
            ["imis_sync", "--full", *entities, "--entity", "item_price"], env
        )
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
    since = (AS_OF - timedelta(days=WINDOW_DAYS)).isoformat()
    command_seconds, _rss, out = run_child(
        ["validate_invoices", "--since", since, "--findings-csv", str(findings_path)], env
    )
    result = json.loads(out.strip().splitlines()[-1])
    checked = result["checked"]
    report = {
        "members": args.members,
        "seed": args.seed,
        "item_shape": args.item_shape,
        "window": {"since": since, "through": AS_OF.isoformat()},
        "checks": {
            "checked": checked,
            "clean": result["clean"],
            "flagged": result["flagged_total"],
            "skipped": result["skipped"],
            "seconds": result["seconds"],
            "us_per_invoice": round(1e6 * result["seconds"] / max(checked, 1), 1),
            "command_seconds": round(command_seconds, 2),
        },
        "flagged_per_kind": result["flagged"],
        **score(truth_path, findings_path),
        "setup": {
            "sandbox_start_seconds": round(start_seconds, 1),
            "sync_seconds": round(sync_seconds, 1),
        },
        "targets": {
            "seconds_max": 10,
            "precision_min": 0.99,
            "recall_min": 0.98,
            "expected_exact_share_min": 0.99,
        },
    }
    kinds = Counter(result["flagged"])
    report["flagged_per_kind"] = {k: v for k, v in kinds.items() if v}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
