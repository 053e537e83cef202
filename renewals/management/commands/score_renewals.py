"""Score every member whose renewal is near with the active model; prints a JSON summary."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from common.services import job_run_create, job_run_execute


class Command(BaseCommand):
    help = (
        "Score members renewing within RENEWALS_HORIZON_DAYS, keep the scores, and file outreach,"
        " win-back and write-back proposals. Progress shows on the Jobs page."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="score as of this date (YYYY-MM-DD); default today",
        )

    def handle(self, *args, as_of: date | None, **options):
        params = {"as_of": as_of.isoformat()} if as_of else {}
        job = job_run_create(kind="renewals.score", params=params)
        try:
            job = job_run_execute(job_run_id=job.pk)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(job.result))
