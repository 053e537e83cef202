"""Permission codenames of payments and cash application, and which role holds each."""

from common import roles

VIEW_PAYMENTS = "dues.view_payments"
MANAGE_PAYMENTS = "dues.manage_payments"
VIEW_MATCHING = "dues.view_matching_performance"

DECLARED = (
    ("view_payments", "Can see incoming payments, the cash-application queue and the hold"),
    ("manage_payments", "Can import bank files, enter checks, apply, undo and re-match payments"),
    ("view_matching_performance", "Can read matching precision and auto-apply rates"),
)

GRANTS = {
    roles.FINANCE: ["view_payments", "manage_payments", "view_matching_performance"],
    roles.MANAGER: ["view_payments", "manage_payments", "view_matching_performance"],
    roles.ADMINISTRATOR: [],
    roles.MEMBERSHIP: [],
}

# Billing checks and credit memos declare theirs beside their code (dues.billing.permissions).
from dues.billing.permissions import GRANTS as _BILLING_GRANTS  # noqa: E402

GRANTS = {role: [*codes, *_BILLING_GRANTS.get(role, [])] for role, codes in GRANTS.items()}
from dues.close.permissions import GRANTS as _CLOSE_GRANTS  # noqa: E402

GRANTS = {role: [*codes, *_CLOSE_GRANTS.get(role, [])] for role, codes in GRANTS.items()}
