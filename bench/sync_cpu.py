"""Where a full sync's CPU goes, per process, against the time to merely fetch the same pages.

Usage: ``uv run python bench/sync_cpu.py --members 20000 [--entity activity ...]`` prints one JSON
object: the raw fetch (wall, the fetching process's CPU, the sandbox's CPU) and the full sync
(wall, CPU of the sync's main process, of its page workers, of its PostgreSQL backends, of the
sandbox), each also per record fetched. bench/sync.py gives the headline figures; this one says
why they are what they are, e.g. whether PostgreSQL's ingest alone costs more than the fetch.

CPU is read from /proc (Linux only) by a sampling thread, so processes that end are still counted.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import fresh_database, start_sandbox  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | str) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Sampler(threading.Thread):
    """Keeps the latest CPU total of every process whose command line names the database (the
    PostgreSQL backends) or the sync command (its main process and forked workers)."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.database = database.encode()
        self.backends: dict[str, float] = {}
        self.sync: dict[str, tuple[float, str]] = {}  # pid -> (cpu, parent pid)

    def run(self) -> None:
        while True:
            for path in Path("/proc").glob("[0-9]*/cmdline"):
                pid = path.parent.name
                try:
                    line = path.read_bytes()
                    if b"imis_sync" in line:
                        parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
                        self.sync[pid] = (cpu_seconds(pid), parent)
                    elif self.database in line and b"postgres" in line:
                        self.backends[pid] = cpu_seconds(pid)
                except (OSError, IndexError):
                    continue
            time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--entity", action="append", dest="entities")
    parser.add_argument("--database", default="duesdesk_bench_cpu")
    args = parser.parse_args()

    base_db = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duesdesk")
    db_url = fresh_database(base_db, args.database)
    env = dict(os.environ, DATABASE_URL=db_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    sandbox, imis_url, _ = start_sandbox(args.members, args.seed, env)
    os.environ.update(env)
    sampler = Sampler(args.database)
    sampler.start()
    try:
        from bench.sync import raw_fetch

        only = set(args.entities or [])
        raw_fetch(imis_url)  # warm the sandbox's cache, as bench/sync.py does
        sandbox_before = cpu_seconds(sandbox.pid)
        own = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.perf_counter()
        fetched = raw_fetch(imis_url)
        fetch_wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_SELF)
        records = sum(v["records"] for k, v in fetched.items() if not only or k in only)
        fetch = {
            "wall": round(fetch_wall, 2),
            "fetching_process_cpu": round(
                after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime, 2
            ),
            "sandbox_cpu": round(cpu_seconds(sandbox.pid) - sandbox_before, 2),
            "records": sum(v["records"] for v in fetched.values()),
        }
        command = ["imis_sync", "--full"]
        for name in args.entities or []:
            command += ["--entity", name]
        sandbox_before = cpu_seconds(sandbox.pid)
        wall = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        sync_wall = time.perf_counter() - wall
        time.sleep(0.7)  # one more sample
        sandbox_sync_cpu = cpu_seconds(sandbox.pid) - sandbox_before
        summary = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)

    main_pids = {pid for pid, (_, parent) in sampler.sync.items() if parent == str(os.getpid())}
    main_cpu = sum(cpu for pid, (cpu, _) in sampler.sync.items() if pid in main_pids)
    worker_cpu = sum(cpu for pid, (cpu, parent) in sampler.sync.items() if parent in main_pids)
    backend_cpu = sum(sampler.backends.values())
    synced = sum(v["fetched"] for v in summary.values() if isinstance(v, dict))
    if only:
        fetch["wall"] = round(sum(v["seconds"] for k, v in fetched.items() if k in only), 2)
        fetch["note"] = "wall of the chosen entities only; CPU figures are of the whole fetch"

    def per_record(seconds: float, count: int) -> float:
        return round(seconds / max(count, 1) * 1e6, 1)

    sync = {
        "wall": round(sync_wall, 2),
        "sync_seconds": summary["seconds"],
        "records": synced,
        "main_process_cpu": round(main_cpu, 2),
        "page_workers_cpu": round(worker_cpu, 2),
        "postgres_cpu": round(backend_cpu, 2),
        "sandbox_cpu": round(sandbox_sync_cpu, 2),
    }
    total = main_cpu + worker_cpu + backend_cpu
    fetch_cpu_per_record = fetch["fetching_process_cpu"] / max(fetch["records"], 1)
    report = {
        "members": args.members,
        "entities": sorted(only) or "all",
        "raw_fetch": {
            **fetch,
            "wall_us_per_record": per_record(fetch["wall"], records),
            "cpu_us_per_record": round(fetch_cpu_per_record * 1e6, 1),
        },
        "full_sync": {
            **sync,
            "us_per_record": {
                "main_process": per_record(main_cpu, synced),
                "page_workers": per_record(worker_cpu, synced),
                "postgres": per_record(backend_cpu, synced),
                "total_cpu": per_record(total, synced),
            },
        },
        # The sync's CPU (all its processes and PostgreSQL's) over the bare client's, a record.
        "sync_cpu_over_fetch_cpu": round(total / max(synced, 1) / fetch_cpu_per_record, 2),
        "target_sync_cpu_over_fetch_cpu_max": 2.5,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "sync_over_fetch": round(summary["seconds"] / max(fetch["wall"], 1e-6), 3),
        # With two cores and perfect overlap the sync cannot take less than half its CPU.
        "floor_sync_over_fetch_on_2_cores": round(total / 2 / max(fetch["wall"], 1e-6), 3),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
