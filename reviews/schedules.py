"""Recurring work of the review queues, installed by `manage.py install_schedules`."""

SCHEDULES = [
    {
        "name": "reviews.expire",
        "func": "reviews.tasks.review_items_expire_task",
        "schedule_type": "H",
    },
    {
        "name": "reviews.execute_due",
        "func": "reviews.tasks.review_items_execute_due_task",
        "schedule_type": "I",
        "minutes": 1,
    },
    {
        "name": "reviews.communications_deliver",
        "func": "reviews.tasks.communications_deliver_due_task",
        "schedule_type": "I",
        "minutes": 1,
    },
]
