"""django-q2 entry points of the review queues."""

from reviews import communications, services


def review_item_execute_task(item_id: int) -> str:
    return services.review_item_execute(item_id=item_id).status


def review_items_expire_task() -> int:
    return services.review_items_expire()


def communications_deliver_due_task() -> dict:
    return communications.communications_deliver_due()
