"""Recurring work of renewals, installed by `manage.py install_schedules`."""

SCHEDULES = [
    {
        "name": "renewals.score_daily",
        "func": "renewals.tasks.score_renewals_task",
        "schedule_type": "D",
    },
]
