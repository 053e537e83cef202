"""The soak's stack on this machine (loopback only): a throwaway PostgreSQL cluster of its own,
the iMIS sandbox, the SMTP sink, the django-q2 cluster and the web server, each a child process
that the soak can kill, stop and start again.

The cluster is project-local (initdb into a temporary directory, a free port, a socket in the
same directory), so restarting it touches no other database on the machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def wait_port(port: int, what: str, *, process=None, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not port_answers(port):
        if process is not None and process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode} before answering")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not answer on port {port} within {limit:.0f} s")
        time.sleep(0.2)


def pg_bindir() -> Path:
    """The installed PostgreSQL binaries (as scripts/lib.sh pg_bindir finds them)."""
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout
        if (Path(found.strip()) / "initdb").exists():
            return Path(found.strip())
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return Path(os.path.realpath(shutil.which("initdb"))).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    candidates += [Path("/usr/local/pgsql/bin")]
    for path in candidates:
        if (path / "initdb").exists():
            return path
    raise SystemExit("No PostgreSQL binaries (initdb, pg_ctl) found: install the server package.")


class Cluster:
    """A PostgreSQL cluster of the soak's own; ``restart()`` is one of its faults."""

    def __init__(self, workdir: Path):
        self.bindir = pg_bindir()
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        # initdb and postgres refuse root: as root they run as the postgres user, in a directory
        # that user can reach (the checkout may be private to root).
        base = Path(
            tempfile.mkdtemp(
                prefix="duesdesk-soak-pg-", dir="/var/tmp" if self.as_root else workdir
            )
        )
        if self.as_root:
            shutil.chown(base, "postgres")
        self.base, self.data, self.log = base, base / "data", base / "postgres.log"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            command = [runuser, "-u", "postgres", "--", *command]
        result = subprocess.run(command, cwd="/", capture_output=True, text=True)
        if check and result.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise SystemExit(f"{args[0]} failed: {result.stdout}{result.stderr}{log}")
        return result

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        )
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base} -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def restart(self) -> float:
        """A fast restart (open connections are cut); returns the seconds it was away."""
        started = time.monotonic()
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        self.start()
        return time.monotonic() - started

    def stop(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop", check=False
        )
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


class Child:
    """One process of the stack, started again with the same command after it is killed."""

    def __init__(self, name: str, command: list[str], env: dict, logdir: Path, port: int = 0):
        self.name, self.command, self.env, self.port = name, command, env, port
        self.log = logdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Child:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes its workers too
        )
        handle.close()
        if self.port:
            wait_port(self.port, self.name, process=self.process)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL the process and everything it started (its process group)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self, timeout: float = 20) -> None:
        if not self.process or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def alive(self) -> bool:
        return bool(self.process and self.process.poll() is None)


def manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def run_manage(env: dict, *args: str, timeout: float = 900) -> str:
    result = subprocess.run(
        manage(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc (no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def title(pid: int) -> str:
    """A process's title: django-q2 names each worker's task in it (with setproctitle)."""
    try:
        return (
            (Path("/proc") / str(pid) / "cmdline")
            .read_bytes()
            .replace(b"\0", b" ")
            .decode("utf-8", "replace")
            .strip()
        )
    except OSError:
        return ""
