"""What the review queues add to the page shell: the queue entry and a home card."""

from django.urls import reverse

from common.navigation import AttentionCard, NavItem, register_attention, register_nav
from reviews import permissions, selectors

ANY_QUEUE = tuple(permissions.QUEUE_PERMISSION.values())

register_nav(NavItem("Review queue", "reviews:queue", ANY_QUEUE, order=5))
register_nav(NavItem("Manager view", "reviews:manager", permissions.DECIDE_MANAGER, order=6))
register_nav(NavItem("Communications", "reviews:communications", ANY_QUEUE, order=9))
register_nav(NavItem("Review metrics", "reviews:metrics", permissions.DECIDE_MANAGER, order=7))
# The guardrail rules and the draft log are reached from the Templates page.
register_nav(NavItem("Templates", "reviews:template_list", ANY_QUEUE, order=8))
register_nav(
    NavItem(
        "Governance", "reviews:governance", permissions.MANAGE_POLICIES, order=930, section="System"
    )
)


def _waiting(user) -> list[AttentionCard]:
    count = selectors.review_items_for(user).count()
    if not count:
        return []
    return [
        AttentionCard(
            "Proposals waiting for you",
            count,
            reverse("reviews:queue"),
            "Accept, edit or reject each one.",
            "warn",
        )
    ]


register_attention(_waiting)
