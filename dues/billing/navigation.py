"""What billing adds to the page shell: menu entries for finance staff and managers."""

from common.navigation import NavItem, register_nav
from dues.billing import permissions

register_nav(
    NavItem("Billing policy", "dues:billing:policy", permissions.VIEW_BILLING, 39, "Billing")
)
