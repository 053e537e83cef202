"""Plan and file the day's dunning steps now (the daily schedule does the same); prints JSON."""

import json

from django.core.management.base import BaseCommand

from common.services import job_run_create, job_run_execute


class Command(BaseCommand):
    help = (
        "Find each open invoice's due step of the dunning cadence, record the pauses, and file "
        "each due step as a review item with a drafted message (once). Progress shows on the "
        "Jobs page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="plan as of this day (YYYY-MM-DD); default today")
        parser.add_argument(
            "--as-of-mirror",
            action="store_true",
            help="plan as of the mirror's latest invoice date (a sandbox association's today)",
        )

    def handle(self, *args, date: str | None, as_of_mirror: bool, **options):
        from django.db.models import Max

        from imis_client.models import ImisInvoice

        if as_of_mirror:
            latest = ImisInvoice.objects.aggregate(latest=Max("invoice_date"))["latest"]
            date = latest.isoformat() if latest else None
        job = job_run_create(kind="dues.dunning_run", params={"date": date} if date else {})
        job = job_run_execute(job_run_id=job.pk)
        if job.status != "succeeded":
            self.stderr.write(f"the dunning run {job.status}: {job.error}")
        self.stdout.write(json.dumps(job.result, default=str))
