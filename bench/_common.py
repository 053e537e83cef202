"""Helpers the benchmarks share: a free loopback port and a fresh database for a run."""

import socket
from urllib.parse import urlparse


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(base_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``base_url``; returns its URL."""
    import psycopg

    parts = urlparse(base_url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


def wait_for_server(process, port: int, *, since: float, limit: float) -> None:
    """Block until a child server answers on 127.0.0.1:port; stop if it dies or takes too long."""
    import time

    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.perf_counter() - since > limit:
                raise SystemExit("the sandbox did not start") from None
            time.sleep(0.5)


def start_sandbox(members: int, seed: int, env: dict, *, extra=(), limit: float = 600):
    """Start ``manage.py imis_sandbox`` on a free port and wait until it answers.

    Returns (process, base URL, seconds it took to generate and start). ``env`` gains the
    IMIS_* settings that point at it, so children started with it sync from the sandbox.
    """
    import subprocess
    import sys
    import time
    from pathlib import Path

    port = free_port()
    url = f"http://127.0.0.1:{port}/imis"
    env.update(IMIS_BASE_URL=url, IMIS_USERNAME="sandbox", IMIS_PASSWORD="sandbox")
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "imis_sandbox",
            "--members",
            str(members),
            "--seed",
            str(seed),
            *extra,
            "--port",
            str(port),
        ],
        cwd=Path(__file__).resolve().parent.parent,
        # The sandbox app (and its commands) is installed by the demo settings only.
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.demo"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_server(process, port, since=started, limit=limit)
    except BaseException:
        process.terminate()
        raise
    return process, url, time.perf_counter() - started
