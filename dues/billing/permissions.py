"""Permission codenames of billing checks and credit memos, and which role holds each."""

from common import roles

VIEW_BILLING = "dues.view_billing"
PROPOSE_MEMO = "dues.propose_credit_memo"
RUN_CHECKS = "dues.run_billing_checks"
MANAGE_POLICY = "dues.manage_billing_policy"

DECLARED = (
    ("view_billing", "Can see billing checks, invoices against policy and credit memos"),
    ("propose_credit_memo", "Can propose and edit credit memos and debit adjustments"),
    ("run_billing_checks", "Can run the invoice checks on demand"),
    ("manage_billing_policy", "Can change the billing policy"),
)

GRANTS = {
    roles.FINANCE: ["view_billing", "propose_credit_memo", "run_billing_checks"],
    roles.MANAGER: [
        "view_billing",
        "propose_credit_memo",
        "run_billing_checks",
        "manage_billing_policy",
    ],
    roles.ADMINISTRATOR: [],
    roles.MEMBERSHIP: [],
}
