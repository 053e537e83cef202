"""Train a late-payment model version on invoices with a known outcome; prints JSON."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from common.services import job_run_create, job_run_execute


class Command(BaseCommand):
    help = (
        "Train on older invoices, measure on those due in the latest closed year against the "
        '"paid late last time" rule, activate when better. Progress shows on the Jobs page.'
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="treat outcomes known by this date (YYYY-MM-DD) as known; default today",
        )

    def handle(self, *args, as_of: date | None, **options):
        params = {"as_of": as_of.isoformat()} if as_of else {}
        job = job_run_create(kind="dues.train_late_payment", params=params)
        try:
            job = job_run_execute(job_run_id=job.pk)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        if job.status != "succeeded":
            raise CommandError(job.error or f"The training ended {job.status}.")
        self.stdout.write(json.dumps(job.result))
