"""Import a bank file (BAI2 or CSV) of payments; prints the import report as JSON."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from common.errors import DomainError
from dues import intake


class Command(BaseCommand):
    help = (
        "Import payments from a BAI2 or CSV bank file. Lines already imported are counted, not "
        "added; lines with errors are listed by number and the rest kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the BAI2 or CSV file")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        try:
            record = intake.payment_import_file(filename=path.name, content=path.read_bytes())
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(intake.import_report(record), cls=DjangoJSONEncoder))
