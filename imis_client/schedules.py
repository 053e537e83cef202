"""Recurring work of the iMIS connection, installed by `manage.py install_schedules`."""

from django.conf import settings

SCHEDULES = [
    {
        "name": "imis_client.sync",
        "func": "imis_client.tasks.sync_scheduled_task",
        "schedule_type": "I",
        "minutes": settings.IMIS_SYNC_EVERY_MINUTES,
    },
    {
        "name": "imis_client.outbox_relay",
        "func": "imis_client.tasks.outbox_relay_task",
        "schedule_type": "I",
        "minutes": 1,
    },
]
