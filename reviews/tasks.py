"""django-q2 entry points of the review queues."""

from reviews import communications, selectors, services


def review_item_execute_task(item_id: int) -> str:
    return services.review_item_execute(item_id=item_id).status


def review_items_expire_task() -> int:
    return services.review_items_expire()


def communications_deliver_due_task() -> dict:
    return communications.communications_deliver_due()


def review_items_execute_due_task(now=None) -> int:
    """Carry out approved items whose task was lost; running one twice is a no-op."""
    ids = selectors.review_items_awaiting_effect(now=now)
    for start in range(0, len(ids), 100):
        services.review_items_execute_many(item_ids=ids[start : start + 100])
    return len(ids)
