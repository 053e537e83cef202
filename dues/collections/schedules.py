"""Recurring work of collections, installed by `manage.py install_schedules` (dues.schedules)."""

SCHEDULES = [
    {
        "name": "dues.score_invoices_daily",
        "func": "dues.collections.tasks.score_invoices_task",
        "schedule_type": "D",
    },
    {
        "name": "dues.train_late_payment_monthly",
        "func": "dues.collections.tasks.train_late_payment_task",
        "schedule_type": "M",
    },
]
