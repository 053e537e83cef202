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


class BackendCpu:
    """CPU seconds of the PostgreSQL backends serving one database, sampled from /proc (Linux)
    by a thread, so backends whose connection closed are still counted.

    ``with BackendCpu(name) as cpu: ...`` then ``cpu.seconds``: what the backends of database
    ``name`` used while the block ran (a backend already open when it starts counts only what it
    used after).
    """

    def __init__(self, database: str, interval: float = 0.2) -> None:
        self.database = database.encode()
        self.interval = interval
        self.seconds = 0.0
        self._start: dict[str, float] = {}
        self._latest: dict[str, float] = {}
        self._running = False

    @staticmethod
    def _cpu(pid: str) -> float:
        import os
        from pathlib import Path

        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _sample(self) -> dict[str, float]:
        from pathlib import Path

        found = {}
        for path in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                line = path.read_bytes()
                if b"postgres" in line and self.database in line:
                    found[path.parent.name] = self._cpu(path.parent.name)
            except (OSError, IndexError):
                continue
        return found

    def _run(self) -> None:
        import time

        while self._running:
            self._latest.update(self._sample())
            time.sleep(self.interval)

    def __enter__(self) -> "BackendCpu":
        import threading

        self._start = self._sample()
        self._latest = dict(self._start)
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._running = False
        self._thread.join()
        self._latest.update(self._sample())
        self.seconds = sum(v - self._start.get(pid, 0.0) for pid, v in self._latest.items())
