"""Invoice checks against the sandbox's own truth, over HTTP and the real mirror."""

from decimal import Decimal

import pytest

from dues.billing import services
from dues.models import CheckRun, Finding, InvoiceCheck

pytestmark = pytest.mark.django_db(transaction=True)


def _truth(association) -> dict:
    return {row.invoice_id: row for row in association.truth.billing.itertuples()}


def test_checks_find_every_mis_billed_kind_and_pass_the_unusual_right_ones(
    billing_mirror, billing_sandbox
):
    truth = _truth(billing_sandbox.association)
    run = services.billing_checks_run(trigger=CheckRun.Trigger.COMMAND, since=billing_mirror)
    checks = {c.invoice_id: c for c in InvoiceCheck.objects.filter(run=run)}
    findings = {f.invoice_id: f for f in Finding.objects.filter(status="open")}
    wrong = []
    for invoice_id, row in truth.items():
        check = checks.get(invoice_id)
        found = findings.get(invoice_id)
        if row.misbilled:
            if found is None or found.kind != row.kind:
                wrong.append(
                    (invoice_id, row.scenario, check and check.outcome, found and found.kind)
                )
            elif found.expected != Decimal(row.expected_cents) / 100:
                wrong.append((invoice_id, row.kind, "expected", found.expected, row.expected_cents))
        elif check is None or check.outcome != "clean":
            wrong.append(
                (invoice_id, row.scenario, check and check.outcome, found and found.summary)
            )
    extra = [f.invoice_id for f in findings.values() if f.invoice_id not in truth]
    assert wrong == [], "\n".join(map(str, wrong))
    assert extra == []
    kinds = {row.kind for row in truth.values() if row.misbilled}
    assert kinds == {
        "wrong_tier",
        "stale_price",
        "org_individual_rate",
        "duplicate",
        "chapter_line",
        "multi_year_discount",
        "tier_change_not_prorated",
        "other_difference",
    }
    assert run.checked >= len(truth) - 1


def test_validate_invoices_prints_one_json_line_and_writes_the_findings_csv(
    billing_mirror, billing_sandbox, tmp_path
):
    import csv
    import json
    from io import StringIO

    from django.core.management import call_command

    out, path = StringIO(), tmp_path / "findings.csv"
    call_command(
        "validate_invoices",
        "--since",
        billing_mirror.isoformat(),
        "--findings-csv",
        str(path),
        stdout=out,
    )
    result = json.loads(out.getvalue().strip())
    assert set(result) == {
        "checked",
        "clean",
        "flagged",
        "flagged_total",
        "skipped",
        "seconds",
        "run",
    }
    assert result["flagged"]["duplicate"] >= 2
    assert result["checked"] == result["clean"] + result["flagged_total"]
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == result["flagged_total"]
    assert set(rows[0]) == {"invoice_id", "kind", "billed", "expected_amount"}
    duplicate = next(r for r in rows if r["kind"] == "duplicate")
    assert duplicate["expected_amount"] == "0.00"
    # a second run finds the same and opens nothing new
    again = StringIO()
    call_command("validate_invoices", "--since", billing_mirror.isoformat(), stdout=again)
    assert json.loads(again.getvalue())["flagged"] == result["flagged"]
    assert Finding.objects.filter(status="open").count() == result["flagged_total"]


def test_a_corrected_invoice_resolves_its_finding(billing_mirror, billing_sandbox):
    from imis_client.models import ImisInvoice

    services.billing_checks_run(trigger=CheckRun.Trigger.COMMAND, since=billing_mirror)
    finding = Finding.objects.filter(status="open", kind="other_difference").first()
    # iMIS corrects the invoice (an adjustment for the difference), and the next sync sees it
    ImisInvoice.objects.filter(imis_id=finding.invoice_id).update(
        adjustment_amount=finding.difference
    )
    services.billing_checks_run(trigger=CheckRun.Trigger.COMMAND, since=billing_mirror)
    finding.refresh_from_db()
    assert finding.status == "resolved"
    check = InvoiceCheck.objects.get(invoice_id=finding.invoice_id)
    assert (check.outcome, check.billed) == ("clean", finding.expected)


def test_after_sync_job_checks_what_changed_since_the_last_run(
    billing_mirror, billing_sandbox, settings
):
    settings.BILLING_VALIDATION_DAYS = 2000  # the sandbox's invoices are of 2025
    from django.utils import timezone

    from common.services import job_run_execute
    from dues.billing.tasks import billing_checks_after_sync_task
    from imis_client.models import ImisInvoice, SyncRun

    job = billing_checks_after_sync_task()
    assert job is not None
    assert billing_checks_after_sync_task() is None  # queued already
    done = job_run_execute(job_run_id=job)
    assert done.status == "succeeded"
    assert done.params["trigger"] == "sync" and "changed_since" not in done.params
    assert billing_checks_after_sync_task() is None  # no sync since
    # a later sync changes one invoice: the next run checks that one only
    changed = ImisInvoice.objects.filter(invoice_date__gte=billing_mirror).first()
    ImisInvoice.objects.filter(pk=changed.pk).update(synced_at=timezone.now())
    SyncRun.objects.create(status="succeeded", finished_at=timezone.now())
    job = job_run_execute(job_run_id=billing_checks_after_sync_task())
    assert "changed_since" in job.params
    assert job.result["checked"] + job.result["skipped"] == 1
