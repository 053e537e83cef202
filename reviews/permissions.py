"""Permission codenames of the review queues, and which role holds each."""

from common import roles

DECIDE_MEMBERSHIP = "reviews.decide_membership"
DECIDE_FINANCE = "reviews.decide_finance"
DECIDE_MANAGER = "reviews.decide_manager"
MANAGE_POLICIES = "reviews.manage_policies"
MANAGE_TEMPLATES = "reviews.manage_templates"

DECLARED = (
    ("decide_membership", "Can decide items in the membership queue"),
    ("decide_finance", "Can decide items in the finance queue"),
    ("decide_manager", "Can decide items in the manager queue and approve above thresholds"),
    ("manage_policies", "Can set automation policies per kind"),
    ("manage_templates", "Can edit message templates and guardrail rules"),
)

GRANTS = {
    roles.MEMBERSHIP: ["decide_membership"],
    roles.FINANCE: ["decide_finance"],
    roles.MANAGER: [
        "decide_membership",
        "decide_finance",
        "decide_manager",
        "manage_policies",
        "manage_templates",
    ],
    roles.ADMINISTRATOR: [],
}

QUEUE_PERMISSION = {
    "membership": DECIDE_MEMBERSHIP,
    "finance": DECIDE_FINANCE,
    "manager": DECIDE_MANAGER,
}
