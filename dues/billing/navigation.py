"""What billing adds to the page shell: menu entries and a home card for finance staff."""

from django.urls import reverse

from common.navigation import AttentionCard, NavItem, register_attention, register_nav
from dues.billing import permissions

register_nav(
    NavItem("Billing checks", "dues:billing:checks", permissions.VIEW_BILLING, 30, "Billing")
)
register_nav(NavItem("Credit memos", "dues:billing:memos", permissions.VIEW_BILLING, 31, "Billing"))
register_nav(
    NavItem(
        "Proration & refunds", "dues:billing:calculator", permissions.VIEW_BILLING, 32, "Billing"
    )
)
register_nav(
    NavItem("Billing policy", "dues:billing:policy", permissions.VIEW_BILLING, 39, "Billing")
)


def _cards(user) -> list[AttentionCard]:
    from dues.models import CreditMemo, Finding

    cards = []
    open_findings = Finding.objects.filter(status__in=Finding.ACTIVE).count()
    if open_findings:
        cards.append(
            AttentionCard(
                "Mis-billed invoices",
                open_findings,
                reverse("dues:billing:checks"),
                "Invoices that do not match the billing policy; each has a memo to decide.",
                "warn",
            )
        )
    waiting = CreditMemo.objects.filter(status=CreditMemo.Status.TO_KEY_IN).count()
    if waiting:
        cards.append(
            AttentionCard(
                "Adjustments to key in by hand",
                waiting,
                f"{reverse('dues:billing:memos')}?status=to_key_in",
                "This iMIS site takes no adjustments over REST: key them in; a sync sees them.",
                "danger",
            )
        )
    return cards


register_attention(_cards, permission=permissions.VIEW_BILLING)
