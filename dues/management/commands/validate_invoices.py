"""Check dues invoices against the billing policy now; prints one JSON line."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Subquery

from common.csv_export import csv_write
from common.services import job_run_create, job_run_execute
from dues.models import Finding, InvoiceCheck


class Command(BaseCommand):
    help = (
        "Check every dues invoice dated since --since (default: the policy's window) against the "
        "billing policy; record clean ones as checked and open a finding for each mis-billed one. "
        "Prints {checked, clean, flagged per kind, skipped, seconds}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument(
            "--propose",
            action="store_true",
            help="also file the credit memos of new findings now (a worker does it otherwise)",
        )
        parser.add_argument(
            "--findings-csv",
            metavar="PATH",
            help="also write one row per finding: invoice_id, kind, billed, expected_amount",
        )

    def handle(self, *args, since, findings_csv, propose, **options):
        params = {"trigger": "command"}
        if since:
            params["since"] = since.isoformat()
        job = job_run_create(kind="dues.billing_checks", params=params)
        job = job_run_execute(job_run_id=job.pk)
        if job.status != "succeeded":
            raise CommandError(f"The checks failed: {job.error[:500]}")
        result = job.result
        if propose:
            from dues.billing.memos import credit_memos_file_for_findings

            result["memos_filed"] = credit_memos_file_for_findings()["filed"]
        if findings_csv:
            flagged = InvoiceCheck.objects.filter(run_id=result["run"], outcome="flagged")
            findings = Finding.objects.filter(
                status__in=Finding.ACTIVE,
                invoice_id__in=Subquery(flagged.values("invoice_id")),
            ).order_by("invoice_id")
            rows = (
                (f.invoice_id, f.kind, f.billed, "" if f.expected is None else f.expected)
                for f in findings.iterator()
            )
            with open(findings_csv, "w", newline="", encoding="utf-8") as handle:
                csv_write(handle, ["invoice_id", "kind", "billed", "expected_amount"], rows)
        self.stdout.write(json.dumps(result))
