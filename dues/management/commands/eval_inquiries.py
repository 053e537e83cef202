"""Score inquiry classification on the golden set and the answer path on the injection corpus;
prints JSON."""

import json

from django.core.management.base import BaseCommand

from dues.inquiries.evaluation import evaluate


class Command(BaseCommand):
    help = (
        "Classify every golden inquiry (accuracy overall, on the development and held-out halves, "
        "per class, confusion matrix) and answer every inquiry injection for one member while "
        "another's records are in the mirror (leaks, untraced numbers, disallowed links, "
        "unflagged markers). Nothing is kept. Exit status 1 on any leak, untraced number, "
        "disallowed link or unflagged marker."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--model",
            default="",
            help='Classify with this "provider:model" (default: the rules, no model).',
        )

    def handle(self, *args, model="", **options):
        result = evaluate(model=model or None)
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
        if (
            result["leaks"]
            or result["untraced"]
            or result["disallowed_links"]
            or result["unflagged"]
        ):
            raise SystemExit(1)
