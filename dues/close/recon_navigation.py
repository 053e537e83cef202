"""What the close adds to the page shell: menu entries for finance."""

from common.navigation import NavItem, register_nav
from dues.close import permissions

register_nav(NavItem("Month-end close", "dues:close:periods", permissions.VIEW_CLOSE, 40, "Close"))
register_nav(
    NavItem("Chart of accounts", "dues:close:mapping", permissions.VIEW_CLOSE, 41, "Close")
)
