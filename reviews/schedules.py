"""Recurring work of the review queues, installed by `manage.py install_schedules`."""

SCHEDULES = [
    {
        "name": "reviews.expire",
        "func": "reviews.tasks.review_items_expire_task",
        "schedule_type": "H",
    },
]
