"""Soak: the real stack under load and faults for ``--minutes``, then nothing lost, nothing doubled.

Usage: ``uv run python bench/soak.py --minutes 10`` prints one JSON object (``--minutes 2`` runs in
the full test suite, tests/test_soak.py, marked slow). Everything runs on this machine, on
loopback: a PostgreSQL cluster of the soak's own (initdb from the installed binaries, a free port;
the server other work uses is not touched), the iMIS sandbox (``imis_sandbox``), the SMTP sink
(``mail_sink``), a django-q2 cluster (``qcluster``) and gunicorn serving ``config.wsgi`` with the
demo settings.

Load, all at once (bench/soak_load.py): Stripe and Authorize.Net webhooks at ``--rate`` a second
(20) with 10 % redeliveries, 2 % bad signatures, payment_intent events before and after their
charge's, refunds (some before their payment) and provider retries of whatever got no answer;
bank files (CSV and BAI2) uploaded through the import page, a third of them a second time; finance
staff deciding payment applications through the API with two users' tokens so that four eyes hold
(accept, edit, reject, undo in the hold, double clicks), membership staff accepting outreach
e-mails; the scheduled sync every minute.

Faults, at fixed points of the run: a worker SIGKILLed while it carries out a review item's effect
(and another while it sends to iMIS); the PostgreSQL cluster restarted; the SMTP sink down for a
minute; the sandbox answering 500s, 429s and committing writes whose answer is then lost (the
client times out) for two minutes; the web server SIGKILLed and started again. At ``--minutes``
below 10 the outages shrink in proportion.

Then the load stops, the stack drains (recurring work is run at once instead of at its next
schedule) and bench/soak_checks.py checks: every accepted webhook stored and processed once and
its payment stored once; every import added its lines once; every write delivered to iMIS found
there exactly once by its reference; every message sent in the sink's mbox once; the journal
balanced, each entry matching a decision carried out or an undo answered; ``audit_verify`` ok;
no review item approved without a task to carry it out. JSON keys: ``lost``, ``duplicated``,
``audit_ok``, ``intake_p95_ms`` and ``decision_p95_ms`` (and p99), ``errors`` by kind, the details
of each check, the faults as they happened and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.soak_stack import (  # noqa: E402
    Child,
    Cluster,
    descendants,
    free_port,
    manage,
    run_manage,
    title,
)

ACTIVATE_LATEST_MODEL = (
    "from django.contrib.auth import get_user_model\n"
    "from renewals.models import ModelVersion\n"
    "from renewals.services import model_version_activate\n"
    "if not ModelVersion.objects.filter(status='active').exists():\n"
    "    user, _ = get_user_model().objects.get_or_create(username='soak-manager')\n"
    "    latest = ModelVersion.objects.order_by('-id').first()\n"
    "    model_version_activate(version_id=latest.pk, user=user)\n"
)
STRIPE_SECRET = "whsec_soak_" + secrets.token_hex(8)
ANET_KEY = secrets.token_hex(32).upper()
PASSWORD = "soak-" + secrets.token_urlsafe(12)


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def stack_env(db_url: str, work: Path, *, imis_port: int, smtp_port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.demo",
        SECRET_KEY="soak-" + secrets.token_urlsafe(40),
        DATABASE_URL=db_url,
        DEBUG="false",
        DEMO_MODE="true",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
        LOG_LEVEL="WARNING",
        Q_LOG_LEVEL="WARNING",
        # the API's per-user rate would refuse the soak's staff long before any person
        API_THROTTLE_USER="1000000/min",
        AXES_ENABLED="false",
        STRIPE_WEBHOOK_SECRET=STRIPE_SECRET,
        AUTHORIZENET_SIGNATURE_KEY=ANET_KEY,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        IMIS_BASE_URL=f"http://127.0.0.1:{imis_port}/imis",
        IMIS_USERNAME="sandbox",
        IMIS_PASSWORD="sandbox",
        # shorter than the sandbox's held answers, so that a write committed without an answer
        # times out in the client, as it would against a slow site
        IMIS_TIMEOUT_S="4",
        IMIS_SYNC_EVERY_MINUTES="1",
        Q_WORKERS="2",
        # a task whose worker was killed comes back within the run
        Q_TIMEOUT="60",
        Q_RETRY_MARGIN="20",
        # 36 s on hold: long enough to undo, short enough to post within the run
        DUES_HOLD_HOURS="0.01",
        AUDIT_ANCHOR_DIR=str(work / "anchors"),
        SMS_FILE_PATH=str(work / "sms.jsonl"),
    )
    return env


class Soak:
    def __init__(self, args):
        self.args = args
        self.seconds = args.minutes * 60
        self.work = Path(tempfile.mkdtemp(prefix="duesdesk-soak-"))
        self.faults: list[dict] = []
        self.children: dict[str, Child] = {}
        self.stop = threading.Event()
        self.started = 0.0

    # --- the stack ----------------------------------------------------------------------------
    def up(self) -> None:
        log(f"work directory {self.work}")
        self.cluster = Cluster(self.work)
        self.cluster.init()
        db_url = self.cluster.create_database("duesdesk_soak")
        self.imis_port, self.smtp_port, self.web_port = free_port(), free_port(), free_port()
        self.env = stack_env(db_url, self.work, imis_port=self.imis_port, smtp_port=self.smtp_port)
        os.environ.update(self.env)
        log("migrating")
        run_manage(self.env, "migrate", "--noinput")
        run_manage(self.env, "install_schedules")
        self.mbox = self.work / "mail.mbox"
        self.children = {
            "sandbox": Child(
                "sandbox",
                manage(
                    "imis_sandbox",
                    "--members",
                    str(self.args.members),
                    "--seed",
                    str(self.args.seed),
                    "--port",
                    str(self.imis_port),
                ),
                self.env,
                self.work,
                self.imis_port,
            ),
            "smtp": Child(
                "smtp",
                manage("mail_sink", "--port", str(self.smtp_port), "--mbox", str(self.mbox)),
                self.env,
                self.work,
                self.smtp_port,
            ),
            "workers": Child("workers", manage("qcluster"), self.env, self.work),
            "web": Child(
                "web",
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "config.wsgi",
                    "-b",
                    f"127.0.0.1:{self.web_port}",
                    "-w",
                    "2",
                    "-k",
                    "gthread",
                    "--threads",
                    "8",
                    "--timeout",
                    "60",
                    "--access-logfile",
                    "-",
                    # the time each request took inside the server, in microseconds
                    "--access-logformat",
                    '%(t)s "%(r)s" %(s)s %(D)s',
                ],
                self.env,
                self.work,
                self.web_port,
            ),
        }
        log(f"starting the iMIS sandbox ({self.args.members} members)")
        self.children["sandbox"].start()
        log("syncing the mirror from the sandbox")
        run_manage(self.env, "imis_sync")
        if self.args.outreach:
            log("training the churn model and scoring renewals (outreach e-mails)")
            run_manage(self.env, "train_churn_model")
            # a small association's model may not beat the rule, and then it is not activated;
            # the soak needs outreach to decide, so a manager activates the version trained
            run_manage(self.env, "shell", "-c", ACTIVATE_LATEST_MODEL)
            run_manage(self.env, "score_renewals")
        import django

        django.setup()
        self.tokens = self._staff()
        self.templates = self._templates()
        for name in ("smtp", "workers", "web"):
            self.children[name].start()
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        log(f"stack up: web {self.base_url}, {len(self.templates)} payment templates")

    def _staff(self) -> dict[str, str]:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from rest_framework.authtoken.models import Token

        from common import roles

        tokens = {}
        for username, role in (
            ("fay", roles.FINANCE),
            ("finn", roles.FINANCE),
            ("mia", roles.MANAGER),
            ("maya", roles.MEMBERSHIP),
            ("mo", roles.MEMBERSHIP),
        ):
            user = get_user_model().objects.create_user(username=username, password=PASSWORD)
            user.groups.add(Group.objects.get(name=role))
            tokens[username] = Token.objects.create(user=user).key
        return tokens

    def _templates(self) -> list:
        from datetime import timedelta

        from django.utils import timezone

        from sandbox.management.commands.sandbox_payments import book_from_mirror
        from sandbox.payments import generate_payments

        book = book_from_mirror()
        as_of = timezone.localdate() - timedelta(days=30)
        return generate_payments(book, 400, seed=self.args.seed, as_of=as_of)

    def down(self) -> None:
        for child in reversed(list(self.children.values())):
            child.stop()
        self.cluster.stop()

    # --- faults ---------------------------------------------------------------------------------
    def _at(self, share: float) -> float:
        return self.started + share * self.seconds

    def _wait_until(self, moment: float) -> bool:
        return not self.stop.wait(max(0.0, moment - time.monotonic()))

    def _note(self, fault: str, **details) -> None:
        entry = {"fault": fault, "at_s": round(time.monotonic() - self.started, 1), **details}
        self.faults.append(entry)
        log(f"fault: {entry}")

    def _kill_worker_during(self, words: tuple[str, ...], fault: str, limit: float = 45) -> None:
        """SIGKILL a worker process while its title says it is running one of ``words``."""
        deadline = time.monotonic() + limit
        root = self.children["workers"].pid
        while time.monotonic() < deadline and not self.stop.is_set():
            for pid in descendants(root):
                name = title(pid)
                if " processing " in name and any(w in name for w in words):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        continue
                    self._note(fault, task=name.split(" processing ", 1)[1][:120])
                    return
            time.sleep(0.005)
        self._note(fault, task=None, note=f"no worker was running {words} within {limit:.0f} s")

    def _sandbox_faults(self, spec: str | None) -> None:
        import httpx

        url = f"http://127.0.0.1:{self.imis_port}/imis/_sandbox/faults"
        if spec:
            httpx.put(url, json={"spec": spec}, timeout=10)
        else:
            httpx.delete(url, timeout=10)

    def faults_run(self) -> None:
        outage = min(60.0, self.seconds * 0.1)
        imis_outage = min(120.0, self.seconds * 0.2)
        try:
            if not self._wait_until(self._at(0.12)):
                return
            self._kill_worker_during(("review-",), "worker SIGKILLed mid-effect")
            if not self._wait_until(self._at(0.25)):
                return
            away = self.cluster.restart()
            self._note("PostgreSQL restarted", seconds_away=round(away, 1))
            if not self._wait_until(self._at(0.35)):
                return
            self.children["smtp"].stop()
            self._note("SMTP sink down", seconds=round(outage))
            self.stop.wait(outage)
            self.children["smtp"].start()
            self._note("SMTP sink up")
            if not self._wait_until(self._at(0.5)):
                return
            # 500s and 429s, and writes applied whose answer is held past the client's timeout
            spec = "500=0.15,429=0.1,retry_after=1,commit_timeout=0.05,commit_delay=6s,seed=7"
            self._sandbox_faults(spec)
            self._note("iMIS faults on", spec=spec, seconds=round(imis_outage))
            self._kill_worker_during(("outbox", "relay"), "worker SIGKILLed sending to iMIS", 30)
            self._wait_until(self._at(0.5) + imis_outage)
            self._sandbox_faults(None)
            self._note("iMIS faults off")
            if not self._wait_until(self._at(0.8)):
                return
            self.children["web"].kill()
            self._note("web server SIGKILLed")
            time.sleep(1)
            self.children["web"].start()
            self._note("web server started again")
        except Exception as exc:  # a fault that could not be injected is reported, not fatal
            self._note("fault injection failed", error=f"{type(exc).__name__}: {exc}")

    # --- the run --------------------------------------------------------------------------------
    def run(self) -> dict:
        from bench import soak_checks
        from bench.soak_load import Decisions, Imports, Recorder, Webhooks

        recorder = Recorder()
        hooks = Webhooks(
            self.base_url,
            self.templates,
            stripe_secret=STRIPE_SECRET,
            anet_key=ANET_KEY,
            recorder=recorder,
            rate=self.args.rate,
            seed=self.args.seed,
        )
        imports = Imports(
            self.base_url,
            self.templates,
            username="fay",
            password=PASSWORD,
            recorder=recorder,
            every=max(5.0, self.seconds / 40),
            seed=self.args.seed,
        )
        from dues.kinds import KIND
        from renewals import kinds as renewal_kinds

        decisions = Decisions(
            self.base_url,
            self.tokens,
            recorder=recorder,
            rate=self.args.decisions,
            seed=self.args.seed,
            kinds={
                "payment": KIND,
                "outreach": [renewal_kinds.OUTREACH, renewal_kinds.WIN_BACK]
                if self.args.outreach
                else [],
            },
        )
        self._warm_up()
        self.log_offset = self.children["web"].log.stat().st_size
        load_before = os.getloadavg()
        self.started = recorder.started = time.monotonic()
        until = self.started + self.seconds
        threads = [
            threading.Thread(target=hooks.run, args=(until, self.stop), name="webhooks"),
            threading.Thread(target=imports.run, args=(until, self.stop), name="imports"),
            threading.Thread(target=decisions.run, args=(until, self.stop), name="decisions"),
            threading.Thread(target=decisions.run, args=(until, self.stop), name="decisions-2"),
            threading.Thread(target=self.faults_run, name="faults"),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        load_during = os.getloadavg()
        soak_checks._fresh_connection()
        backlog = {**soak_checks.open_work(), "by_function": soak_checks.tasks_by_function()}
        log(f"load over with {backlog} open; providers retry what got no answer, then the drain")
        drain_started = time.monotonic()
        hooks.retry_unanswered(time.monotonic() + 60)
        open_left = soak_checks.drain(max(180.0, self.seconds * 0.5), log)
        soak_checks._fresh_connection()
        drained = {
            "open_at_end_of_load": backlog,
            "seconds": round(time.monotonic() - drain_started),
        }
        checks = {
            "webhooks": soak_checks.check_webhooks(hooks.ledger),
            "imports": soak_checks.check_imports(imports.uploads),
            "imis": soak_checks.check_imis(log),
            "messages": soak_checks.check_messages(self.mbox),
            "ledger": soak_checks.check_ledger(decisions.undone),
            "review_items": soak_checks.check_stuck(),
        }
        audit = soak_checks.check_audit()
        report = self._report(
            recorder, decisions, checks, audit, open_left, load_before, load_during
        )
        report["drain"] = drained
        return report

    def _warm_up(self) -> None:
        """A request to every gunicorn thread first: the first request of each loads the URL
        conf, templates and a database connection, which is start-up, not intake."""
        from concurrent.futures import ThreadPoolExecutor

        import httpx

        headers = {"Authorization": f"Token {self.tokens['fay']}"}
        with httpx.Client(base_url=self.base_url, timeout=60) as http:

            def one(n: int) -> None:
                http.get("/healthz")
                http.post("/webhooks/stripe/", content=b"{}", headers={"Stripe-Signature": "t=1"})
                http.get("/api/v1/review-items/", params={"page_size": 1}, headers=headers)

            with ThreadPoolExecutor(max_workers=16) as pool:
                list(pool.map(one, range(64)))

    def _server_times(self) -> dict:
        """Time spent inside the web server per request kind, from gunicorn's access log (%(D)s,
        microseconds): what the desk took, apart from queueing on a busy machine."""
        import re

        from bench.soak_load import Recorder

        line = re.compile(r'"(\w+) (\S+) HTTP/[\d.]+" (\d{3}) (\d+)$')
        kinds: dict[str, list[float]] = {"intake": [], "decision": []}
        with self.children["web"].log.open("rb") as handle:
            handle.seek(self.log_offset)  # after the warm-up
            lines = handle.read().decode("utf-8", "replace").splitlines()
        for text in lines:
            found = line.search(text)
            if not found:
                continue
            method, path, _, micros = found.groups()
            if method == "POST" and path.startswith("/webhooks/"):
                kinds["intake"].append(int(micros) / 1000)
            elif method == "POST" and (path.endswith("/decide/") or path.endswith("/undo/")):
                kinds["decision"].append(int(micros) / 1000)
        return {
            f"{kind}_server_{name}_ms": Recorder.percentile(values, q)
            for kind, values in kinds.items()
            for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        }

    def _report(self, recorder, decisions, checks, audit, open_left, load_before, load_during):
        w, i, m, x = checks["webhooks"], checks["imports"], checks["messages"], checks["imis"]
        lost = {
            "webhooks_not_stored": w["not_stored"],
            "webhooks_not_processed": sum(w["not_processed"].values()),
            "webhook_payments_missing": w["payments_missing"],
            "webhooks_never_answered": w["never_answered"],
            "refunds_missing": w["refunds_missing"],
            "import_lines_missing": i["imports_missing"] + i["imports_short"],
            "imis_writes_not_found": x["writes_not_found"],
            "imis_writes_undelivered": sum(
                x["writes_undelivered"].get(s, 0) for s in ("pending", "sending", "failed")
            ),
            "messages_missing_from_sink": m["messages_missing_from_sink"],
            "messages_not_sent": sum(m["messages_not_sent"].values()),
            "approvals_without_task": checks["review_items"]["approved_without_task"],
        }
        duplicated = {
            "webhook_payments": w["payments_doubled"],
            "repeated_import_lines": i["repeated_files_added"],
            "imis_writes": x["writes_found_twice_or_more"],
            "messages": m["messages_in_sink_twice_or_more"],
            "double_clicks_decided_twice": recorder.errors.get(
                "decision: double click decided twice", 0
            ),
        }
        from bench.soak_load import Recorder

        p = Recorder.percentile
        lat = recorder.latencies
        return {
            "minutes": self.args.minutes,
            "webhook_rate_per_s": self.args.rate,
            "lost": sum(lost.values()),
            "duplicated": sum(duplicated.values()),
            "audit_ok": audit["ok"],
            "ledger_balanced": checks["ledger"]["balanced"],
            "journal_entries_without_their_decision": sum(
                checks["ledger"]["entries_without_their_decision"].values()
            ),
            "stuck_review_items": checks["review_items"]["approved_without_task"]
            + checks["review_items"]["executing"],
            "intake_p95_ms": p(lat.get("intake", []), 0.95),
            "intake_p99_ms": p(lat.get("intake", []), 0.99),
            "decision_p95_ms": p(lat.get("decision", []), 0.95),
            "decision_p99_ms": p(lat.get("decision", []), 0.99),
            "import_p95_ms": p(lat.get("import", []), 0.95),
            **self._server_times(),
            "requests": {k: len(v) for k, v in lat.items()},
            "errors": dict(recorder.errors.most_common()),
            "errors_by_window": {
                k: dict(v.most_common()) for k, v in recorder.by_window(self.faults).items()
            },
            "slow_requests": recorder.slow[:40],
            "counts": dict(recorder.counts),
            "decisions": dict(decisions.outcomes.most_common()),
            "lost_by_kind": {k: v for k, v in lost.items() if v},
            "duplicated_by_kind": {k: v for k, v in duplicated.items() if v},
            "still_open_after_drain": open_left,
            "checks": checks,
            "audit": audit,
            "faults": self.faults,
            "load_average": {
                "before": [round(v, 2) for v in load_before],
                "end_of_load": [round(v, 2) for v in load_during],
            },
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=20, help="webhooks a second")
    parser.add_argument("--decisions", type=float, default=2, help="decisions a second per thread")
    parser.add_argument("--members", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-outreach",
        dest="outreach",
        action="store_false",
        help="skip training and scoring (no outreach e-mails to decide)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    soak = Soak(args)
    try:
        soak.up()
        report = soak.run()
    finally:
        soak.stop.set()
        soak.down()
    report["work_directory"] = str(soak.work) if args.keep else None
    if not args.keep:
        import shutil

        shutil.rmtree(soak.work, ignore_errors=True)
    print(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
