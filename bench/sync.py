"""Benchmark the iMIS sync: a full sync of a large sandbox association, then one simulated day.

Usage: ``uv run python bench/sync.py --members 100000 [--latency-ms 150] [--page-size 500]``
prints one JSON object with, per entity, records and seconds; the full and incremental sync wall
times; the time to merely fetch the same pages (the floor the sync is compared with); and the
sync process's peak RSS.

The sandbox runs in its own process (one core serves), the sync in another (`manage.py
imis_sync`, as in production), against a fresh database created for the run. ``--latency-ms``
makes the sandbox answer every request that much later, as a real site over the internet does;
the raw fetch then waits the same, and reads as many pages at once as the sync does
(IMIS_CONCURRENCY), so the two are compared at equal concurrency.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import fresh_database, start_sandbox  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")


def run_child(args: list[str], env: dict) -> tuple[float, float, str]:
    """Run a manage.py command; returns (seconds, peak RSS in MB, stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{err.decode()[-3000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, usage.ru_maxrss / 1024, out.decode()


def raw_fetch(base_url: str, *, page_size: int | None = None) -> dict:
    """Fetch (and decode) every page a full sync reads, doing nothing else: the bare client,
    with as many pages in flight as the sync (IMIS_CONCURRENCY) and the same page size."""
    import django

    django.setup()
    from django.conf import settings

    from imis_client.client import ImisClient
    from imis_client.page_workers import bulk_decoding
    from imis_client.sync_entities import entities

    result = {}
    # Under the same garbage-collection regime as the sync, so the floor is not flattered.
    with (
        bulk_decoding(),
        ImisClient(
            base_url,
            "sandbox",
            "sandbox",
            page_size=page_size or settings.IMIS_PAGE_SIZE,
            concurrency=settings.IMIS_CONCURRENCY,
        ) as c,
    ):
        for entity in entities():
            params = dict(entity.params)
            if entity.order_by:
                params["OrderBy"] = entity.order_by
            started = time.perf_counter()
            rows = sum(len(page.items) for page in c.iter_pages(entity.endpoint, params))
            result[entity.name] = {"records": rows, "seconds": time.perf_counter() - started}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="duesdesk_bench")
    parser.add_argument(
        "--latency-ms", type=float, default=0, help="added by the sandbox to every request"
    )
    parser.add_argument("--page-size", type=int, default=500, help="IMIS_PAGE_SIZE")
    args = parser.parse_args()

    base_db = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duesdesk")
    db_url = fresh_database(base_db, args.database)
    env = dict(
        os.environ, DATABASE_URL=db_url, PYTHONUNBUFFERED="1", IMIS_PAGE_SIZE=str(args.page_size)
    )
    run_child(["migrate", "-v0"], env)
    sandbox, imis_url, generate_seconds = start_sandbox(args.members, args.seed, env)
    os.environ.update(env)
    import httpx

    try:
        # Warm the sandbox's serialised-row cache, as a long-lived site is (without latency:
        # the cache is what is being warmed, not the wait).
        raw_fetch(imis_url, page_size=args.page_size)
        if args.latency_ms:
            httpx.put(
                f"{imis_url}/_sandbox/faults",
                params={"spec": f"latency={args.latency_ms:g}ms"},
                timeout=60,
            ).raise_for_status()
        load_before = os.getloadavg()
        fetch = raw_fetch(imis_url, page_size=args.page_size)
        fetch_seconds = sum(v["seconds"] for v in fetch.values())

        full_seconds, full_rss, full_out = run_child(["imis_sync", "--full"], env)
        full = json.loads(full_out.strip().splitlines()[-1])
        load_after_full = os.getloadavg()

        httpx.post(f"{imis_url}/_sandbox/advance", params={"days": 1}, timeout=600)
        incr_seconds, incr_rss, incr_out = run_child(["imis_sync"], env)
        incremental = json.loads(incr_out.strip().splitlines()[-1])
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)

    from django.conf import settings

    records = sum(v["fetched"] for v in full.values() if isinstance(v, dict))
    report = {
        "members": args.members,
        "latency_ms_per_request": args.latency_ms,
        "page_size": args.page_size,
        "pages_in_flight": {
            "sync": settings.IMIS_CONCURRENCY,
            "raw_fetch": settings.IMIS_CONCURRENCY,
            "note": "IMIS_CONCURRENCY for both: the sync's page workers each fetch one page at "
            "a time and there are at least that many; the raw fetch uses that many threads",
        },
        "load_average_1_5_15": {
            "before_raw_fetch": [round(x, 2) for x in load_before],
            "after_full_sync": [round(x, 2) for x in load_after_full],
        },
        "sandbox_start_seconds": round(generate_seconds, 1),
        "full_sync": {
            "seconds": round(full_seconds, 1),
            "sync_seconds": full["seconds"],
            "records": records,
            "records_per_second": round(records / full["seconds"]),
            "per_entity": {
                k: {"records": v["fetched"], "seconds": v["seconds"]}
                for k, v in full.items()
                if isinstance(v, dict)
            },
        },
        "raw_fetch": {
            "seconds": round(fetch_seconds, 1),
            "records": sum(v["records"] for v in fetch.values()),
            "per_entity": {k: round(v["seconds"], 2) for k, v in fetch.items()},
        },
        "sync_over_fetch": round(full["seconds"] / fetch_seconds, 3),
        "incremental_after_one_day": {
            "seconds": round(incr_seconds, 1),
            "sync_seconds": incremental["seconds"],
            "changes": {
                k: {"fetched": v["fetched"], "created": v["created"], "updated": v["updated"]}
                for k, v in incremental.items()
                if isinstance(v, dict)
            },
        },
        "peak_rss_mb": round(max(full_rss, incr_rss), 1),
        "targets": (
            {"sync_over_fetch_max": 1.10}
            if args.latency_ms
            else {"full_sync_seconds_max": 180, "incremental_seconds_max": 10}
        )
        | {"peak_rss_mb_max": 600},
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
