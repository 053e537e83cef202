"""Recurring work of billing, installed by `manage.py install_schedules` (via dues.schedules)."""

SCHEDULES = [
    {
        "name": "dues.billing_checks_after_sync",
        "func": "dues.billing.tasks.billing_checks_after_sync_task",
        "schedule_type": "I",
        "minutes": 5,
    },
]
