"""Permission codenames of dunning, payment plans and consent, and which role holds each."""

from common import roles

VIEW_DUNNING = "dues.view_dunning"
MANAGE_CADENCE = "dues.manage_dunning_cadence"
MANAGE_PLANS = "dues.manage_payment_plans"
MANAGE_CONSENT = "dues.manage_contact_consent"

DECLARED = (
    ("view_dunning", "Can see the dunning cadence, the day's steps, pauses and payment plans"),
    ("manage_dunning_cadence", "Can change the dunning cadence and run the dunning planner"),
    ("manage_payment_plans", "Can create, change and cancel members' payment plans"),
    ("manage_contact_consent", "Can record and withdraw a member's opt-out of a channel"),
)

GRANTS = {
    roles.FINANCE: ["view_dunning", "manage_payment_plans", "manage_contact_consent"],
    roles.MANAGER: [
        "view_dunning",
        "manage_dunning_cadence",
        "manage_payment_plans",
        "manage_contact_consent",
    ],
    roles.ADMINISTRATOR: [],
    roles.MEMBERSHIP: ["manage_contact_consent"],
}
