"""Check the audit trail's hash chain; prints JSON (rows, ok, first broken row)."""

import json

from django.core.management.base import BaseCommand, CommandError

from common.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain. Exits 1 when a row was altered or removed."

    def add_arguments(self, parser):
        parser.add_argument("--table", default="common_auditevent", help="a copy to check")

    def handle(self, *args, table: str, **options):
        try:
            result = audit_verify(table=table)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result))
        if not result["ok"]:
            raise SystemExit(1)
