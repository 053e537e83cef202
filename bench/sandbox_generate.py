"""Benchmark the iMIS sandbox: generation time, rows, memory, advance and Party page throughput.

Usage: ``uv run python bench/sandbox_generate.py --members 100000`` prints one JSON object.
Throughput is measured in-process (the WSGI app alone: the server's own CPU cost) and over
real HTTP with the server in its own process (one core serves, the other reads).
"""

from __future__ import annotations

import argparse
import http.client
import json
import resource
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import orjson

from sandbox.imis import SandboxApp, SandboxServer, generate

FORM = {"grant_type": "password", "username": "sandbox", "password": "sandbox"}


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def wsgi_walk(app: SandboxApp, token: str, page: int, max_rows: int) -> tuple[int, float]:
    """Read Party pages through the app object only (no sockets)."""
    rows, offset, start = 0, 0, time.perf_counter()
    headers = {"authorization": f"Bearer {token}"}
    while rows < max_rows:
        resp = app.handle("GET", "/imis/api/Party", f"limit={page}&offset={offset}", headers, b"")
        # Only the envelope's tail is decoded: this measures the server, not a JSON parser.
        body = orjson.loads(b"{" + resp.body[resp.body.rindex(b"]},") + 3 :])
        rows += body["Count"]
        if not body["HasNext"]:
            break
        offset = body["NextOffset"]
    return rows, time.perf_counter() - start


def http_walk(base_url: str, page: int, max_rows: int) -> tuple[int, float]:
    """Read Party pages over HTTP with a keep-alive connection, decoding only the envelope.

    This measures what the server delivers; a client that decodes every row is slower on
    its own side (see ``client_walk``).
    """
    url = httpx.URL(base_url)
    token = httpx.post(f"{base_url}/token", data=FORM).json()["access_token"]
    conn = http.client.HTTPConnection(url.host, url.port, timeout=60)
    rows, offset, start = 0, 0, time.perf_counter()
    while rows < max_rows:
        conn.request(
            "GET",
            f"{url.path}/api/Party?limit={page}&offset={offset}",
            headers={"Authorization": f"Bearer {token}"},
        )
        raw = conn.getresponse().read()
        body = orjson.loads(b"{" + raw[raw.rindex(b"]},") + 3 :])
        rows += body["Count"]
        if not body["HasNext"]:
            break
        offset = body["NextOffset"]
    conn.close()
    return rows, time.perf_counter() - start


def client_walk(base_url: str, page: int, max_rows: int) -> tuple[int, float]:
    """Read Party pages as a sync client would: httpx, and every row decoded with orjson."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        token = client.post("/token", data=FORM).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        rows, offset, start = 0, 0, time.perf_counter()
        while rows < max_rows:
            response = client.get("/api/Party", params={"limit": page, "offset": offset})
            body = orjson.loads(response.content)
            rows += body["Count"]
            if not body["HasNext"]:
                break
            offset = body["NextOffset"]
        return rows, time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--max-rows", type=int, default=100_000, help="Party rows per walk")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP throughput run")
    parser.add_argument("--serve-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_port:
        SandboxServer(
            generate(args.members, args.seed, args.as_of), port=args.serve_port
        ).serve_forever()
        return

    start = time.perf_counter()
    association = generate(args.members, args.seed, args.as_of)
    seconds = time.perf_counter() - start
    rss_after_generate = peak_rss_mb()
    rows = association.counts()
    total = sum(rows.values())

    result = {
        "members": args.members,
        "seed": args.seed,
        "as_of": args.as_of.isoformat(),
        "seconds": round(seconds, 2),
        "rows": rows,
        "rows_total": total,
        "rows_per_member": round(total / args.members, 2),
        "peak_rss_mb_after_generate": rss_after_generate,
        "lapse_rate_closed_cycles": round(
            float(association.truth.terms.query("cycle < 3").lapsed.mean()), 4
        ),
    }

    http = {}
    if not args.no_http:
        # The server runs as its own process (as the management command does), generating its
        # own copy: a forked child would pay copy-on-write faults that a real server does not.
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve-port",
                str(port),
                "--members",
                str(args.members),
                "--seed",
                str(args.seed),
                "--as-of",
                args.as_of.isoformat(),
            ],
        )
        base_url = f"http://127.0.0.1:{port}/imis"
        try:
            for _ in range(1200):
                try:
                    httpx.post(f"{base_url}/token", data=FORM, timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            cold = http_walk(base_url, args.page_size, args.max_rows)
            warm = http_walk(base_url, args.page_size, args.max_rows)
            parsing = client_walk(base_url, args.page_size, args.max_rows)
        finally:
            server.terminate()
            server.wait(timeout=30)
        http = {
            "http_cold_rows_per_s": round(cold[0] / cold[1]),
            "http_warm_rows_per_s": round(warm[0] / warm[1]),
            "http_rows_read": cold[0],
            "httpx_client_decoding_rows_per_s": round(parsing[0] / parsing[1]),
        }

    app = SandboxApp(association)
    token = json.loads(
        app.handle("POST", "/imis/token", "", {}, httpx.QueryParams(FORM).__str__().encode()).body
    )["access_token"]
    cold = wsgi_walk(app, token, args.page_size, args.max_rows)
    warm = wsgi_walk(app, token, args.page_size, args.max_rows)
    result["party_page_throughput"] = {
        "page_size": args.page_size,
        "wsgi_cold_rows_per_s": round(cold[0] / cold[1]),
        "wsgi_warm_rows_per_s": round(warm[0] / warm[1]),
        **http,
    }
    start = time.perf_counter()
    changes = association.advance(30)
    result["advance_30_days"] = {
        "seconds": round(time.perf_counter() - start, 2),
        "changes": changes,
    }
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
