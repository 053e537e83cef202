"""Menu entries of the month-end close's revenue side."""

from common.navigation import NavItem, register_nav
from dues.close import revenue_permissions as perms

register_nav(
    NavItem("Deferred revenue", "dues:revenue:rollforward", perms.VIEW_REVENUE, 40, "Close")
)
