"""Reconcile one month now (as the page's background job does); prints one JSON line."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from common.services import job_run_create, job_run_execute
from dues.close.periods import parse_month


class Command(BaseCommand):
    help = (
        "Reconcile a month (YYYY-MM): tie deposits to the payments stored per source, applied, "
        "posted to iMIS and seen in the mirror; list every difference with its cause and draft "
        "the adjusting entries for review. Prints {month, payments, differences, unexplained, "
        "by_cause, entries_drafted, seconds}."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")

    def handle(self, *args, month, **options):
        try:
            parse_month(month)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        started = time.perf_counter()
        job = job_run_create(kind="dues.reconcile_month", params={"month": month})
        job = job_run_execute(job_run_id=job.pk)
        if job.status != "succeeded":
            raise CommandError(f"The reconciliation failed: {job.error[:500]}")
        result = {**job.result, "seconds": round(time.perf_counter() - started, 2)}
        self.stdout.write(json.dumps(result, default=str))
