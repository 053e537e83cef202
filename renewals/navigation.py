"""What renewals adds to the page shell: menu entries and the staff member's calls to make."""

from django.urls import reverse

from common.navigation import AttentionCard, NavItem, register_attention, register_nav
from renewals import permissions
from renewals.models import OutreachTask

register_nav(NavItem("Renewals", "renewals:dashboard", permissions.VIEW_RENEWALS, order=2))
register_nav(NavItem("At-risk members", "renewals:at_risk", permissions.VIEW_RENEWALS, order=3))
register_nav(NavItem("My outreach calls", "renewals:tasks", permissions.VIEW_RENEWALS, order=4))
register_nav(
    NavItem(
        "Churn models", "renewals:models", permissions.VIEW_RENEWALS, order=925, section="System"
    )
)


def _calls(user) -> list[AttentionCard]:
    count = OutreachTask.objects.filter(staff=user, status=OutreachTask.Status.OPEN).count()
    if not count:
        return []
    return [
        AttentionCard(
            "Outreach calls to make",
            count,
            reverse("renewals:tasks"),
            "Members at risk of lapsing, with notes for each call.",
            "warn",
        )
    ]


register_attention(_calls)
