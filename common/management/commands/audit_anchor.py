"""Write the audit chain's head to the anchor file outside the database; prints it as JSON."""

import json

from django.core.management.base import BaseCommand

from common.audit import audit_anchor_write


class Command(BaseCommand):
    help = "Anchor the audit chain's head outside the database (AUDIT_ANCHOR_DIR, HMAC-keyed)."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(audit_anchor_write()))
