"""Benchmark the member's own page (/m/account/<token>/) with a full association in the mirror.

Usage: ``uv run python bench/inquiries.py --members 100000 [--pages 300] [--questions 50]``
prints one JSON object: latency of the member page (p50, p95, p99, max, in ms) for members
chosen at random among those with open invoices (each with its own signed link), latency of a
question asked on the page (classified, grounded, drafted, logged), and the mirror's size.

The sandbox (with billing scenarios) runs in its own process; members, lines, invoices, prices
and activity are synced into a fresh database over HTTP by ``manage.py imis_sync``, as in
production. The pages are then requested in this process through Django's WSGI handler (the
whole middleware stack, sessions, CSRF and the link's rate limit included; no network).
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import fresh_database, start_sandbox  # noqa: E402
from bench.sync import run_child  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")

AS_OF = date(2025, 6, 30)
QUESTIONS = [
    "Why is my invoice prorated? How was the charge worked out?",
    "What does my invoice cover?",
    "Did you receive my payment? Do I owe anything?",
    "Can I pay in instalments?",
]


def _ms(values: list[float]) -> dict:
    ordered = sorted(values)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    return {
        "n": len(values),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(values) * 1000, 1),
    }


def measure(pages: int, questions: int, seed: int) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from dues.inquiries.portal import account_link
    from imis_client.models import ImisInvoice, ImisParty

    settings.MEMBER_LINK_RATE_PER_MINUTE = 10**9  # one client address asks for every member
    settings.INQUIRY_ASK_RATE = "1000000/h"
    rng = random.Random(seed)
    ids = list(
        ImisInvoice.objects.filter(is_open=True, deleted_at__isnull=True)
        .values_list("sold_to_id", flat=True)
        .distinct()[:20000]
    )
    chosen = rng.sample(ids, min(pages, len(ids)))
    client = Client(HTTP_HOST="127.0.0.1")
    page_times, statuses = [], {}
    urls = [account_link(member_id) for member_id in chosen]
    client.get(urls[0], secure=True)  # warm: imports, templates, the price book's first read
    for url in urls:
        started = time.perf_counter()
        response = client.get(url, secure=True)
        page_times.append(time.perf_counter() - started)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    ask_times = []
    for i, url in enumerate(urls[:questions]):
        path = url.split("://", 1)[-1].split("/", 1)[-1]
        page = client.get(url, secure=True)
        token = page.cookies.get("csrftoken")
        started = time.perf_counter()
        client.post(
            f"/{path}ask/",
            {"question": QUESTIONS[i % len(QUESTIONS)], "csrfmiddlewaretoken": token.value},
            secure=True,
        )
        ask_times.append(time.perf_counter() - started)
    return {
        "mirror": {
            "parties": ImisParty.objects.count(),
            "open_invoices": ImisInvoice.objects.filter(is_open=True).count(),
        },
        "member_page": {**_ms(page_times), "statuses": statuses},
        "question": _ms(ask_times) if ask_times else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--database", default="duesdesk_bench_inquiries")
    parser.add_argument("--reuse", action="store_true", help="measure the database as it is")
    args = parser.parse_args()

    base_db = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duesdesk")
    setup = {}
    if args.reuse:
        from urllib.parse import urlparse

        db_url = urlparse(base_db)._replace(path=f"/{args.database}").geturl()
    else:
        db_url = fresh_database(base_db, args.database)
        env = dict(os.environ, DATABASE_URL=db_url, PYTHONUNBUFFERED="1")
        run_child(["migrate", "-v0"], env)
        extra = ["--as-of", AS_OF.isoformat(), "--billing", "0.01", "--item-shape", "itemprice"]
        sandbox, _url, start_seconds = start_sandbox(args.members, args.seed, env, extra=extra)
        try:
            entities = ["party", "subscription", "invoice", "item_price", "activity"]
            sync_seconds, _, _ = run_child(
                ["imis_sync", "--full", *[a for e in entities for a in ("--entity", e)]], env
            )
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=30)
        setup = {
            "sandbox_start_seconds": round(start_seconds, 1),
            "sync_seconds": round(sync_seconds, 1),
        }
    os.environ["DATABASE_URL"] = db_url
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    # Pages are rendered here without collectstatic: static URLs are not what is measured.
    os.environ["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    result = measure(args.pages, args.questions, args.seed)
    report = {
        "members": args.members,
        "seed": args.seed,
        **result,
        "setup": setup,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "targets": {
            "member_page_p95_ms": 300,
            "met": result["member_page"]["p95_ms"] <= 300,
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
