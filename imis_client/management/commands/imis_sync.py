"""Sync iMIS into the mirror now; prints one JSON line of per-entity counts."""

import json

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from common.services import job_run_create, job_run_execute
from imis_client.errors import ImisError
from imis_client.sync_entities import entity_names


class Command(BaseCommand):
    help = "Sync from iMIS (incremental unless --full). Progress shows live on the Sync page."
    # Run every few minutes by schedulers: the system checks (which import every page's views,
    # models and all) belong to deploys and ./scripts/test.sh, not to each sync.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="re-read everything")
        parser.add_argument(
            "--entity",
            action="append",
            choices=entity_names(),
            dest="entities",
            help="sync only this entity (repeatable)",
        )

    def handle(self, *args, full: bool, entities: list[str] | None, **options):
        job = job_run_create(kind="imis_client.sync", params={"full": full, "entities": entities})
        try:
            job = job_run_execute(job_run_id=job.pk)
        except (ImisError, DomainError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(job.result, sort_keys=False))
