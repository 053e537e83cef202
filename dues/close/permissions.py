"""Permission codenames of the month-end close, and which role holds each."""

from common import roles

VIEW_CLOSE = "dues.view_close"
RUN_CLOSE = "dues.run_close"
MANAGE_CLOSE = "dues.manage_close"

DECLARED = (
    ("view_close", "Can see periods, reconciliations, deposits and GL exports"),
    ("run_close", "Can reconcile a month, close it and download its GL export"),
    ("manage_close", "Can map ledger accounts to GL codes and reopen a closed month"),
)

GRANTS = {
    roles.FINANCE: ["view_close", "run_close"],
    roles.MANAGER: ["view_close", "run_close", "manage_close"],
    roles.ADMINISTRATOR: [],
    roles.MEMBERSHIP: [],
}
