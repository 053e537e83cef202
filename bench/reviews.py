"""Load run of the review queue: 20,000 pending items, the queue page and decisions over HTTP.

Usage: ``uv run python bench/reviews.py --items 20000`` prints JSON with the median and p95
response times of the queue page (first page and a deep keyset page) and of a decision.
The web server is gunicorn on a fresh database; items use the test kind (``tests.note``).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import free_port, fresh_database  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"  # registers the test kind
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "n": len(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duesdesk")
    os.environ["DATABASE_URL"] = fresh_database(base, "duesdesk_bench_reviews")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)

    import django

    django.setup()
    from decimal import Decimal

    from django.contrib.auth.models import Group, User

    from common import roles
    from reviews.models import ReviewItem

    started = time.perf_counter()
    ReviewItem.objects.bulk_create(
        [
            ReviewItem(
                kind="tests.note",
                queue="finance",
                title=f"Apply payment to invoice {300000 + i}",
                member_id=str(10000 + i % 5000),
                payload={"text": f"item {i}"},
                amount=Decimal(20 + i % 80),
                confidence=Decimal("0.800") + Decimal(i % 20) / 100,
                priority=i % 10,
                evidence=[{"fact": "amount equals balance", "source": "bench"}],
            )
            for i in range(args.items)
        ],
        batch_size=2000,
    )
    seed_seconds = time.perf_counter() - started
    reviewer = User.objects.create_user("bench", password="bench-pass-123")
    reviewer.groups.add(Group.objects.get(name=roles.FINANCE))
    from django.db import connections

    connections.close_all()

    port = free_port()
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import httpx

    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        client = httpx.Client(base_url=url, follow_redirects=False, timeout=30)
        login = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        client.post(
            "/accounts/login/",
            data={"username": "bench", "password": "bench-pass-123", "csrfmiddlewaretoken": token},
        )
        first, deep, decide = [], [], []
        cursor = None
        for _ in range(args.requests):
            t = time.perf_counter()
            page = client.get("/reviews/")
            first.append(time.perf_counter() - t)
            assert page.status_code == 200, page.status_code
            if cursor is None:
                found = re.findall(r'href="\?[^"]*cursor=([^"&]+)', page.text)
                cursor = found[-1] if found else None
            if cursor:
                t = time.perf_counter()
                client.get("/reviews/", params={"cursor": cursor})
                deep.append(time.perf_counter() - t)
            item_id = re.search(r'href="/reviews/(\d+)/"', page.text).group(1)
            csrf = client.cookies.get("csrftoken")
            t = time.perf_counter()
            done = client.post(
                f"/reviews/{item_id}/decide/",
                data={"decision": "accept", "csrfmiddlewaretoken": csrf},
            )
            decide.append(time.perf_counter() - t)
            assert done.status_code == 302, done.status_code
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        json.dumps(
            {
                "pending_items": args.items,
                "seed_seconds": round(seed_seconds, 1),
                "queue_page_first": percentiles(first),
                "queue_page_next": percentiles(deep) if deep else None,
                "decision_accept": percentiles(decide),
                "workers": "gunicorn -w 2 on the 2-core machine",
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
