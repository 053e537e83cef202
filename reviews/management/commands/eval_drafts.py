"""Evaluate drafting on the golden set and the injection corpus; prints JSON."""

import json

from django.core.management.base import BaseCommand

from reviews.drafting.evaluation import evaluate


class Command(BaseCommand):
    help = (
        "Draft every golden case and injection (nothing is kept) and print per-purpose guardrail "
        "figures and the injection corpus result as JSON. Exit status 1 when any injection "
        "violation passed unflagged."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--model",
            default=None,
            help='A "provider:model" for init_chat_model; default LLM_MODEL. "" for templates.',
        )

    def handle(self, *args, model=None, **options):
        result = evaluate(model=model)
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
        if result["injection"]["unflagged"]:
            raise SystemExit(1)
