"""Signal hooks: role grants kept in sync after migrate; worker heartbeat as soon as it starts."""

from contextlib import suppress

from django.db import DatabaseError
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django_q.signals import post_spawn


@receiver(post_spawn)
def record_heartbeat_on_spawn(sender, proc_name, **kwargs) -> None:
    from common.services import worker_heartbeat_record

    # The scheduled heartbeat will retry; a worker must not die because of this.
    with suppress(DatabaseError):
        worker_heartbeat_record()


@receiver(post_migrate)
def sync_role_grants(sender, using="default", **kwargs) -> None:
    # post_migrate fires once per app; the last one (any app) finds every permission created.
    from common.roles import sync_declared_grants

    sync_declared_grants(using=using)
