"""Recurring work of payments, installed by `manage.py install_schedules`."""

SCHEDULES = [
    {
        "name": "dues.webhook_sweep",
        "func": "dues.tasks.webhook_events_sweep_task",
        "schedule_type": "I",
        "minutes": 5,
    },
    {
        "name": "dues.post_due",
        "func": "dues.tasks.payments_post_due_task",
        "schedule_type": "I",
        "minutes": 5,
    },
    {
        "name": "dues.review_sync",
        "func": "dues.tasks.payments_review_sync_task",
        "schedule_type": "I",
        "minutes": 2,
    },
    {
        "name": "dues.match_waiting",
        "func": "dues.tasks.payments_match_scheduled_task",
        "schedule_type": "I",
        "minutes": 10,
    },
    {
        "name": "dues.dunning_daily",
        "func": "dues.collections.tasks.dunning_run_scheduled_task",
        "schedule_type": "D",
    },
    {
        "name": "dues.hold_summary_email",
        "func": "dues.tasks.hold_summary_email_task",
        "schedule_type": "D",
    },
]

# Billing checks declare theirs beside their code.
from dues.billing.schedules import SCHEDULES as _BILLING  # noqa: E402

SCHEDULES += _BILLING
