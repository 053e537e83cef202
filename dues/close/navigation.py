"""Menu entries of the month-end close's revenue side."""

from common.navigation import NavItem, register_nav
from dues.close import revenue_permissions as perms

register_nav(
    NavItem("Deferred revenue", "dues:revenue:rollforward", perms.VIEW_REVENUE, 42, "Close")
)
register_nav(
    NavItem("New-member billing", "dues:revenue:newmembers", perms.VIEW_REVENUE, 43, "Close")
)
register_nav(NavItem("Board pack", "dues:revenue:boardpack", perms.VIEW_BOARD_PACK, 44, "Close"))
