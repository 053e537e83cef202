"""Score every open invoice with the active late-payment model; prints JSON, writes a CSV."""

import json

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from common.services import job_run_create, job_run_execute


class Command(BaseCommand):
    help = (
        "Give every open invoice its probability of being paid late (InvoiceRisk); with --csv, "
        "also write invoice_id,party_id,probability, one row per open invoice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", default="", help="write the scores to this CSV file")

    def handle(self, *args, csv: str, **options):
        job = job_run_create(kind="dues.score_invoices", params={"csv": csv} if csv else {})
        try:
            job = job_run_execute(job_run_id=job.pk)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        if job.status != "succeeded":
            raise CommandError(job.error or f"The scoring ended {job.status}.")
        self.stdout.write(json.dumps(job.result))
