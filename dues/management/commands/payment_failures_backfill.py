"""Record the card failures in webhook events stored before failures were kept; prints JSON."""

import json

from django.core.management.base import BaseCommand

from dues.collections.card_failures import payment_failures_backfill


class Command(BaseCommand):
    help = (
        "Read the stored Stripe and Authorize.Net failure events that were ignored before failed "
        "payments were kept, and record each once (the late-payment model counts them). Only "
        "failures of the last --file-within-days days get an update-your-card review item."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file-within-days", type=int, default=7)

    def handle(self, *args, file_within_days: int, **options):
        counts = payment_failures_backfill(file_within_days=file_within_days)
        self.stdout.write(json.dumps(counts))
