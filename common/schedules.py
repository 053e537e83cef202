"""Recurring work of the common app, installed by `manage.py install_schedules`."""

SCHEDULES = [
    {
        "name": "common.worker_heartbeat",
        "func": "common.tasks.worker_heartbeat_task",
        "schedule_type": "I",  # minutes
        "minutes": 1,
    },
    {
        "name": "common.audit_anchor",
        "func": "common.tasks.audit_anchor_task",
        "schedule_type": "D",
    },
    {
        "name": "common.housekeeping",
        "func": "common.tasks.housekeeping_task",
        "schedule_type": "D",
    },
]
