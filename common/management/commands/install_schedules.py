"""Install the recurring work every app declares in its schedules.py (idempotent)."""

import importlib
import json

from django.apps import apps
from django.core.management.base import BaseCommand
from django_q.models import Schedule


def declared_schedules() -> list[dict]:
    found: list[dict] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise
            continue
        found.extend(getattr(module, "SCHEDULES", []))
    return found


class Command(BaseCommand):
    help = (
        "Create or update the django-q2 schedules declared in code; remove ones no longer declared."
    )

    def handle(self, *args, **options):
        declared = declared_schedules()
        names = {entry["name"] for entry in declared}
        report: dict[str, list[str]] = {"created": [], "updated": [], "removed": []}
        for entry in declared:
            fields = {k: v for k, v in entry.items() if k != "name"}
            _, created = Schedule.objects.update_or_create(name=entry["name"], defaults=fields)
            report["created" if created else "updated"].append(entry["name"])
        # Only schedules this product owns (dotted app-prefixed names) are pruned.
        owned_prefixes = tuple(f"{c.name}." for c in apps.get_app_configs())
        for schedule in Schedule.objects.exclude(name__in=names):
            if schedule.name and schedule.name.startswith(owned_prefixes):
                report["removed"].append(schedule.name)
                schedule.delete()
        self.stdout.write(json.dumps(report))
