"""Recurring work of billing, installed by `manage.py install_schedules` (via dues.schedules)."""

SCHEDULES = [
    {
        "name": "dues.billing_checks_after_sync",
        "func": "dues.billing.tasks.billing_checks_after_sync_task",
        "schedule_type": "I",
        "minutes": 5,
    },
    {
        # Memos move on from reviews' decisions and iMIS's answers (posted, refused, to key in).
        "name": "dues.credit_memos_sync",
        "func": "dues.billing.tasks.credit_memos_sync_task",
        "schedule_type": "I",
        "minutes": 2,
    },
    {
        # Findings left without a memo (a filing task lost, a memo rejected) get one again.
        "name": "dues.credit_memos_file",
        "func": "dues.billing.tasks.credit_memos_file_task",
        "schedule_type": "I",
        "minutes": 30,
    },
]
