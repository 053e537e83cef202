"""Recurring work of renewals, installed by `manage.py install_schedules`."""

SCHEDULES = [
    {
        "name": "renewals.score_daily",
        "func": "renewals.tasks.score_renewals_task",
        "schedule_type": "D",
    },
    {
        # A new version trained on the cycles closed since, made active only when it beats the
        # active one and the engagement rule on the latest closed cycle.
        "name": "renewals.train_monthly",
        "func": "renewals.tasks.train_churn_model_task",
        "schedule_type": "M",
    },
]
