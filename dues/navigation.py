"""What payments add to the page shell: menu entries and home cards for finance."""

from django.urls import reverse
from django.utils import timezone

from common.navigation import (
    AttentionCard,
    MemberPanel,
    NavItem,
    register_attention,
    register_member_panel,
    register_nav,
)
from dues import permissions
from dues.collections.permissions import VIEW_RECEIVABLES
from dues.models import Payment
from imis_client.permissions import VIEW_MEMBERS

register_nav(NavItem("Cash application", "dues:queue", permissions.VIEW_PAYMENTS, order=20))
register_nav(NavItem("Hold", "dues:hold", permissions.VIEW_PAYMENTS, order=21))
register_nav(NavItem("Import payments", "dues:import", permissions.MANAGE_PAYMENTS, order=22))
register_nav(NavItem("Enter a check", "dues:check_new", permissions.MANAGE_PAYMENTS, order=23))
register_nav(
    NavItem("Matching performance", "dues:performance", permissions.VIEW_MATCHING, order=24)
)
register_nav(NavItem("Receivables", "dues:receivables", VIEW_RECEIVABLES, order=25))


def _cards(user) -> list[AttentionCard]:
    waiting = Payment.objects.filter(
        status__in=[Payment.Status.PROPOSED, Payment.Status.UNMATCHED]
    ).count()
    soon = Payment.objects.filter(
        status=Payment.Status.HELD, hold_until__lte=timezone.now() + timezone.timedelta(hours=24)
    ).count()
    cards = []
    if waiting:
        cards.append(
            AttentionCard(
                "Payments to apply",
                waiting,
                reverse("dues:queue"),
                "Pick the candidate, split, keep as credit or flag.",
                "warn",
            )
        )
    if soon:
        cards.append(
            AttentionCard(
                "Payments posting to iMIS within 24 h",
                soon,
                reverse("dues:hold"),
                "Undo any that look wrong before they post.",
                "info",
            )
        )
    return cards


register_attention(_cards, permission=permissions.VIEW_PAYMENTS)

# The member page loads its flags for invoices with a payment on the way (htmx, after the page).
register_member_panel(
    MemberPanel(
        "dues.pending",
        "dues/partials/_member_panel.html",
        lambda request, member_id: {"member_id": member_id},
        VIEW_MEMBERS,
    )
)
