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

# Each part of dues declares its own beside its code; a role holds the union.
from dues.billing.permissions import GRANTS as _BILLING_GRANTS  # noqa: E402
from dues.close.permissions import GRANTS as _CLOSE_GRANTS  # noqa: E402
from dues.close.revenue_permissions import GRANTS as _REVENUE_GRANTS  # noqa: E402
from dues.collections.permissions import GRANTS as _COLLECTIONS_GRANTS  # noqa: E402

_PARTS = (_BILLING_GRANTS, _COLLECTIONS_GRANTS, _REVENUE_GRANTS, _CLOSE_GRANTS)
GRANTS = {
    role: [*codes, *(code for part in _PARTS for code in part.get(role, []))]
    for role, codes in GRANTS.items()
}

# Dunning, payment plans and consent declare theirs beside their code.
from dues.collections.dunning_permissions import GRANTS as _DUNNING_GRANTS  # noqa: E402

GRANTS = {role: [*codes, *_DUNNING_GRANTS.get(role, [])] for role, codes in GRANTS.items()}

# Member inquiries declare theirs beside their code (dues.inquiries.permissions).
from dues.inquiries.permissions import GRANTS as _INQUIRY_GRANTS  # noqa: E402

GRANTS = {role: [*codes, *_INQUIRY_GRANTS.get(role, [])] for role, codes in GRANTS.items()}
