"""Match received payments to members and open invoices now; prints a JSON summary."""

import json

from django.core.management.base import BaseCommand

from common.services import job_run_create, job_run_execute


class Command(BaseCommand):
    help = (
        "Match every received payment (with --rematch, every open one) and file the proposals. "
        "Progress shows live on the Jobs page."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rematch", action="store_true", help="match unmatched and proposed payments again"
        )

    def handle(self, *args, rematch: bool, **options):
        job = job_run_create(kind="dues.match_payments", params={"rematch": rematch})
        job = job_run_execute(job_run_id=job.pk)
        self.stdout.write(json.dumps(job.result))
