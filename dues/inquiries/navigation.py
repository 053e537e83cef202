"""What inquiries add to the page shell: menu entries and a home card for those who answer."""

from django.urls import reverse

from common.navigation import AttentionCard, NavItem, register_attention, register_nav
from dues.inquiries import permissions

register_nav(
    NavItem("Inquiries", "dues:inquiries:list", permissions.VIEW_INQUIRIES, 40, "Inquiries")
)
register_nav(
    NavItem("New inquiry", "dues:inquiries:new", permissions.HANDLE_INQUIRIES, 41, "Inquiries")
)
register_nav(
    NavItem(
        "Policy documents", "dues:inquiries:policies", permissions.VIEW_INQUIRIES, 42, "Inquiries"
    )
)


def _cards(user) -> list[AttentionCard]:
    from dues.models import Inquiry

    cards = []
    unmatched = Inquiry.objects.filter(status=Inquiry.Status.NEW, member_id="").count()
    if unmatched:
        cards.append(
            AttentionCard(
                "Inquiries to match",
                unmatched,
                f"{reverse('dues:inquiries:list')}?status=unmatched",
                "Messages from senders the desk could not match to a member: pick the member.",
                "warn",
            )
        )
    return cards


register_attention(_cards, permission=permissions.VIEW_INQUIRIES)
