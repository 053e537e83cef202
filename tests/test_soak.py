"""The soak (bench/soak.py) for two minutes: the real stack under load and faults loses nothing,
doubles nothing, keeps the ledger and the audit chain whole, and leaves no item stuck.

Slow (about eight minutes with its set-up and drain), so only in the full suite.
"""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, subprocess_env

pytestmark = pytest.mark.slow


def test_two_minutes_of_load_and_faults_lose_and_double_nothing():
    env = subprocess_env()
    env.pop("DATABASE_URL", None)  # the soak runs a PostgreSQL cluster of its own
    result = subprocess.run(
        [sys.executable, "bench/soak.py", "--minutes", "2", "--members", "800"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout)
    summary = {
        key: report[key]
        for key in (
            "lost",
            "duplicated",
            "audit_ok",
            "ledger_balanced",
            "journal_entries_without_their_decision",
            "stuck_review_items",
        )
    }
    assert summary == {
        "lost": 0,
        "duplicated": 0,
        "audit_ok": True,
        "ledger_balanced": True,
        "journal_entries_without_their_decision": 0,
        "stuck_review_items": 0,
    }, json.dumps(
        {k: report[k] for k in ("lost_by_kind", "duplicated_by_kind", "still_open_after_drain")}
    )
    # every fault was injected
    assert {f["fault"] for f in report["faults"]} >= {
        "worker SIGKILLed mid-effect",
        "PostgreSQL restarted",
        "SMTP sink down",
        "iMIS faults on",
        "web server SIGKILLed",
    }
